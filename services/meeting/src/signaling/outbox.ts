// The bounded send queue of one signaling stream. Rooms enqueue without waiting; one pump writes in order. A
// client that stops reading fills its queue and is disconnected instead of growing server memory.
import { ServerMessageSchema, type MessageWriter, type ServerMessage } from '@darktower/protocol';

export class Outbox {
  readonly #writer: MessageWriter<typeof ServerMessageSchema>;
  readonly #limit: number;
  readonly #onOverflow: () => void;
  readonly #onError: (error: unknown) => void;
  #queue: ServerMessage[] = [];
  #pumping: Promise<void> | undefined;
  #drainWaiters: (() => void)[] = [];
  #stopped = false;

  constructor(
    writer: MessageWriter<typeof ServerMessageSchema>,
    limit: number,
    onOverflow: () => void,
    onError: (error: unknown) => void,
  ) {
    this.#writer = writer;
    this.#limit = limit;
    this.#onOverflow = onOverflow;
    this.#onError = onError;
  }

  get size(): number {
    return this.#queue.length;
  }

  push(message: ServerMessage): void {
    if (this.#stopped) return;
    if (this.#queue.length >= this.#limit) {
      this.#stopped = true;
      this.#queue = [];
      this.#onOverflow();
      return;
    }
    this.#queue.push(message);
    this.#pumping ??= this.#pump();
  }

  /** Resolves once at most `level` messages are queued (the reader waits here: backpressure onto the client). */
  async below(level: number): Promise<void> {
    while (this.#queue.length > level && !this.#stopped) {
      await new Promise<void>((resolve) => this.#drainWaiters.push(resolve));
    }
  }

  /** Resolves when everything queued so far is written (or writing failed), at most after `deadlineMs`. */
  async flush(deadlineMs: number): Promise<void> {
    const pumping = this.#pumping;
    if (pumping === undefined) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([pumping, new Promise<void>((resolve) => (timer = setTimeout(resolve, deadlineMs)))]);
    clearTimeout(timer);
  }

  stop(): void {
    this.#stopped = true;
    this.#queue = [];
    this.#wake();
  }

  async #pump(): Promise<void> {
    try {
      for (let next = this.#queue.shift(); next !== undefined; next = this.#queue.shift()) {
        await this.#writer.write(next);
        this.#wake();
      }
    } catch (error) {
      this.stop();
      this.#onError(error);
    } finally {
      this.#pumping = undefined;
      this.#wake();
    }
  }

  #wake(): void {
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const w of waiters) w();
  }
}
