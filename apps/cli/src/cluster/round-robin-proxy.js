// A tiny HTTP front for the cluster (node:http): routes Auth Controller paths to the auth backends and everything
// else round-robin over the Global Controllers. A request whose backend refuses the connection (a dead instance)
// (or an idempotent request whose backend died mid-way) is retried once on each other backend, so a killed controller costs no failed request; bodies are buffered (at
// most 1 MiB) to make that possible. Also serves /api/v1/dev/transport (the development certificate hashes) so
// bots and pages can reach the self-signed WebTransport servers.
import { createServer, request as httpRequest } from 'node:http';
const MAX_BODY = 1024 * 1024;
const AUTH_PATHS = [/^\/v1\/auth\//, /^\/v1\/admin\//, /^\/\.well-known\//, /^\/api\/v1\/users(\/|$|\?)/];
export class RoundRobinProxy {
  stats = { requests: 0, retried: 0, failed: 0 };
  #o;
  #server;
  #next = 0;
  #url = '';
  #closing;
  constructor(options) {
    this.#o = options;
    this.#server = createServer((req, res) => {
      void this.#handle(req, res);
    });
    this.#server.keepAliveTimeout = 5_000;
  }
  static async listen(options) {
    const proxy = new RoundRobinProxy(options);
    const host = options.host ?? '127.0.0.1';
    await new Promise((resolve, reject) => {
      proxy.#server.once('error', reject);
      proxy.#server.listen(options.port ?? 0, host, () => {
        resolve();
      });
    });
    const address = proxy.#server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    proxy.#url = `http://localhost:${String(port)}`;
    return proxy;
  }
  get url() {
    return this.#url;
  }
  async #handle(req, res) {
    this.stats.requests++;
    const path = req.url ?? '/';
    if (path === '/api/v1/dev/transport' && this.#o.devTransport !== undefined) {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(this.#o.devTransport()));
      return;
    }
    const chunks = [];
    let size = 0;
    try {
      for await (const chunk of req) {
        size += chunk.byteLength;
        if (size > MAX_BODY) {
          res.writeHead(413, { 'content-type': 'application/json' });
          res.end('{"error":{"code":"INVALID_REQUEST","message":"request body too large","details":{}}}');
          return;
        }
        chunks.push(chunk);
      }
    } catch {
      res.destroy();
      return;
    }
    const body = Buffer.concat(chunks);
    const backends = AUTH_PATHS.some((p) => p.test(path)) ? this.#o.auth() : this.#o.global();
    const start = this.#next++ % Math.max(1, backends.length);
    for (let i = 0; i < backends.length; i++) {
      const base = backends[(start + i) % backends.length];
      if (base === undefined) continue;
      if (i > 0) this.stats.retried++;
      const outcome = await this.#forward(base, req, body, res);
      if (outcome !== 'unreachable') return;
    }
    this.stats.failed++;
    if (!res.headersSent) {
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
      res.end('{"error":{"code":"UNAVAILABLE","message":"no backend reachable","details":{}}}');
    } else res.destroy();
  }
  /** 'unreachable' when the connection could not be made (safe to retry elsewhere: nothing was processed). */
  #forward(base, req, body, res) {
    return new Promise((resolve) => {
      const target = new URL(req.url ?? '/', base);
      const headers = { ...req.headers, host: target.host, 'content-length': String(body.byteLength) };
      delete headers['transfer-encoding'];
      delete headers.connection;
      const forwardedFor = req.socket.remoteAddress ?? '';
      const out = httpRequest(
        target,
        { method: req.method, headers: { ...headers, 'x-forwarded-for': forwardedFor }, timeout: 30_000 },
        (upstream) => {
          const h = { ...upstream.headers };
          delete h.connection;
          delete h['keep-alive'];
          res.writeHead(upstream.statusCode ?? 502, h);
          upstream.pipe(res);
          upstream.once('error', () => res.destroy());
          upstream.once('end', () => {
            resolve('done');
          });
        },
      );
      let connected = false;
      out.once('socket', (s) => {
        if (!s.connecting) connected = true;
        else s.once('connect', () => (connected = true));
      });
      out.once('timeout', () => out.destroy(new Error('upstream timeout')));
      out.once('error', () => {
        // Safe to send elsewhere: nothing reached the backend, the method is idempotent, or a pooled keep-alive
        // connection turned out to be dead (the backend went away between requests).
        const idempotent = req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS';
        if (!res.headersSent && (!connected || idempotent || out.reusedSocket)) {
          resolve('unreachable');
          return;
        }
        if (!res.headersSent) {
          res.writeHead(502, { 'content-type': 'application/json' });
          res.end('{"error":{"code":"UNAVAILABLE","message":"upstream failed","details":{}}}');
        } else res.destroy();
        resolve('done');
      });
      out.end(body);
    });
  }
  close() {
    this.#closing ??= new Promise((resolve) => {
      this.#server.close(() => {
        resolve();
      });
      this.#server.closeAllConnections();
    });
    return this.#closing;
  }
  [Symbol.asyncDispose]() {
    return this.close();
  }
}
//# sourceMappingURL=round-robin-proxy.js.map
