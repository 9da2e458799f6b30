import { create } from '@bufbuild/protobuf';
import {
  Envelopes,
  ErrorCode,
  KeyframeRequestSchema,
  MediaClientMessageSchema,
  MediaServerMessageSchema,
  MediaTransport,
  MessageWriter,
  readMessages,
  type MediaClientMessage,
  type MediaServerMessage,
  type StreamType,
} from '@darktower/protocol';
import type { BidirectionalStream } from '@darktower/transport';

/** What arrives on a media control channel, whichever side of it we are. */
export type ControlEvent =
  | { kind: 'keyframeRequest'; streamId: string }
  | {
      kind: 'feedback';
      streamId: string;
      bandwidthBps: number;
      packetLoss: number;
      rttMs: number;
      preferredLayerId: string;
    }
  | { kind: 'ignored' };

export interface Announcement {
  streamId: string;
  sourceStreamId: string;
  sourceParticipantId: string;
  slot: number | undefined;
  datagram: boolean;
  streamType: StreamType;
  codec: string;
}

/**
 * One side of the media control bidi stream. The accepting side (server role) reads MediaClientMessage and writes
 * MediaServerMessage; a handler that dialed a cascade peer is in the client role. Both map to the same events.
 */
export interface ControlPort {
  readonly role: 'server' | 'client';
  events(): AsyncIterable<ControlEvent>;
  requestKeyframe(streamId: string): void;
  /** Server role only: tell the client a forwarded stream is starting / stopping. */
  announce(a: Announcement): void;
  withdraw(streamId: string): void;
  close(reason?: unknown): void;
  /** Control messages that failed to send (the channel is dead then). */
  readonly sendFailures: number;
}

export const MAX_CONTROL_MESSAGE = 16 * 1024;

/** Server role, given the reader already past the auth message. */
export class ServerControlPort implements ControlPort {
  readonly role = 'server';
  readonly #writer: MessageWriter<typeof MediaServerMessageSchema>;
  readonly #incoming: AsyncIterator<MediaClientMessage>;
  sendFailures = 0;

  constructor(stream: BidirectionalStream, incoming: AsyncIterator<MediaClientMessage>) {
    this.#writer = new MessageWriter(stream.writable, Envelopes.mediaServer, {
      maxMessageSize: MAX_CONTROL_MESSAGE,
    });
    this.#incoming = incoming;
  }

  send(message: MediaServerMessage): Promise<void> {
    return this.#writer.write(message).catch(() => {
      this.sendFailures++;
    });
  }

  async *events(): AsyncIterable<ControlEvent> {
    for (;;) {
      const next = await this.#incoming.next();
      if (next.done === true) return;
      const kind = next.value.kind;
      switch (kind.case) {
        case 'keyframeRequest':
          yield { kind: 'keyframeRequest', streamId: kind.value.streamId };
          break;
        case 'subscriberFeedback':
          yield {
            kind: 'feedback',
            streamId: kind.value.streamId,
            bandwidthBps: Number(kind.value.estimatedBandwidthBps),
            packetLoss: kind.value.packetLoss,
            rttMs: kind.value.rttMs,
            preferredLayerId: kind.value.preferredLayerId.slice(0, 64),
          };
          break;
        case 'auth':
        case undefined:
          yield { kind: 'ignored' };
          break;
        default: {
          const never: never = kind;
          return never;
        }
      }
    }
  }

  requestKeyframe(streamId: string): void {
    void this.send(
      create(MediaServerMessageSchema, {
        kind: { case: 'keyframeRequest', value: create(KeyframeRequestSchema, { streamId }) },
      }),
    );
  }

  announce(a: Announcement): void {
    void this.send(
      create(MediaServerMessageSchema, {
        kind: {
          case: 'streamAnnouncement',
          value: {
            streamId: a.streamId,
            sourceStreamId: a.sourceStreamId,
            sourceParticipantId: a.sourceParticipantId,
            slot: a.slot,
            transport: a.datagram ? MediaTransport.DATAGRAM : MediaTransport.UNI_STREAM,
            streamType: a.streamType,
            codec: a.codec,
            layerId: '',
          },
        },
      }),
    );
  }

  withdraw(streamId: string): void {
    void this.send(
      create(MediaServerMessageSchema, { kind: { case: 'streamWithdrawn', value: { streamId } } }),
    );
  }

  sendError(code: ErrorCode, message: string): Promise<void> {
    return this.send(create(MediaServerMessageSchema, { kind: { case: 'error', value: { code, message } } }));
  }

  close(reason?: unknown): void {
    void this.#writer.close(reason);
    void this.#incoming.return?.();
  }
}

/** Client role: a handler that dialed a cascade peer. */
export class ClientControlPort implements ControlPort {
  readonly role = 'client';
  readonly #writer: MessageWriter<typeof MediaClientMessageSchema>;
  readonly #incoming: AsyncIterator<MediaServerMessage>;
  sendFailures = 0;

  constructor(stream: BidirectionalStream, incoming?: AsyncIterator<MediaServerMessage>) {
    this.#writer = new MessageWriter(stream.writable, Envelopes.mediaClient, {
      maxMessageSize: MAX_CONTROL_MESSAGE,
    });
    this.#incoming =
      incoming ??
      readMessages(stream.readable, Envelopes.mediaServer, { maxMessageSize: MAX_CONTROL_MESSAGE })[
        Symbol.asyncIterator
      ]();
  }

  get incoming(): AsyncIterator<MediaServerMessage> {
    return this.#incoming;
  }

  send(message: MediaClientMessage): Promise<void> {
    return this.#writer.write(message).catch(() => {
      this.sendFailures++;
    });
  }

  async *events(): AsyncIterable<ControlEvent> {
    for (;;) {
      const next = await this.#incoming.next();
      if (next.done === true) return;
      const kind = next.value.kind;
      if (kind.case === 'keyframeRequest') yield { kind: 'keyframeRequest', streamId: kind.value.streamId };
      else yield { kind: 'ignored' };
    }
  }

  requestKeyframe(streamId: string): void {
    void this.send(
      create(MediaClientMessageSchema, {
        kind: { case: 'keyframeRequest', value: create(KeyframeRequestSchema, { streamId }) },
      }),
    );
  }

  announce(): void {
    // The client role has no announcement message: the stream header says all a handler needs.
  }

  withdraw(): void {
    // As above.
  }

  close(reason?: unknown): void {
    void this.#writer.close(reason);
    void this.#incoming.return?.();
  }
}
