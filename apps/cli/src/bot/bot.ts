// One synthetic participant: joins through the client SDK's Meeting (signaling + media over QUIC), publishes
// synthetic video and/or audio with checksummed payloads, subscribes video through a grid layout (audio directly),
// and counts what it sends and receives. Recovery after drops is the SDK's resume; the bot records how long each
// took and whether the participant id stayed the same.
import {
  DarkTowerApi,
  Meeting,
  SyntheticSource,
  type ClientTracer,
  type Connector,
  type LayoutSpec,
  type LocalPublication,
  type MeetingState,
} from '@darktower/client';
import type { LatencySamples } from './stats.ts';
import { StreamTracker } from './stream-tracker.ts';

export type PublishMode = 'video' | 'audio' | 'both' | 'none';

export interface BotOptions {
  readonly baseUrl: string;
  readonly meeting: string;
  readonly name: string;
  readonly connector: Connector;
  readonly publish: PublishMode;
  readonly layout?: LayoutSpec | undefined;
  readonly videoFps?: number;
  readonly audioFps?: number;
  readonly videoBytes?: number;
  readonly reconnectAttempts?: number;
  readonly reconnectDelayMs?: number;
  /** Shared latency reservoir (ms from capture to receipt; the same clock on one machine). */
  readonly latency: LatencySamples;
  readonly fetch?: typeof fetch;
  /** Spans of the join (the SDK's join trace), e.g. service-kit's spanHandleTracer; default none. */
  readonly tracer?: ClientTracer | undefined;
}

export interface BotRecovery {
  readonly startedAtMs: number;
  readonly durationMs: number;
  readonly sameParticipantId: boolean;
}

export type BotPhase = 'idle' | 'joining' | 'joined' | 'reconnecting' | 'left' | 'failed';

export class Bot implements AsyncDisposable {
  readonly name: string;
  readonly #o: BotOptions;
  readonly #abort = new AbortController();
  readonly #trackers = new Map<string, StreamTracker>();
  readonly #recoveries: BotRecovery[] = [];
  readonly #publications: LocalPublication[] = [];
  readonly #runs: Promise<void>[] = [];
  #meeting: Meeting | undefined;
  #phase: BotPhase = 'idle';
  #firstParticipantId = '';
  #dropAtMs: number | undefined;
  #framesSent = 0;
  #framesReceived = 0;
  #lastFrameAtMs = 0;
  #error: unknown;
  #leftReason = '';
  readonly #publicationFailures: string[] = [];
  #closing: Promise<void> | undefined;

  constructor(options: BotOptions) {
    this.#o = options;
    this.name = options.name;
  }

  get phase(): BotPhase {
    return this.#phase;
  }
  get participantId(): string {
    return this.#meeting?.participantId ?? this.#firstParticipantId;
  }
  get firstParticipantId(): string {
    return this.#firstParticipantId;
  }
  get meetingId(): string {
    return this.#meeting?.meetingId ?? '';
  }
  get framesSent(): number {
    return this.#framesSent;
  }
  get framesReceived(): number {
    return this.#framesReceived;
  }
  /** Wall-clock ms of the last remote frame (0 before the first). */
  get lastFrameAtMs(): number {
    return this.#lastFrameAtMs;
  }
  get recoveries(): readonly BotRecovery[] {
    return this.#recoveries;
  }
  get error(): unknown {
    return this.#error;
  }
  get leftReason(): string {
    return this.#leftReason;
  }
  /** Streams the handler refused or reset, with the innermost cause. */
  get publicationFailures(): readonly string[] {
    return this.#publicationFailures;
  }
  get meeting(): Meeting | undefined {
    return this.#meeting;
  }
  /** Frames received and expected (by frame-number gaps) over every remote stream. */
  get streamCounts(): { received: number; expected: number; corrupt: number; streams: number } {
    let received = 0;
    let expected = 0;
    let corrupt = 0;
    for (const t of this.#trackers.values()) {
      const c = t.counts;
      received += c.received;
      expected += c.expected;
      corrupt += c.corrupt;
    }
    return { received, expected, corrupt, streams: this.#trackers.size };
  }

  async join(signal?: AbortSignal): Promise<void> {
    this.#phase = 'joining';
    const api = new DarkTowerApi({
      baseUrl: this.#o.baseUrl,
      ...(this.#o.fetch === undefined ? {} : { fetch: this.#o.fetch }),
    });
    try {
      const meeting = await Meeting.join(
        {
          api,
          connector: this.#o.connector,
          meeting: this.#o.meeting,
          displayName: this.#o.name,
          reconnectAttempts: this.#o.reconnectAttempts ?? 30,
          reconnectDelayMs: this.#o.reconnectDelayMs ?? 250,
          ...(this.#o.tracer === undefined ? {} : { tracer: this.#o.tracer }),
        },
        signal,
      );
      this.#meeting = meeting;
      this.#firstParticipantId = meeting.participantId;
      this.#phase = 'joined';
      meeting.events.on('stateChanged', (s) => {
        this.#onState(s);
      });
      meeting.events.on('remoteFrame', (f) => {
        let t = this.#trackers.get(f.sourceStreamId);
        if (t === undefined) this.#trackers.set(f.sourceStreamId, (t = new StreamTracker()));
        const captured = t.record(f.payload);
        this.#framesReceived++;
        const now = Date.now();
        this.#lastFrameAtMs = now;
        if (captured !== undefined) this.#o.latency.add(now - captured / 1000);
      });
      meeting.events.on('error', () => undefined);
      meeting.events.on('publicationFailed', (streamId, error) => {
        this.#publicationFailures.push(`stream ${streamId}: ${describe(error)}`);
      });
      const mode = this.#o.publish;
      if (mode === 'video' || mode === 'both')
        await this.#startSource(meeting, 'video', this.#o.videoFps ?? 30, signal);
      if (mode === 'audio' || mode === 'both')
        await this.#startSource(meeting, 'audio', this.#o.audioFps ?? 50, signal);
      if (this.#o.layout !== undefined) await meeting.setLayout(this.#o.layout, {}, signal);
    } catch (error) {
      this.#phase = 'failed';
      this.#error = error;
      throw error;
    }
  }

  async #startSource(
    meeting: Meeting,
    kind: 'video' | 'audio',
    fps: number,
    signal?: AbortSignal,
  ): Promise<void> {
    const publication = await meeting.publish(
      kind === 'video'
        ? { kind: 'camera', codec: 'VP8', width: 320, height: 180, framerate: fps }
        : { kind: 'audio', codec: 'Opus' },
      signal,
    );
    this.#publications.push(publication);
    const source = new SyntheticSource({
      kind,
      fps,
      ...(kind === 'video' && this.#o.videoBytes !== undefined ? { size: this.#o.videoBytes } : {}),
    });
    publication.events.on('keyframeRequested', () => {
      source.requestKeyframe();
    });
    this.#runs.push(
      source.run(async (frame) => {
        if (this.#phase !== 'joined' || publication.isClosed) return;
        const before = publication.stats.framesSent;
        await publication.send(frame);
        // Counted only when the media stream took it (a publication without a live stream drops frames).
        if (publication.stats.framesSent > before) this.#framesSent++;
      }, this.#abort.signal),
    );
  }

  #onState(s: MeetingState): void {
    switch (s.state) {
      case 'reconnecting':
        if (this.#phase !== 'reconnecting') this.#dropAtMs = Date.now();
        this.#phase = 'reconnecting';
        break;
      case 'joined':
        if (this.#dropAtMs !== undefined) {
          const now = Date.now();
          this.#recoveries.push({
            startedAtMs: this.#dropAtMs,
            durationMs: now - this.#dropAtMs,
            sameParticipantId: s.participantId === this.#firstParticipantId,
          });
          this.#dropAtMs = undefined;
        }
        this.#phase = 'joined';
        break;
      case 'left':
        this.#phase = s.reason === 'left' && this.#closing !== undefined ? 'left' : 'failed';
        this.#leftReason = s.reason;
        if (s.error !== undefined) this.#error = s.error;
        break;
      default:
        break;
    }
  }

  /** Leaves the meeting (goodbye to the controller) and stops the sources. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#abort.abort();
      await Promise.allSettled(this.#runs);
      const meeting = this.#meeting;
      if (meeting !== undefined) await meeting.leave().catch(() => undefined);
      if (this.#phase !== 'failed') this.#phase = 'left';
    })();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function describe(error: unknown): string {
  const parts: string[] = [];
  let e: unknown = error;
  for (let depth = 0; depth < 6 && e instanceof Error; depth++) {
    const code = (e as { code?: unknown }).code;
    parts.push(`${typeof code === 'string' ? `${code}: ` : ''}${e.message}`);
    e = e.cause;
  }
  return parts.length > 0 ? parts.join(' <- ') : String(error);
}
