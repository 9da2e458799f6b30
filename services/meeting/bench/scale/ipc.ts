// Messages between the scale benchmark's orchestrator and its child processes (the controller, the bots).

export type BenchTransport = 'quic' | 'websocket';

export type ControllerRequest =
  | { type: 'stats'; tag: string; gc: boolean }
  | { type: 'profile'; ms: number; path: string }
  | { type: 'close' };

export interface ControllerReady {
  readonly type: 'ready';
  readonly pid: number;
  readonly signaling: string;
  readonly certificateHash: string;
  readonly websocket: string;
  readonly rpc: string;
  readonly ops: string;
}

export interface ControllerStats {
  readonly type: 'stats';
  readonly tag: string;
  readonly rss: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
  readonly arrayBuffers: number;
  readonly cpuUserUs: number;
  readonly cpuSystemUs: number;
  /** Event loop busy fraction since the previous stats request. */
  readonly eventLoopUtilization: number;
  readonly uptimeMs: number;
}

export interface BotParticipant {
  readonly meetingId: string;
  readonly sub: string;
  readonly role: 'host' | 'participant';
}

export interface BotSetup {
  readonly type: 'setup';
  readonly transport: BenchTransport;
  readonly url: string;
  readonly certificateHash: string;
  readonly participants: readonly BotParticipant[];
  readonly keyPem: string;
  readonly kid: string;
  readonly issuer: string;
  readonly heartbeatIntervalMs: number;
}

export type BotRequest =
  | BotSetup
  | {
      readonly type: 'join';
      /** This bot's share of the arrival rate, joins per second. */
      readonly ratePerSec: number;
      /** Most joins this bot has in flight at once (the rate is an upper bound). */
      readonly maxInFlight: number;
    }
  | { readonly type: 'steady'; readonly durationMs: number; readonly layoutSpreadMs: number }
  | { readonly type: 'close' };

export interface JoinReport {
  readonly type: 'joined';
  /** Transport connect (QUIC handshake + CONNECT, or WebSocket upgrade) and opening the signaling stream. */
  readonly connectMs: number[];
  /** JoinRequest sent to JoinResponse received. */
  readonly joinMs: number[];
  readonly failures: string[];
  readonly wallMs: number;
}

export interface SteadyReport {
  readonly type: 'steady';
  /** ClientHeartbeat -> HeartbeatAck, every participant on its heartbeat interval. */
  readonly heartbeatMs: number[];
  /** LayoutRequest (grid 3x3) -> full LayoutUpdate answering it. */
  readonly layoutMs: number[];
  readonly failures: string[];
  /** Heartbeats answered while the join phase ran (for comparison). */
  readonly joinPhaseHeartbeatMs: number[];
  readonly unsolicited: Record<string, number>;
  readonly sessionsOpen: number;
}

export type BotReply = { readonly type: 'ready' } | JoinReport | SteadyReport | { readonly type: 'closed' };
