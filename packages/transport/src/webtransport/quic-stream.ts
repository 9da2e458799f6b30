// One WebTransport stream over one QUIC stream, as WHATWG streams with real backpressure: the readable pulls
// from quiche only when the application reads (unread data stays in quiche and holds back the peer through
// QUIC flow control), and a write stays pending while quiche has no send capacity for the stream.
import { TransportError } from './transport-error.ts';
import { H3_CODES, h3ToWebTransportCode, webTransportCodeToH3 } from '../h3/h3-error.ts';
import { WRITE_NOW } from './write-now.ts';

/** What a stream needs from the connection that carries it. */
export interface StreamHost {
  /** Scratch space reads land in before being copied out (shared by the connection's streams). */
  readonly readBuffer: Uint8Array;
  recv(id: number, into: Uint8Array): [number, boolean] | null;
  send(id: number, data: Uint8Array, fin: boolean): number | null;
  capacity(id: number): number;
  shutdown(id: number, direction: 'read' | 'write', h3Code: number): void;
  /** Ask to be woken (onWritable) when the connection next sees capacity for this stream. */
  waitWritable(stream: QuicStream): void;
  scheduleFlush(): void;
  /** Both directions are finished; the host forgets the stream. */
  released(stream: QuicStream): void;
}

function parseQuicheError(e: unknown): { kind: 'reset' | 'stopped' | 'other'; code: number } {
  const message = e instanceof Error ? e.message : String(e);
  const m = /Stream(Reset|Stopped)\((\d+)\)/.exec(message);
  if (m?.[1] === 'Reset') return { kind: 'reset', code: Number(m[2]) };
  if (m?.[1] === 'Stopped') return { kind: 'stopped', code: Number(m[2]) };
  return { kind: 'other', code: 0 };
}

function appCode(h3: number): number {
  return h3ToWebTransportCode(h3) ?? h3;
}

/** Maps an abort/cancel reason to an HTTP/3 code: a WebTransportError-like `streamErrorCode`, else 0. */
function reasonToH3(reason: unknown): number {
  const code =
    typeof reason === 'object' && reason !== null && 'streamErrorCode' in reason
      ? reason.streamErrorCode
      : undefined;
  return webTransportCodeToH3(typeof code === 'number' ? code : 0);
}

export class QuicStream {
  readonly id: number;
  readonly readable: ReadableStream<Uint8Array> | undefined;
  readonly writable: WritableStream<Uint8Array> | undefined;
  readonly #host: StreamHost;
  #readController: ReadableStreamDefaultController<Uint8Array> | undefined;
  #readWaiter: (() => void) | undefined;
  #writeWaiter: { resolve: () => void; reject: (e: Error) => void } | undefined;
  #readDone: boolean;
  #writeDone: boolean;
  #failed: Error | undefined;
  #prefix: Uint8Array | undefined;

  constructor(host: StreamHost, id: number, options: { read: boolean; write: boolean; prefix?: Uint8Array }) {
    this.#host = host;
    this.id = id;
    this.#readDone = !options.read;
    this.#writeDone = !options.write;
    this.#prefix = options.prefix;
    this.readable = options.read
      ? new ReadableStream<Uint8Array>(
          {
            start: (c) => {
              this.#readController = c;
            },
            pull: (c) => this.#pull(c),
            cancel: (reason) => {
              if (this.#readDone) return;
              this.#host.shutdown(this.id, 'read', reasonToH3(reason));
              this.#finishRead();
            },
          },
          // Nothing is read ahead of the application: what it has not asked for stays in quiche (flow control).
          { highWaterMark: 0 },
        )
      : undefined;
    this.writable = options.write
      ? new WritableStream<Uint8Array>(
          {
            write: (chunk) => this.#write(chunk),
            close: () => this.#sendAll(new Uint8Array(0), true),
            abort: (reason) => {
              if (this.#writeDone) return;
              this.#host.shutdown(this.id, 'write', reasonToH3(reason));
              this.#finishWrite();
            },
          },
          { highWaterMark: 1 },
        )
      : undefined;
    if (this.writable)
      Object.defineProperty(this.writable, WRITE_NOW, {
        value: (chunk: Uint8Array) => this.#writeNow(chunk),
      });
  }

  /** `writeNow` (write-now.ts): bytes quiche took now, or undefined when only the writer can go on. */
  #writeNow(chunk: Uint8Array): number | undefined {
    if (this.#prefix !== undefined || this.#failed !== undefined || this.#writeDone) return undefined;
    let n: number | null;
    try {
      n = this.#host.send(this.id, chunk, false);
    } catch {
      return undefined; // stopped or reset: the writer's next write reports it
    }
    if (n === null || n === 0) return 0;
    this.#host.scheduleFlush();
    return n;
  }

  /** Sends the stream's WebTransport preamble so the peer learns about the stream even before data. */
  async open(): Promise<void> {
    const prefix = this.#prefix;
    this.#prefix = undefined;
    if (prefix) await this.#sendRaw(prefix, false);
  }

  /** Called by the host when quiche reports the stream readable. */
  onReadable(): void {
    const w = this.#readWaiter;
    this.#readWaiter = undefined;
    w?.();
  }

  get wantsWritable(): boolean {
    return this.#writeWaiter !== undefined;
  }

  /** Called by the host when the stream may have capacity again. */
  onWritable(): void {
    const w = this.#writeWaiter;
    this.#writeWaiter = undefined;
    w?.resolve();
  }

  /** quiche says the stream can no longer be written (stopped by the peer, or already collected). */
  onWriteError(e: unknown): void {
    const err = parseQuicheError(e);
    const error =
      err.kind === 'stopped'
        ? TransportError.streamStopped(appCode(err.code))
        : new TransportError('STREAM_RESET', 'stream can no longer be written', { cause: e });
    this.#finishWrite();
    const w = this.#writeWaiter;
    this.#writeWaiter = undefined;
    w?.reject(error);
  }

  /** Ends both directions with an error (session closed, connection lost). */
  fail(error: Error, resetCode: number = H3_CODES.WT_SESSION_GONE): void {
    if (this.#failed !== undefined) return;
    this.#failed = error;
    if (!this.#readDone) {
      this.#host.shutdown(this.id, 'read', resetCode);
      try {
        this.#readController?.error(error);
      } catch {
        // The readable was already closed by the application: nothing to tell it.
      }
      this.#finishRead();
    }
    if (!this.#writeDone) {
      this.#host.shutdown(this.id, 'write', resetCode);
      this.#finishWrite();
    }
    this.onReadable();
    const w = this.#writeWaiter;
    this.#writeWaiter = undefined;
    w?.reject(error);
  }

  async #pull(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    for (;;) {
      if (this.#failed !== undefined) throw this.#failed;
      if (this.#readDone) return;
      const buf = this.#host.readBuffer;
      let result: [number, boolean] | null;
      try {
        result = this.#host.recv(this.id, buf);
      } catch (e) {
        const err = parseQuicheError(e);
        this.#finishRead();
        if (err.kind === 'reset') throw TransportError.streamReset(appCode(err.code));
        // InvalidStreamState and friends: the stream is gone (collected after a reset): treat as ended.
        controller.close();
        return;
      }
      if (result !== null) {
        const [n, fin] = result;
        // Reading returned flow-control credit to the peer; make sure the window update goes out.
        this.#host.scheduleFlush();
        // The buffer is shared by the connection's streams, so the application gets its own copy.
        if (n > 0) controller.enqueue(buf.slice(0, n));
        if (fin) {
          controller.close();
          this.#finishRead();
        }
        if (n > 0 || fin) return;
      }
      await new Promise<void>((resolve) => (this.#readWaiter = resolve));
    }
  }

  /**
   * One write from the writable. The common case (preamble sent, quiche has room for the whole chunk) is done
   * synchronously, without the two async frames of #sendAll/#sendRaw: a forwarding server writes every frame to
   * every subscriber, so this is per packet. Everything else (no room, a partial write, an error) takes #sendAll.
   */
  #write(chunk: Uint8Array): Promise<void> | undefined {
    if (this.#prefix !== undefined || this.#failed !== undefined || this.#writeDone || chunk.length === 0)
      return this.#sendAll(chunk, false);
    let n: number | null;
    try {
      n = this.#host.send(this.id, chunk, false);
    } catch {
      return this.#sendAll(chunk, false); // the same error again, turned into the stream's error there
    }
    if (n === null || n === 0) return this.#sendAll(chunk, false);
    this.#host.scheduleFlush();
    return n === chunk.length ? undefined : this.#sendAll(chunk.subarray(n), false);
  }

  async #sendAll(data: Uint8Array, fin: boolean): Promise<void> {
    const prefix = this.#prefix;
    if (prefix) {
      this.#prefix = undefined;
      await this.#sendRaw(prefix, false);
    }
    await this.#sendRaw(data, fin);
    if (fin) this.#finishWrite();
  }

  async #sendRaw(data: Uint8Array, fin: boolean): Promise<void> {
    let offset = 0;
    for (;;) {
      if (this.#failed !== undefined) throw this.#failed;
      if (this.#writeDone) throw TransportError.sessionClosed('stream already finished');
      let n: number | null;
      try {
        n = this.#host.send(this.id, data.subarray(offset), fin);
      } catch (e) {
        const err = parseQuicheError(e);
        this.#finishWrite();
        if (err.kind === 'stopped') throw TransportError.streamStopped(appCode(err.code));
        throw new TransportError('STREAM_RESET', 'stream can no longer be written', { cause: e });
      }
      // A FIN with no bytes (a writer's close after its last write) is accepted as 0 bytes: it too must be
      // flushed, or it sits in quiche until something else happens on the connection (maybe never).
      if (n !== null && (n > 0 || fin)) {
        offset += n;
        this.#host.scheduleFlush();
      }
      // quiche takes fin only together with the last byte, so an empty fin is done once accepted.
      if (offset === data.length && n !== null) return;
      await new Promise<void>((resolve, reject) => {
        this.#writeWaiter = { resolve, reject };
        this.#host.waitWritable(this);
      });
    }
  }

  #finishRead(): void {
    if (this.#readDone) return;
    this.#readDone = true;
    if (this.#writeDone) this.#host.released(this);
  }

  #finishWrite(): void {
    if (this.#writeDone) return;
    this.#writeDone = true;
    if (this.#readDone) this.#host.released(this);
  }
}
