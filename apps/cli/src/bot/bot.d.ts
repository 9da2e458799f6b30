import { Meeting, type Connector, type LayoutSpec } from '@darktower/client';
import type { LatencySamples } from './stats.ts';
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
}
export interface BotRecovery {
  readonly startedAtMs: number;
  readonly durationMs: number;
  readonly sameParticipantId: boolean;
}
export type BotPhase = 'idle' | 'joining' | 'joined' | 'reconnecting' | 'left' | 'failed';
export declare class Bot implements AsyncDisposable {
  #private;
  readonly name: string;
  constructor(options: BotOptions);
  get phase(): BotPhase;
  get participantId(): string;
  get firstParticipantId(): string;
  get meetingId(): string;
  get framesSent(): number;
  get framesReceived(): number;
  /** Wall-clock ms of the last remote frame (0 before the first). */
  get lastFrameAtMs(): number;
  get recoveries(): readonly BotRecovery[];
  get error(): unknown;
  get leftReason(): string;
  /** Streams the handler refused or reset, with the innermost cause. */
  get publicationFailures(): readonly string[];
  get meeting(): Meeting | undefined;
  /** Frames received and expected (by frame-number gaps) over every remote stream. */
  get streamCounts(): {
    received: number;
    expected: number;
    corrupt: number;
    streams: number;
  };
  join(signal?: AbortSignal): Promise<void>;
  /** Leaves the meeting (goodbye to the controller) and stops the sources. Idempotent. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}
//# sourceMappingURL=bot.d.ts.map
