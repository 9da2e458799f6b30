import type { StreamId } from '../ids.ts';
import type { ForwardFrame, FrameSink } from './frame.ts';

export interface OutputLimits {
  /** Frames queued (not yet handed to the sink) before the drop policy applies. */
  maxFrames: number;
  /** Bytes queued before the drop policy applies. A single key frame larger than this is still admitted. */
  maxBytes: number;
}

export interface OutputCounters {
  framesForwarded: number;
  bytesForwarded: number;
  framesDropped: number;
  bytesDropped: number;
  keyframeRequests: number;
}

export interface SubscriberOutputOptions {
  /** Id of the stream the subscriber sees (its layout slot id or the simulcast group id, else the source id). */
  streamId: StreamId;
  /**
   * When set, the 16 bytes written over the stream id of each forwarded frame header: the subscriber gets a
   * 46-byte header copy, the payload bytes stay shared.
   */
  relabel?: Uint8Array | undefined;
  media: 'audio' | 'video';
  sink: FrameSink;
  limits: OutputLimits;
  /** Called (synchronously, must not throw) when this output needs a key frame: at start and after a drop. */
  onKeyframeNeeded: (output: SubscriberOutput) => void;
  /** Called once when the sink failed; the output is closed by then. */
  onSinkError?: (output: SubscriberOutput, error: unknown) => void;
}

const FRAME_HEADER_BYTES = 46;
const FRAME_STREAM_ID_OFFSET = 2;

type State = { state: 'waitingForKey' } | { state: 'flowing' } | { state: 'closed' };

/**
 * One forwarded stream towards one subscriber (a client or a cascade link): a bounded queue between the
 * publisher's ingest and the subscriber's sink. `push` is synchronous and never waits for the subscriber; when the
 * queue is full the drop policy applies:
 * - video: an incoming delta frame that does not fit is dropped and the output waits for the next key frame
 *   (every delta after a gap is undecodable), asking for one; a key frame that does not fit first evicts queued
 *   delta frames, then older key frames (a new key frame supersedes everything before it);
 * - audio: the oldest queued frames are dropped (freshness beats completeness for speech).
 */
export class SubscriberOutput {
  readonly streamId: StreamId;
  readonly media: 'audio' | 'video';
  readonly counters: OutputCounters = {
    framesForwarded: 0,
    bytesForwarded: 0,
    framesDropped: 0,
    bytesDropped: 0,
    keyframeRequests: 0,
  };

  readonly #sink: FrameSink;
  readonly #limits: OutputLimits;
  readonly #onKeyframeNeeded: (output: SubscriberOutput) => void;
  readonly #onSinkError: ((output: SubscriberOutput, error: unknown) => void) | undefined;
  readonly #relabel: Uint8Array | undefined;
  // Ring-free FIFO: an array with a moving head, compacted when the head passes half.
  #queue: (ForwardFrame | undefined)[] = [];
  #head = 0;
  #queuedBytes = 0;
  #pumping = false;
  #state: State;

  constructor(options: SubscriberOutputOptions) {
    this.streamId = options.streamId;
    this.media = options.media;
    this.#sink = options.sink;
    this.#limits = options.limits;
    this.#onKeyframeNeeded = options.onKeyframeNeeded;
    this.#onSinkError = options.onSinkError;
    this.#relabel = options.relabel;
    this.#state = options.media === 'video' ? { state: 'waitingForKey' } : { state: 'flowing' };
    if (this.#state.state === 'waitingForKey') this.#needKeyframe();
  }

  get queueDepth(): number {
    return this.#queue.length - this.#head;
  }

  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  get isWaitingForKeyframe(): boolean {
    return this.#state.state === 'waitingForKey';
  }

  get isClosed(): boolean {
    return this.#state.state === 'closed';
  }

  /** Offers one frame. Synchronous; never waits on the subscriber. */
  push(frame: ForwardFrame): void {
    switch (this.#state.state) {
      case 'closed':
        return;
      case 'waitingForKey':
        if (frame.kind !== 'key') {
          this.#drop(frame);
          return;
        }
        this.#state = { state: 'flowing' };
        break;
      case 'flowing':
        break;
      default: {
        const never: never = this.#state;
        return never;
      }
    }
    if (!this.#fits(frame)) {
      switch (frame.kind) {
        case 'delta':
          this.#drop(frame);
          // A discardable frame leaves later frames decodable: no need to wait for a key frame.
          if (frame.discardable === true) return;
          this.#state = { state: 'waitingForKey' };
          this.#needKeyframe();
          return;
        case 'key':
          this.#evictForKey(frame);
          break;
        case 'audio':
          while (this.queueDepth > 0 && !this.#fits(frame)) this.#drop(this.#shift());
          break;
        default: {
          const never: never = frame.kind;
          return never;
        }
      }
    }
    this.#queue.push(frame);
    this.#queuedBytes += frame.wire.byteLength;
    if (!this.#pumping) this.#pump();
  }

  /** Stops forwarding; queued frames are discarded (not counted as drops) and the sink is ended. Idempotent. */
  close(): void {
    if (this.#state.state === 'closed') return;
    this.#state = { state: 'closed' };
    this.#queue = [];
    this.#head = 0;
    this.#queuedBytes = 0;
    try {
      this.#sink.close();
    } catch {
      // The sink is already dead; ending it again has nothing to report.
    }
  }

  #fits(frame: ForwardFrame): boolean {
    return (
      this.queueDepth + 1 <= this.#limits.maxFrames &&
      this.#queuedBytes + frame.wire.byteLength <= this.#limits.maxBytes
    );
  }

  #evictForKey(frame: ForwardFrame): void {
    // Deltas first: they are the cheapest to lose (and the queued key before them still decodes).
    const kept: (ForwardFrame | undefined)[] = [];
    for (let i = this.#head; i < this.#queue.length; i++) {
      const f = this.#queue[i];
      if (f === undefined) continue;
      if (f.kind === 'delta') this.#countDrop(f);
      else kept.push(f);
    }
    this.#queue = kept;
    this.#head = 0;
    this.#queuedBytes = kept.reduce((sum, f) => sum + (f?.wire.byteLength ?? 0), 0);
    while (this.queueDepth > 0 && !this.#fits(frame)) this.#drop(this.#shift());
  }

  #shift(): ForwardFrame {
    const frame = this.#queue[this.#head];
    if (frame === undefined) throw new Error('queue underflow');
    this.#queue[this.#head] = undefined;
    this.#head++;
    if (this.#head > 64 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    this.#queuedBytes -= frame.wire.byteLength;
    return frame;
  }

  #drop(frame: ForwardFrame): void {
    this.#countDrop(frame);
  }

  #countDrop(frame: ForwardFrame): void {
    this.counters.framesDropped++;
    this.counters.bytesDropped += frame.wire.byteLength;
  }

  #needKeyframe(): void {
    this.counters.keyframeRequests++;
    this.#onKeyframeNeeded(this);
  }

  #header(frame: ForwardFrame): Uint8Array {
    const header = frame.wire.slice(0, FRAME_HEADER_BYTES);
    if (this.#relabel !== undefined) header.set(this.#relabel, FRAME_STREAM_ID_OFFSET);
    return header;
  }

  /**
   * Hands queued frames to the sink. Synchronous while the sink takes them without a promise (the common case:
   * one frame per push), so a forwarded frame costs no async function and no microtask here; when the sink asks
   * to wait, the pump resumes once its promise settles. A throw or a rejection closes the output.
   */
  #pump(): void {
    this.#pumping = true;
    try {
      while (this.queueDepth > 0 && this.#state.state !== 'closed') {
        const frame = this.#shift();
        const pending =
          this.#relabel === undefined
            ? this.#sink.write(frame.wire)
            : this.#sink.write(frame.wire, this.#header(frame));
        this.counters.framesForwarded++;
        this.counters.bytesForwarded += frame.wire.byteLength;
        if (pending !== undefined) {
          pending.then(this.#resume, this.#sinkFailed);
          return; // still pumping: push() only queues until the sink is ready again
        }
      }
    } catch (error) {
      this.#sinkFailed(error);
      return;
    }
    this.#pumping = false;
  }

  readonly #resume = (): void => {
    this.#pump();
  };

  readonly #sinkFailed = (error: unknown): void => {
    this.#pumping = false;
    this.close();
    this.#onSinkError?.(this, error);
  };
}
