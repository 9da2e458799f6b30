// A TCP relay that can be cut: stands between the services and PostgreSQL so a drill can make the database
// unreachable (every connection reset, new ones refused) and bring it back, without touching the shared server.
import { connect, createServer, type Server, type Socket } from 'node:net';

export class CuttableTcpProxy implements AsyncDisposable {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #target: { host: string; port: number };
  #cut = false;
  #port = 0;

  private constructor(target: { host: string; port: number }) {
    this.#target = target;
    this.#server = createServer((client) => {
      if (this.#cut) {
        client.destroy();
        return;
      }
      const upstream = connect(this.#target.port, this.#target.host);
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.once('close', () => this.#sockets.delete(s));
        s.once('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
  }

  static async listen(target: { host: string; port: number }, host = '127.0.0.1'): Promise<CuttableTcpProxy> {
    const proxy = new CuttableTcpProxy(target);
    await new Promise<void>((resolve, reject) => {
      proxy.#server.once('error', reject);
      proxy.#server.listen(0, host, () => {
        resolve();
      });
    });
    const a = proxy.#server.address();
    proxy.#port = typeof a === 'object' && a !== null ? a.port : 0;
    return proxy;
  }

  get port(): number {
    return this.#port;
  }
  get isCut(): boolean {
    return this.#cut;
  }

  /** Resets every open connection and refuses new ones until `restore()`. */
  cut(): void {
    this.#cut = true;
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
  }

  restore(): void {
    this.#cut = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => {
      this.#server.close(() => {
        resolve();
      });
    });
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
