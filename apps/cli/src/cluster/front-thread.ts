// The cluster's HTTP front (round-robin-proxy.ts) on a worker thread of its own. Drills and soaks run their bots in
// the same process as the cluster; at full scale (200 bots) they kept the main thread so busy that requests through
// the front waited over 10 s, and with them the Meeting Controllers' heartbeats to the Global Controllers, which
// then dropped both controllers ("No meeting controller is available"). The backends are read from the cluster
// every 100 ms and sent to the worker when they change; the counters come back through shared memory.
import { Worker } from 'node:worker_threads';
import type { ProxyOptions, ProxyStats } from './round-robin-proxy.ts';
import type { FrontInit, FrontMessage } from './front-protocol.ts';

const WORKER = new URL('./front-worker.ts', import.meta.url);

export class FrontThread implements AsyncDisposable {
  readonly url: string;
  readonly #worker: Worker;
  readonly #counters: Int32Array;
  readonly #poll: NodeJS.Timeout;
  #closing: Promise<void> | undefined;

  private constructor(url: string, worker: Worker, counters: Int32Array, poll: NodeJS.Timeout) {
    this.url = url;
    this.#worker = worker;
    this.#counters = counters;
    this.#poll = poll;
  }

  static async start(options: ProxyOptions): Promise<FrontThread> {
    const stats = new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT);
    const backends = () => ({ global: [...options.global()], auth: [...options.auth()] });
    let last = backends();
    const init: FrontInit = {
      host: options.host ?? '127.0.0.1',
      ...(options.port === undefined ? {} : { port: options.port }),
      ...last,
      ...(options.devTransport === undefined ? {} : { devTransport: options.devTransport() }),
      stats,
    };
    const worker = new Worker(WORKER, { workerData: init });
    const url = await new Promise<string>((resolve, reject) => {
      const fail = (error: unknown): void => {
        reject(error instanceof Error ? error : new Error(`the front's worker failed: ${String(error)}`));
      };
      worker.once('error', fail);
      worker.once('exit', (code) => {
        fail(new Error(`the front's worker exited with ${String(code)} before it listened`));
      });
      worker.once('message', (m: { type?: string; url?: string }) => {
        if (m.type === 'ready' && typeof m.url === 'string') resolve(m.url);
        else fail(new Error(`unexpected message from the front's worker: ${JSON.stringify(m)}`));
      });
    });
    worker.removeAllListeners('error');
    worker.removeAllListeners('exit');
    worker.on('error', (error) => {
      process.emitWarning(`the cluster front's worker failed: ${String(error)}`);
    });
    const poll = setInterval(() => {
      const now = backends();
      if (JSON.stringify(now) === JSON.stringify(last)) return;
      last = now;
      worker.postMessage({ type: 'backends', ...now } satisfies FrontMessage);
    }, 100);
    poll.unref();
    return new FrontThread(url, worker, new Int32Array(stats), poll);
  }

  /** Requests seen, retried on another backend, and failed (as the worker last mirrored them, within 50 ms). */
  get stats(): ProxyStats {
    return {
      requests: Atomics.load(this.#counters, 0),
      retried: Atomics.load(this.#counters, 1),
      failed: Atomics.load(this.#counters, 2),
    };
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      clearInterval(this.#poll);
      const closed = new Promise<void>((resolve) => {
        this.#worker.once('message', () => {
          resolve();
        });
        this.#worker.once('exit', () => {
          resolve();
        });
      });
      this.#worker.postMessage({ type: 'close' } satisfies FrontMessage);
      await Promise.race([closed, new Promise((r) => setTimeout(r, 5_000))]);
      await this.#worker.terminate();
    })();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
