// The one session interface that signaling and SFU code are written against. It is shaped like the W3C
// WebTransport API (https://www.w3.org/TR/webtransport/) so the same client code runs on the browser's native
// WebTransport and on our Node implementations (QUIC, WebSocket fallback, in-memory for tests).

/** Why and how a session ended; the W3C `WebTransportCloseInfo`. */
export interface SessionCloseInfo {
  /** Application close code (32-bit unsigned). 0 is a normal close. */
  closeCode: number;
  /** UTF-8 reason, at most 1024 bytes on the wire. */
  reason: string;
}

export interface SendStreamOptions {
  /** Higher numbers are sent first when the connection is congested (W3C `sendOrder`). */
  sendOrder?: number;
}

/** A bidirectional stream; the W3C `WebTransportBidirectionalStream`. */
export interface BidirectionalStream {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
}

/** Datagrams of a session; the W3C `WebTransportDatagramDuplexStream` (the parts we use). */
export interface DatagramDuplex {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  /** Largest datagram payload that fits in one packet of this session. */
  readonly maxDatagramSize: number;
}

/** Counters every implementation keeps; QUIC sessions fill the path figures, others leave them 0. */
export interface SessionStats {
  rttMs: number;
  congestionWindow: number;
  packetsSent: number;
  packetsReceived: number;
  packetsLost: number;
  bytesSent: number;
  bytesReceived: number;
  /** Outgoing datagrams dropped because the bounded queue was full (oldest first). */
  datagramsDropped: number;
}

/**
 * A WebTransport session as the application sees it, whichever transport carries it.
 * Lifetime: `ready` resolves once usable; `closed` resolves (never rejects) with how it ended; `close()` is idempotent.
 */
export interface Session extends AsyncDisposable {
  readonly ready: Promise<void>;
  readonly closed: Promise<SessionCloseInfo>;
  readonly datagrams: DatagramDuplex;
  readonly incomingBidirectionalStreams: ReadableStream<BidirectionalStream>;
  readonly incomingUnidirectionalStreams: ReadableStream<ReadableStream<Uint8Array>>;
  createBidirectionalStream(options?: SendStreamOptions): Promise<BidirectionalStream>;
  createUnidirectionalStream(options?: SendStreamOptions): Promise<WritableStream<Uint8Array>>;
  close(info?: Partial<SessionCloseInfo>): void;
  /** Which transport carries this session: 'webtransport' (QUIC), 'websocket' or 'memory'. */
  readonly protocol: 'webtransport' | 'websocket' | 'memory';
  stats(): SessionStats;
  /**
   * Optional fast path, not part of W3C WebTransport (the browser adapter lacks it; test for it before use):
   * datagrams are handed to `handler` in arrays, everything that arrived in one event-loop turn in one call,
   * instead of one promise per datagram through `datagrams.readable`, which gets nothing while a handler is set.
   * Datagrams already waiting come first. One handler at a time (a new one replaces the old); the returned
   * function removes it. A handler that throws loses that batch only. The arrays are the handler's to keep.
   */
  onDatagrams?(handler: (batch: Uint8Array[]) => void): () => void;
  /**
   * Optional fast path, not W3C: sends each datagram as writing it to `datagrams.writable` would (too large for
   * the path or no room: dropped and counted), without a promise per datagram. The arrays' contents must not
   * change until the next event-loop turn.
   */
  sendDatagrams?(batch: readonly Uint8Array[]): void;
}

/** What a server hands the application before a session exists, so it can accept or refuse (e.g. 401/404). */
export interface SessionRequest {
  /** Path and query of the CONNECT (or WebSocket upgrade) request, e.g. "/signaling?x=1". */
  readonly path: string;
  /** The Origin header, if the client sent one (browsers always do). */
  readonly origin: string | undefined;
  /** Other request headers, lower-case names. */
  readonly headers: ReadonlyMap<string, string>;
  /** Remote address as "ip:port". */
  readonly remoteAddress: string;
}

/** The application's answer to a SessionRequest: accept, or refuse with an HTTP status. */
export type SessionDecision = { accept: true } | { accept: false; status: number };

/** Called once per incoming session request; may be async (e.g. to look something up). */
export type SessionHandler = (request: SessionRequest) => SessionDecision | Promise<SessionDecision>;

export const NORMAL_CLOSE: SessionCloseInfo = { closeCode: 0, reason: '' };
