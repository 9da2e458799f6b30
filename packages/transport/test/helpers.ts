// Shared helpers for the QUIC integration tests (real sockets on loopback).
import { createHash } from 'node:crypto';
import type { Session, SessionDecision, SessionRequest } from '../src/session.ts';
import { connectWebTransport, type ConnectOptions } from '../src/webtransport/client.ts';
import type { TransportLimits } from '../src/webtransport/limits.ts';
import { createWebTransportServer, type WebTransportServer } from '../src/webtransport/server.ts';
import { serveEcho } from '../src/demo/echo-handlers.ts';

export interface TestServer {
  server: WebTransportServer;
  port: number;
  url: string;
  hash: Uint8Array;
  sessions: Session[];
  requests: SessionRequest[];
  connect(options?: ConnectOptions, path?: string): Promise<Session>;
}

export async function startEchoServer(
  options: {
    limits?: Partial<TransportLimits>;
    decide?: (r: SessionRequest) => SessionDecision;
    port?: number;
    onSession?: (s: Session) => void;
  } = {},
): Promise<TestServer> {
  const sessions: Session[] = [];
  const requests: SessionRequest[] = [];
  const server = createWebTransportServer({
    cert: 'dev',
    port: options.port ?? 0,
    limits: options.limits,
    onRequest: (r) => {
      requests.push(r);
      return options.decide ? options.decide(r) : { accept: true };
    },
    onSession: (s) => {
      sessions.push(s);
      if (options.onSession) options.onSession(s);
      else serveEcho(s);
    },
  });
  const { port } = await server.listen();
  const hash = server.certificateHash();
  const url = `https://127.0.0.1:${String(port)}/echo`;
  return {
    server,
    port,
    url,
    hash,
    sessions,
    requests,
    connect: (o = {}, path = '/echo') =>
      connectWebTransport(`https://127.0.0.1:${String(port)}${path}`, {
        serverCertificateHashes: [hash],
        ...o,
      }),
  };
}

export async function readAll(readable: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of readable) parts.push(chunk);
  return Buffer.concat(parts);
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export async function echoOnce(session: Session, payload: Uint8Array): Promise<Uint8Array> {
  const stream = await session.createBidirectionalStream();
  const writer = stream.writable.getWriter();
  await writer.write(payload);
  await writer.close();
  return readAll(stream.readable);
}

/** Resolves with the first value, or rejects after ms (cleaning up its timer). */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(new Error(`${what}: no result within ${String(ms)} ms`));
        }, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
