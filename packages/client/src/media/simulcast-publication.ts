// A simulcast video as published: the group stream id subscribers see (announced to the controller with the layers
// in its metadata) and one publication per layer, each its own media stream to the handler, low to high.
import type { LocalPublication } from '../meeting/local-publication.ts';

export interface SimulcastLayerOptions {
  readonly layerId: string;
  readonly width: number;
  readonly height: number;
  readonly maxBitrate: number;
  readonly maxFramerate: number;
}

export interface PublishedLayer extends SimulcastLayerOptions {
  /** Frames of this layer go here (its stream id is the layer's own). */
  readonly publication: LocalPublication;
}

export class SimulcastPublication implements AsyncDisposable {
  /** Never carries frames; closing it unpublishes the group. */
  readonly group: LocalPublication;
  readonly layers: readonly PublishedLayer[];
  #closing: Promise<void> | undefined;
  #sequence = 0;

  constructor(group: LocalPublication, layers: readonly PublishedLayer[]) {
    this.group = group;
    this.layers = layers;
  }

  /** The id subscribers and StreamQualityUpdate use. */
  get streamId(): string {
    return this.group.streamId;
  }

  /**
   * The sequence number for the next captured frame, shared by all layers (a subscriber moved between layers sees
   * one numbering) and kept across senders (a device swap does not restart it).
   */
  nextSequence(): number {
    return ++this.#sequence;
  }

  get isClosed(): boolean {
    return this.#closing !== undefined;
  }

  /** Finishes every layer's stream, then unpublishes the group. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.allSettled(this.layers.map((l) => l.publication.close()));
      await this.group.close();
    })();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
