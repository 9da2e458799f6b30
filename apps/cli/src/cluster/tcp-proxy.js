// A TCP relay that can be cut: stands between the services and PostgreSQL so a drill can make the database
// unreachable (every connection reset, new ones refused) and bring it back, without touching the shared server.
import { connect, createServer } from 'node:net';
export class CuttableTcpProxy {
  #server;
  #sockets = new Set();
  #target;
  #cut = false;
  #port = 0;
  constructor(target) {
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
  static async listen(target, host = '127.0.0.1') {
    const proxy = new CuttableTcpProxy(target);
    await new Promise((resolve, reject) => {
      proxy.#server.once('error', reject);
      proxy.#server.listen(0, host, () => {
        resolve();
      });
    });
    const a = proxy.#server.address();
    proxy.#port = typeof a === 'object' && a !== null ? a.port : 0;
    return proxy;
  }
  get port() {
    return this.#port;
  }
  get isCut() {
    return this.#cut;
  }
  /** Resets every open connection and refuses new ones until `restore()`. */
  cut() {
    this.#cut = true;
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
  }
  restore() {
    this.#cut = false;
  }
  async close() {
    this.cut();
    await new Promise((resolve) => {
      this.#server.close(() => {
        resolve();
      });
    });
  }
  [Symbol.asyncDispose]() {
    return this.close();
  }
}
//# sourceMappingURL=tcp-proxy.js.map
