// One multiplexed stream direction over the WebSocket fallback, with per-stream credit-based flow control so a
// reader that stops reading stops its writer instead of growing a buffer.
import { MuxType, type MuxFrame } from './mux-frame.ts';

export interface MuxStreamHost {
  send(frame: MuxFrame): void;
  /** Resolves when the socket's send buffer is below its high-water mark. */
  socketWritable(): Promise<void>;
  /** Called when a stream direction is finished, so the host can forget it. */
  release(id: number, direction: 'send' | 'recv'): void;
  /** A protocol violation by the peer: the host closes the session. */
  violation(message: string): void;
}

/** Bytes each side may send on a stream before the receiver grants more. */
export const STREAM_WINDOW = 256 * 1024;
/** Largest DATA frame body. */
export const MAX_CHUNK = 16 * 1024;

export class SendHalf {
  readonly writable: WritableStream<Uint8Array>;
  readonly #id: number;
  readonly #host: MuxStreamHost;
  #credit = STREAM_WINDOW;
  #creditWaiter: (() => void) | undefined;
  #stopped: Error | undefined;

  constructor(id: number, host: MuxStreamHost) {
    this.#id = id;
    this.#host = host;
    this.writable = new WritableStream<Uint8Array>(
      {
        write: async (chunk) => {
          for (let offset = 0; offset < chunk.byteLength;) {
            this.#throwIfStopped();
            if (this.#credit === 0) {
              await new Promise<void>((resolve) => (this.#creditWaiter = resolve));
              continue;
            }
            await this.#host.socketWritable();
            this.#throwIfStopped();
            const size = Math.min(MAX_CHUNK, this.#credit, chunk.byteLength - offset);
            this.#host.send({
              type: MuxType.Data,
              id: this.#id,
              data: chunk.subarray(offset, offset + size),
            });
            this.#credit -= size;
            offset += size;
          }
        },
        close: () => {
          this.#throwIfStopped();
          this.#host.send({ type: MuxType.Fin, id: this.#id });
          this.#host.release(this.#id, 'send');
        },
        abort: (reason: unknown) => {
          if (this.#stopped === undefined)
            this.#host.send({ type: MuxType.Reset, id: this.#id, code: codeOf(reason) });
          this.#stopped ??= new Error('stream aborted');
          this.#host.release(this.#id, 'send');
        },
      },
      { highWaterMark: 1 },
    );
  }

  grant(bytes: number): void {
    this.#credit += bytes;
    if (this.#credit > 2 ** 31) this.#host.violation('credit overflow');
    const w = this.#creditWaiter;
    this.#creditWaiter = undefined;
    w?.();
  }

  /** The peer no longer wants data (STOP), or the session ended. */
  stop(error: Error): void {
    this.#stopped ??= error;
    const w = this.#creditWaiter;
    this.#creditWaiter = undefined;
    w?.();
  }

  #throwIfStopped(): void {
    if (this.#stopped !== undefined) throw this.#stopped;
  }
}

export class ReceiveHalf {
  readonly readable: ReadableStream<Uint8Array>;
  readonly #id: number;
  readonly #host: MuxStreamHost;
  readonly #chunks: Uint8Array[] = [];
  #outstanding = 0; // bytes the peer may still send under credit already granted
  #consumedSinceGrant = 0;
  #ended = false;
  #error: Error | undefined;
  #waiter: (() => void) | undefined;
  #cancelled = false;

  constructor(id: number, host: MuxStreamHost) {
    this.#id = id;
    this.#host = host;
    this.#outstanding = STREAM_WINDOW;
    this.readable = new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          while (this.#chunks.length === 0 && !this.#ended && this.#error === undefined) {
            await new Promise<void>((resolve) => (this.#waiter = resolve));
          }
          const chunk = this.#chunks.shift();
          if (chunk !== undefined) {
            controller.enqueue(chunk);
            this.#consumed(chunk.byteLength);
          } else if (this.#error !== undefined) {
            controller.error(this.#error);
          } else {
            controller.close();
            this.#host.release(this.#id, 'recv');
          }
        },
        cancel: (reason: unknown) => {
          this.#cancelled = true;
          this.#chunks.length = 0;
          if (!this.#ended && this.#error === undefined) {
            this.#host.send({ type: MuxType.Stop, id: this.#id, code: codeOf(reason) });
          }
          this.#host.release(this.#id, 'recv');
        },
      },
      { highWaterMark: 0 },
    );
  }

  data(bytes: Uint8Array): void {
    if (this.#ended) {
      this.#host.violation(`data after fin on stream ${this.#id}`);
      return;
    }
    if (bytes.byteLength > this.#outstanding) {
      this.#host.violation(`flow control exceeded on stream ${this.#id}`);
      return;
    }
    this.#outstanding -= bytes.byteLength;
    if (this.#cancelled) return;
    // Copy: the frame is a view into a socket buffer that the WebSocket implementation may reuse.
    this.#chunks.push(bytes.slice());
    this.#wake();
  }

  fin(): void {
    this.#ended = true;
    this.#wake();
  }

  reset(error: Error): void {
    this.#error ??= error;
    this.#wake();
  }

  #consumed(bytes: number): void {
    this.#consumedSinceGrant += bytes;
    if (this.#consumedSinceGrant >= STREAM_WINDOW / 2 && !this.#ended) {
      this.#host.send({ type: MuxType.Credit, id: this.#id, bytes: this.#consumedSinceGrant });
      this.#outstanding += this.#consumedSinceGrant;
      this.#consumedSinceGrant = 0;
    }
  }

  #wake(): void {
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.();
  }
}

function codeOf(reason: unknown): number {
  if (typeof reason === 'object' && reason !== null && 'streamErrorCode' in reason) {
    const code = reason.streamErrorCode;
    if (typeof code === 'number' && Number.isInteger(code) && code >= 0 && code < 2 ** 32) return code;
  }
  return 0;
}
