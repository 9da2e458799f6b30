// The server side of the WebSocket fallback: HTTP upgrades become Sessions after the application accepts the
// request (same SessionHandler as the WebTransport server). Attaches to an existing node:http server (so the
// one-command mode serves it on the web origin) or listens on its own port.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Session, SessionHandler, SessionRequest } from '../session.ts';
import { MuxSession } from './mux-session.ts';
import { MAX_CHUNK } from './mux-stream.ts';
import type { WebSocketLike } from './websocket-like.ts';

export interface WebSocketSessionServerOptions {
  /** Decides, before the session exists, whether to accept an upgrade request. */
  onRequest: SessionHandler;
  /** Receives every accepted session with the request it came from. */
  onSession: (session: Session, request: SessionRequest) => void;
  /** Attach to this HTTP server; otherwise `listen()` starts one of its own. */
  server?: Server;
  /** Only upgrades whose path starts with this prefix are handled (default: all). */
  pathPrefix?: string;
  maxConnectionsPerIp?: number;
  maxConnections?: number;
  maxIncomingStreams?: number;
  /** Close a connection that exchanges nothing for this long (WebSocket ping/pong keeps healthy ones alive). */
  idleTimeoutMs?: number;
}

export interface WebSocketSessionServer extends AsyncDisposable {
  /** Starts the own HTTP server (not needed when attached to one). */
  listen(port?: number, host?: string): Promise<{ host: string; port: number }>;
  readonly sessionCount: number;
  close(): Promise<void>;
}

export function createWebSocketSessionServer(options: WebSocketSessionServerOptions): WebSocketSessionServer {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_CHUNK + 64 * 1024,
    perMessageDeflate: false,
  });
  const ownServer = options.server === undefined;
  const server = options.server ?? createServer((_req, res) => res.writeHead(426).end());
  const perIp = new Map<string, number>();
  const sessions = new Set<Session>();
  const sockets = new Set<WebSocket>();
  const maxPerIp = options.maxConnectionsPerIp ?? 64;
  const maxConnections = options.maxConnections ?? 10_000;
  const idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
  let closing = false;

  const refuse = (socket: Duplex, status: number): void => {
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
    );
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const path = req.url ?? '/';
    if (options.pathPrefix !== undefined && !path.startsWith(options.pathPrefix)) return; // someone else's upgrade
    socket.on('error', () => socket.destroy());
    const ip = req.socket.remoteAddress ?? 'unknown';
    if (closing) {
      refuse(socket, 503);
      return;
    }
    if (sockets.size >= maxConnections || (perIp.get(ip) ?? 0) >= maxPerIp) {
      refuse(socket, 429);
      return;
    }
    const headers = new Map<string, string>();
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string') headers.set(name, value);
      else if (Array.isArray(value)) headers.set(name, value.join(', '));
    }
    const request: SessionRequest = {
      path,
      origin: req.headers.origin,
      headers,
      remoteAddress: `${ip}:${String(req.socket.remotePort ?? 0)}`,
    };
    perIp.set(ip, (perIp.get(ip) ?? 0) + 1);
    const releaseIp = (): void => {
      const n = (perIp.get(ip) ?? 1) - 1;
      if (n <= 0) perIp.delete(ip);
      else perIp.set(ip, n);
    };
    Promise.resolve()
      .then(() => options.onRequest(request))
      .then(
        (decision) => {
          if (!decision.accept) {
            releaseIp();
            refuse(socket, decision.status);
            return;
          }
          wss.handleUpgrade(req, socket, head, (ws) => {
            sockets.add(ws);
            const session = new MuxSession(ws as unknown as WebSocketLike, {
              role: 'server',
              ...(options.maxIncomingStreams !== undefined
                ? { maxIncomingStreams: options.maxIncomingStreams }
                : {}),
            });
            sessions.add(session);
            let alive = true;
            ws.on('pong', () => (alive = true));
            ws.on('message', () => (alive = true));
            const idle = setInterval(() => {
              if (!alive) {
                ws.terminate();
                return;
              }
              alive = false;
              ws.ping();
            }, idleTimeoutMs / 2);
            void session.closed.then(() => {
              clearInterval(idle);
              sessions.delete(session);
              sockets.delete(ws);
              releaseIp();
            });
            options.onSession(session, request);
          });
        },
        () => {
          releaseIp();
          refuse(socket, 500);
        },
      );
  };
  server.on('upgrade', onUpgrade);

  const close = async (): Promise<void> => {
    if (closing) return;
    closing = true;
    server.off('upgrade', onUpgrade);
    const all = [...sessions];
    for (const s of all) s.close({ closeCode: 0, reason: 'server shutting down' });
    await Promise.all(all.map((s) => s.closed));
    for (const ws of sockets) ws.terminate();
    wss.close();
    if (ownServer && server.listening)
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
  };

  return {
    async listen(port = 0, host = '127.0.0.1') {
      if (!ownServer) throw new Error('attached to an existing server: listen on that server instead');
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          resolve();
        });
      });
      const address = server.address() as AddressInfo;
      return { host: address.address, port: address.port };
    },
    get sessionCount() {
      return sessions.size;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
