// A WebTransport session carried by an HTTP/3 connection over QUIC: the Session interface on top of the
// connection driver (H3Connection), which owns the streams, datagrams and the CONNECT stream.
import type {
  BidirectionalStream,
  DatagramDuplex,
  SendStreamOptions,
  Session,
  SessionCloseInfo,
  SessionStats,
} from '../session.ts';
import { DatagramQueue } from '../datagram-queue.ts';
import type { QuicStream } from './quic-stream.ts';
import { TransportError } from './transport-error.ts';

/** What a session needs from its connection. */
export interface SessionHost {
  openStream(session: QuicSession, bidi: boolean, options?: SendStreamOptions): Promise<QuicStream>;
  sendDatagram(session: QuicSession, payload: Uint8Array): void;
  sendDatagrams(session: QuicSession, batch: readonly Uint8Array[]): void;
  closeSession(session: QuicSession, info: SessionCloseInfo): void;
  maxDatagramSize(session: QuicSession): number;
  stats(): Omit<SessionStats, 'datagramsDropped'> & { datagramsDropped: number };
}

interface Pushable<T> {
  readonly stream: ReadableStream<T>;
  push(value: T): boolean;
  end(): void;
}

function pushable<T>(): Pushable<T> {
  let controller!: ReadableStreamDefaultController<T>;
  let ended = false;
  const stream = new ReadableStream<T>({
    start(c) {
      controller = c;
    },
    cancel() {
      ended = true;
    },
  });
  return {
    stream,
    push(value) {
      if (ended) return false;
      controller.enqueue(value);
      return true;
    },
    end() {
      if (ended) return;
      ended = true;
      controller.close();
    },
  };
}

export type QuicSessionState = { state: 'open' } | { state: 'closed'; info: SessionCloseInfo };

export class QuicSession implements Session {
  readonly protocol = 'webtransport';
  readonly ready = Promise.resolve();
  readonly closed: Promise<SessionCloseInfo>;
  readonly datagrams: DatagramDuplex;
  readonly incomingBidirectionalStreams: ReadableStream<BidirectionalStream>;
  readonly incomingUnidirectionalStreams: ReadableStream<ReadableStream<Uint8Array>>;
  /** The CONNECT stream id; also the session id on the wire. */
  readonly id: number;
  /** Streams of this session, so closing the session can end them. */
  readonly streams = new Set<QuicStream>();
  /** Streams the peer opened and that are still open, for maxStreamsPerSession. */
  peerStreamCount = 0;

  readonly #host: SessionHost;
  readonly #incomingBidi = pushable<BidirectionalStream>();
  readonly #incomingUni = pushable<ReadableStream<Uint8Array>>();
  readonly #datagramsIn: DatagramQueue;
  #state: QuicSessionState = { state: 'open' };
  #resolveClosed!: (info: SessionCloseInfo) => void;

  constructor(host: SessionHost, id: number, datagramQueue: number) {
    this.#host = host;
    this.id = id;
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    this.incomingBidirectionalStreams = this.#incomingBidi.stream;
    this.incomingUnidirectionalStreams = this.#incomingUni.stream;
    this.#datagramsIn = new DatagramQueue(datagramQueue);
    const writable = new WritableStream<Uint8Array>({
      write: (chunk) => {
        if (this.#state.state === 'closed') throw TransportError.sessionClosed();
        this.#host.sendDatagram(this, chunk);
      },
    });
    // maxDatagramSize depends on the path, so it is read live.
    const getMax = (): number => this.#host.maxDatagramSize(this);
    this.datagrams = {
      readable: this.#datagramsIn.readable,
      writable,
      get maxDatagramSize() {
        return getMax();
      },
    };
  }

  get state(): QuicSessionState {
    return this.#state;
  }

  async createBidirectionalStream(options?: SendStreamOptions): Promise<BidirectionalStream> {
    if (this.#state.state === 'closed') throw TransportError.sessionClosed();
    const s = await this.#host.openStream(this, true, options);
    if (!s.readable || !s.writable)
      throw new TransportError('INTERNAL', 'bidirectional stream without both sides');
    return { readable: s.readable, writable: s.writable };
  }

  async createUnidirectionalStream(options?: SendStreamOptions): Promise<WritableStream<Uint8Array>> {
    if (this.#state.state === 'closed') throw TransportError.sessionClosed();
    const s = await this.#host.openStream(this, false, options);
    if (!s.writable) throw new TransportError('INTERNAL', 'unidirectional stream without a writable side');
    return s.writable;
  }

  onDatagrams(handler: (batch: Uint8Array[]) => void): () => void {
    return this.#datagramsIn.setBatchHandler(handler);
  }

  sendDatagrams(batch: readonly Uint8Array[]): void {
    if (this.#state.state === 'closed') throw TransportError.sessionClosed();
    this.#host.sendDatagrams(this, batch);
  }

  close(info?: Partial<SessionCloseInfo>): void {
    if (this.#state.state === 'closed') return;
    this.#host.closeSession(this, { closeCode: (info?.closeCode ?? 0) >>> 0, reason: info?.reason ?? '' });
  }

  stats(): SessionStats {
    const s = this.#host.stats();
    return { ...s, datagramsDropped: s.datagramsDropped + this.#datagramsIn.dropped };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.closed;
  }

  // ---- called by the connection driver ----

  /** A stream the peer opened; false if the application stopped accepting (the caller rejects it). */
  acceptIncoming(stream: QuicStream): boolean {
    if (stream.readable && stream.writable)
      return this.#incomingBidi.push({ readable: stream.readable, writable: stream.writable });
    if (stream.readable) return this.#incomingUni.push(stream.readable);
    return false;
  }

  receiveDatagram(payload: Uint8Array): void {
    if (this.#state.state === 'open') this.#datagramsIn.push(payload);
  }

  /** Runs the batch handler (if any) on what arrived, now: called by the connection inside its flush. */
  deliverDatagrams(): void {
    this.#datagramsIn.deliverNow();
  }

  /** Marks the session closed and ends everything the application holds. Idempotent. */
  finish(info: SessionCloseInfo): void {
    if (this.#state.state === 'closed') return;
    this.#state = { state: 'closed', info };
    this.#incomingBidi.end();
    this.#incomingUni.end();
    this.#datagramsIn.close();
    const error = TransportError.sessionClosed(`${info.closeCode} ${info.reason}`.trim());
    for (const s of [...this.streams]) s.fail(error);
    this.streams.clear();
    this.#resolveClosed(info);
  }
}
