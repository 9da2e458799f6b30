// A Session carried over one WebSocket: multiplexed bidirectional and unidirectional streams with per-stream
// flow control, and datagram-like messages. Used where WebTransport is unavailable (some Safari/Firefox builds,
// proxies that block UDP). The same class runs in the browser and in Node, on either end.
import { DatagramQueue } from '../datagram-queue.ts';
import type {
  BidirectionalStream,
  DatagramDuplex,
  SendStreamOptions,
  Session,
  SessionCloseInfo,
  SessionStats,
} from '../session.ts';
import { decodeMuxFrame, encodeMuxFrame, MuxFrameError, MuxType, type MuxFrame } from './mux-frame.ts';
import { ReceiveHalf, SendHalf, type MuxStreamHost } from './mux-stream.ts';
import { WS_OPEN, type WebSocketLike } from './websocket-like.ts';

export interface MuxSessionOptions {
  /** Which end this is: client-opened streams get even ids, server-opened odd ids. */
  role: 'client' | 'server';
  /** Most streams the peer may have open at once. */
  maxIncomingStreams?: number;
  /** Received datagrams held before the oldest is dropped. */
  datagramQueue?: number;
  /** Socket send-buffer level above which stream writers wait and datagrams are dropped. */
  sendBufferHighWater?: number;
  maxDatagramSize?: number;
}

/** WebSocket close code used for a protocol violation by the peer. */
const WS_PROTOCOL_ERROR = 1002;
/** Session close code reported when the socket dropped without a CLOSE frame. */
export const CONNECTION_LOST = 0x1006;

export class MuxSession implements Session, MuxStreamHost {
  readonly protocol = 'websocket';
  readonly ready = Promise.resolve();
  readonly closed: Promise<SessionCloseInfo>;
  readonly datagrams: DatagramDuplex;
  readonly incomingBidirectionalStreams: ReadableStream<BidirectionalStream>;
  readonly incomingUnidirectionalStreams: ReadableStream<ReadableStream<Uint8Array>>;

  readonly #ws: WebSocketLike;
  readonly #role: 'client' | 'server';
  readonly #maxIncoming: number;
  readonly #highWater: number;
  readonly #sends = new Map<number, SendHalf>();
  readonly #recvs = new Map<number, ReceiveHalf>();
  readonly #datagramsIn: DatagramQueue;
  #incomingBidi!: ReadableStreamDefaultController<BidirectionalStream>;
  #incomingUni!: ReadableStreamDefaultController<ReadableStream<Uint8Array>>;
  #nextId: number;
  #incomingOpen = 0;
  #resolveClosed!: (info: SessionCloseInfo) => void;
  #closeInfo: SessionCloseInfo | undefined;
  #drainWaiters: (() => void)[] = [];
  #drainTimer: ReturnType<typeof setInterval> | undefined;
  readonly #stats: SessionStats = {
    rttMs: 0,
    congestionWindow: 0,
    packetsSent: 0,
    packetsReceived: 0,
    packetsLost: 0,
    bytesSent: 0,
    bytesReceived: 0,
    datagramsDropped: 0,
  };

  constructor(ws: WebSocketLike, options: MuxSessionOptions) {
    this.#ws = ws;
    this.#role = options.role;
    this.#nextId = options.role === 'client' ? 0 : 1;
    this.#maxIncoming = options.maxIncomingStreams ?? 1000;
    this.#highWater = options.sendBufferHighWater ?? 1024 * 1024;
    this.#datagramsIn = new DatagramQueue(options.datagramQueue ?? 256);
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    this.incomingBidirectionalStreams = new ReadableStream({ start: (c) => void (this.#incomingBidi = c) });
    this.incomingUnidirectionalStreams = new ReadableStream({ start: (c) => void (this.#incomingUni = c) });
    const maxDatagramSize = options.maxDatagramSize ?? 1199;
    this.datagrams = {
      readable: this.#datagramsIn.readable,
      writable: new WritableStream<Uint8Array>({
        write: (chunk) => {
          this.#sendDatagram(chunk);
        },
      }),
      maxDatagramSize,
    };

    ws.binaryType = 'arraybuffer';
    ws.onmessage = (event) => {
      this.#onMessage(event.data);
    };
    ws.onclose = (event) => {
      this.#finish({ closeCode: CONNECTION_LOST, reason: event.reason || 'connection lost' });
    };
    ws.onerror = () => {
      // The close event follows and carries what we report.
    };
  }

  // MuxStreamHost

  send(frame: MuxFrame): void {
    if (this.#closeInfo !== undefined || this.#ws.readyState !== WS_OPEN) return;
    const bytes = encodeMuxFrame(frame);
    this.#stats.packetsSent++;
    this.#stats.bytesSent += bytes.byteLength;
    this.#ws.send(bytes);
  }

  socketWritable(): Promise<void> {
    if (this.#ws.bufferedAmount <= this.#highWater || this.#closeInfo !== undefined) return Promise.resolve();
    // Neither the browser's WebSocket nor Node's global one has a drain event: poll the buffer level.
    this.#drainTimer ??= setInterval(() => {
      if (this.#ws.bufferedAmount > this.#highWater && this.#closeInfo === undefined) return;
      clearInterval(this.#drainTimer);
      this.#drainTimer = undefined;
      const waiters = this.#drainWaiters;
      this.#drainWaiters = [];
      for (const w of waiters) w();
    }, 5);
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  release(id: number, direction: 'send' | 'recv'): void {
    const isIncoming = (id % 2 === 0) !== (this.#role === 'client');
    const map = direction === 'send' ? this.#sends : this.#recvs;
    if (!map.delete(id)) return;
    if (isIncoming && !this.#sends.has(id) && !this.#recvs.has(id)) this.#incomingOpen--;
  }

  violation(message: string): void {
    this.#fail(new MuxFrameError(message));
  }

  // Session

  createBidirectionalStream(_options?: SendStreamOptions): Promise<BidirectionalStream> {
    if (this.#closeInfo !== undefined) return Promise.reject(new Error('session closed'));
    const id = this.#allocate();
    this.send({ type: MuxType.OpenBidi, id });
    const send = new SendHalf(id, this);
    const recv = new ReceiveHalf(id, this);
    this.#sends.set(id, send);
    this.#recvs.set(id, recv);
    return Promise.resolve({ readable: recv.readable, writable: send.writable });
  }

  createUnidirectionalStream(_options?: SendStreamOptions): Promise<WritableStream<Uint8Array>> {
    if (this.#closeInfo !== undefined) return Promise.reject(new Error('session closed'));
    const id = this.#allocate();
    this.send({ type: MuxType.OpenUni, id });
    const send = new SendHalf(id, this);
    this.#sends.set(id, send);
    return Promise.resolve(send.writable);
  }

  close(info?: Partial<SessionCloseInfo>): void {
    if (this.#closeInfo !== undefined) return;
    const full = { closeCode: info?.closeCode ?? 0, reason: info?.reason ?? '' };
    this.send({ type: MuxType.Close, code: full.closeCode, reason: full.reason });
    this.#finish(full);
    this.#ws.close(1000);
  }

  onDatagrams(handler: (batch: Uint8Array[]) => void): () => void {
    return this.#datagramsIn.setBatchHandler(handler);
  }

  sendDatagrams(batch: readonly Uint8Array[]): void {
    for (const chunk of batch) this.#sendDatagram(chunk);
  }

  #sendDatagram(chunk: Uint8Array): void {
    if (this.#closeInfo !== undefined) throw new Error('session closed');
    // Like a real datagram path: too large or no room right now means the datagram is lost, never queued.
    if (chunk.byteLength > this.datagrams.maxDatagramSize || this.#ws.bufferedAmount > this.#highWater) {
      this.#stats.datagramsDropped++;
      return;
    }
    this.send({ type: MuxType.Datagram, data: chunk });
  }

  stats(): SessionStats {
    return { ...this.#stats };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.closed;
  }

  // Internals

  #allocate(): number {
    const id = this.#nextId;
    this.#nextId += 2;
    if (this.#nextId >= 2 ** 32) this.#fail(new MuxFrameError('stream ids exhausted'));
    return id;
  }

  #onMessage(data: unknown): void {
    if (this.#closeInfo !== undefined) return;
    let bytes: Uint8Array;
    if (data instanceof ArrayBuffer) bytes = new Uint8Array(data);
    else if (data instanceof Uint8Array) bytes = data;
    else {
      this.#fail(new MuxFrameError('text message on a binary session'));
      return;
    }
    this.#stats.packetsReceived++;
    this.#stats.bytesReceived += bytes.byteLength;
    let frame: MuxFrame;
    try {
      frame = decodeMuxFrame(bytes);
    } catch (error) {
      this.#fail(error instanceof MuxFrameError ? error : new MuxFrameError('undecodable frame'));
      return;
    }
    this.#dispatch(frame);
  }

  #dispatch(frame: MuxFrame): void {
    switch (frame.type) {
      case MuxType.OpenBidi:
      case MuxType.OpenUni: {
        const peerParity = this.#role === 'client' ? 1 : 0;
        if (frame.id % 2 !== peerParity) {
          this.violation(`stream ${frame.id} has the wrong parity`);
          return;
        }
        if (this.#sends.has(frame.id) || this.#recvs.has(frame.id)) {
          this.violation('stream id reused');
          return;
        }
        if (this.#incomingOpen >= this.#maxIncoming) {
          this.violation('too many streams');
          return;
        }
        this.#incomingOpen++;
        const recv = new ReceiveHalf(frame.id, this);
        this.#recvs.set(frame.id, recv);
        if (frame.type === MuxType.OpenUni) {
          this.#incomingUni.enqueue(recv.readable);
        } else {
          const send = new SendHalf(frame.id, this);
          this.#sends.set(frame.id, send);
          this.#incomingBidi.enqueue({ readable: recv.readable, writable: send.writable });
        }
        return;
      }
      case MuxType.Data:
        this.#recvs.get(frame.id)?.data(frame.data);
        return;
      case MuxType.Fin:
        this.#recvs.get(frame.id)?.fin();
        return;
      case MuxType.Reset:
        this.#recvs.get(frame.id)?.reset(new Error(`stream reset by peer (code ${frame.code})`));
        return;
      case MuxType.Stop:
        this.#sends.get(frame.id)?.stop(new Error(`peer stopped reading (code ${frame.code})`));
        return;
      case MuxType.Credit:
        this.#sends.get(frame.id)?.grant(frame.bytes);
        return;
      case MuxType.Datagram:
        this.#datagramsIn.push(frame.data.slice());
        return;
      case MuxType.Close:
        this.#finish({ closeCode: frame.code, reason: frame.reason });
        this.#ws.close(1000);
        return;
      default: {
        const never: never = frame;
        this.violation(`unhandled frame ${String(never)}`);
        return;
      }
    }
  }

  #fail(error: MuxFrameError): void {
    if (this.#closeInfo !== undefined) return;
    this.send({ type: MuxType.Close, code: 1, reason: error.message });
    this.#finish({ closeCode: 1, reason: error.message });
    this.#ws.close(WS_PROTOCOL_ERROR, 'protocol error');
  }

  #finish(info: SessionCloseInfo): void {
    if (this.#closeInfo !== undefined) return;
    this.#closeInfo = info;
    const error = new Error(`session closed: ${info.closeCode} ${info.reason}`);
    for (const s of this.#sends.values()) s.stop(error);
    for (const r of this.#recvs.values()) r.reset(error);
    this.#sends.clear();
    this.#recvs.clear();
    this.#datagramsIn.close();
    closeQuietly(this.#incomingBidi);
    closeQuietly(this.#incomingUni);
    if (this.#drainTimer !== undefined) clearInterval(this.#drainTimer);
    for (const w of this.#drainWaiters) w();
    this.#drainWaiters = [];
    this.#resolveClosed(info);
  }
}

/** Ends a queue of incoming streams; one the application already cancelled needs nothing. */
function closeQuietly(controller: ReadableStreamDefaultController<unknown>): void {
  try {
    controller.close();
  } catch {
    // cancelled by the consumer (or already closed): there is no reader left to tell
  }
}
