// An in-memory pair of connected sessions with the full Session interface, for unit tests of code written
// against Session (signaling, SFU). Real transports are tested separately on real sockets.
import type {
  BidirectionalStream,
  DatagramDuplex,
  SendStreamOptions,
  Session,
  SessionCloseInfo,
  SessionStats,
} from './session.ts';
import { DatagramQueue } from './datagram-queue.ts';

export interface MemorySessionOptions {
  /** Datagrams a receiver holds before the oldest is dropped. */
  datagramQueue?: number;
  maxDatagramSize?: number;
}

interface Controllable<T> {
  stream: ReadableStream<T>;
  push(value: T): void;
  end(): void;
}

function pushable<T>(): Controllable<T> {
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
      if (!ended) controller.enqueue(value);
    },
    end() {
      if (ended) return;
      ended = true;
      controller.close();
    },
  };
}

class MemorySession implements Session {
  readonly protocol = 'memory';
  readonly ready = Promise.resolve();
  readonly closed: Promise<SessionCloseInfo>;
  readonly datagrams: DatagramDuplex;
  readonly incomingBidirectionalStreams: ReadableStream<BidirectionalStream>;
  readonly incomingUnidirectionalStreams: ReadableStream<ReadableStream<Uint8Array>>;
  peer!: MemorySession;

  readonly #incomingBidi = pushable<BidirectionalStream>();
  readonly #incomingUni = pushable<ReadableStream<Uint8Array>>();
  readonly #datagramsIn: DatagramQueue;
  readonly #owned = new Set<TransformStreamDefaultController<Uint8Array>>();
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
  #resolveClosed!: (info: SessionCloseInfo) => void;
  #isClosed = false;

  constructor(options: Required<MemorySessionOptions>) {
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    this.incomingBidirectionalStreams = this.#incomingBidi.stream;
    this.incomingUnidirectionalStreams = this.#incomingUni.stream;
    this.#datagramsIn = new DatagramQueue(options.datagramQueue);
    const maxDatagramSize = options.maxDatagramSize;
    this.datagrams = {
      readable: this.#datagramsIn.readable,
      writable: new WritableStream<Uint8Array>({
        write: (chunk) => {
          this.#sendDatagram(chunk);
        },
      }),
      maxDatagramSize,
    };
  }

  #sendDatagram(chunk: Uint8Array): void {
    if (this.#isClosed) throw new Error('session closed');
    if (chunk.byteLength > this.datagrams.maxDatagramSize) return; // too large: dropped, as a real path would
    this.#stats.packetsSent++;
    this.#stats.bytesSent += chunk.byteLength;
    this.peer.#receiveDatagram(chunk.slice());
  }

  onDatagrams(handler: (batch: Uint8Array[]) => void): () => void {
    return this.#datagramsIn.setBatchHandler(handler);
  }

  sendDatagrams(batch: readonly Uint8Array[]): void {
    for (const chunk of batch) this.#sendDatagram(chunk);
  }

  #receiveDatagram(chunk: Uint8Array): void {
    this.#stats.packetsReceived++;
    this.#stats.bytesReceived += chunk.byteLength;
    this.#datagramsIn.push(chunk);
  }

  #pipe(): TransformStream<Uint8Array, Uint8Array> {
    // Copy on the way through so a writer reusing its buffer cannot change what the reader got.
    let controller!: TransformStreamDefaultController<Uint8Array>;
    const t = new TransformStream<Uint8Array, Uint8Array>(
      {
        start: (c) => {
          controller = c;
        },
        transform: (chunk, c) => {
          this.#stats.bytesSent += chunk.byteLength;
          this.peer.#stats.bytesReceived += chunk.byteLength;
          c.enqueue(chunk.slice());
        },
      },
      { highWaterMark: 16 },
      { highWaterMark: 16 },
    );
    this.#owned.add(controller);
    this.peer.#owned.add(controller);
    return t;
  }

  createBidirectionalStream(_options?: SendStreamOptions): Promise<BidirectionalStream> {
    if (this.#isClosed) return Promise.reject(new Error('session closed'));
    const out = this.#pipe();
    const back = this.#pipe();
    this.peer.#incomingBidi.push({ readable: out.readable, writable: back.writable });
    return Promise.resolve({ readable: back.readable, writable: out.writable });
  }

  createUnidirectionalStream(_options?: SendStreamOptions): Promise<WritableStream<Uint8Array>> {
    if (this.#isClosed) return Promise.reject(new Error('session closed'));
    const out = this.#pipe();
    this.peer.#incomingUni.push(out.readable);
    return Promise.resolve(out.writable);
  }

  close(info?: Partial<SessionCloseInfo>): void {
    const full = { closeCode: info?.closeCode ?? 0, reason: info?.reason ?? '' };
    this.#shutdown(full);
    this.peer.#shutdown(full);
  }

  #shutdown(info: SessionCloseInfo): void {
    if (this.#isClosed) return;
    this.#isClosed = true;
    this.#incomingBidi.end();
    this.#incomingUni.end();
    this.#datagramsIn.close();
    const error = new Error(`session closed: ${info.closeCode} ${info.reason}`);
    // Erroring through the controller reaches both ends even while a reader or writer holds a lock.
    for (const controller of this.#owned) {
      try {
        controller.error(error);
      } catch {
        // already closed or errored: nothing left to tell
      }
    }
    this.#owned.clear();
    this.#resolveClosed(info);
  }

  stats(): SessionStats {
    return { ...this.#stats, datagramsDropped: this.#datagramsIn.dropped };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.closed;
  }
}

/** Two sessions connected to each other in memory: what one sends, the other receives. */
export function createMemorySessionPair(options: MemorySessionOptions = {}): [Session, Session] {
  const full = {
    datagramQueue: options.datagramQueue ?? 256,
    maxDatagramSize: options.maxDatagramSize ?? 1199,
  };
  const a = new MemorySession(full);
  const b = new MemorySession(full);
  a.peer = b;
  b.peer = a;
  return [a, b];
}
