// The Node WebTransport client: the same HTTP/3 layer in client role on its own UDP socket. With pinned
// certificate hashes (as browsers' serverCertificateHashes) the TLS chain is not verified; instead the SHA-256
// of the server's leaf certificate must match a pin before anything is sent.
import { createHash, randomBytes } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import type { Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { rootCertificates } from 'node:tls';
import quiche from '@matrixai/quic/native/quiche.js';
import type { Host } from '@matrixai/quic/native/types.js';
import type { Session } from '../session.ts';
import { encodeFieldSection } from '../h3/qpack-encoder.ts';
import { connectRequestFields } from './connect-request.ts';
import { FlushScheduler } from './flush-scheduler.ts';
import { H3Connection } from './h3-connection.ts';
import { resolveLimits, type TransportLimits } from './limits.ts';
import { silentLogger, type TransportLogger } from './logger.ts';
import { clientConfig } from './quic-config.ts';
import type { QuicSession } from './quic-session.ts';
import { MAX_UDP_PACKET, SendSlab } from './send-slab.ts';
import { TransportError } from './transport-error.ts';
import { createUdpSocket } from './udp-socket.ts';

export interface ConnectOptions {
  /** SHA-256 hashes of acceptable server certificates (DER); when given, the chain itself is not verified. */
  serverCertificateHashes?: readonly Uint8Array[];
  signal?: AbortSignal;
  /** Extra request headers (e.g. origin, authorization). */
  headers?: Readonly<Record<string, string>>;
  limits?: Partial<TransportLimits>;
  logger?: TransportLogger;
}

/** Internal handle used by tests that need to misbehave on the wire. */
export interface ClientInternals {
  session: Session;
  connection: H3Connection;
}

export async function connectWebTransport(url: string | URL, options: ConnectOptions = {}): Promise<Session> {
  return (await connectWithInternals(url, options)).session;
}

/** Test hooks for hostile-peer tests; not exported from the package. */
export interface ClientTestHooks {
  /** Complete QUIC and SETTINGS but never send the CONNECT. */
  skipConnect?: boolean;
  /** Receives the connection as soon as it exists. */
  onConnection?: (connection: H3Connection) => void;
  /** Receives the client's UDP socket (its local port, for tests that send it packets). */
  onSocket?: (socket: Socket) => void;
}

export async function connectWithInternals(
  url: string | URL,
  options: ConnectOptions = {},
  hooks: ClientTestHooks = {},
): Promise<ClientInternals> {
  const target = new URL(url);
  if (target.protocol !== 'https:') throw TransportError.invalidConfig('WebTransport URLs use https:');
  if (options.signal?.aborted) throw TransportError.aborted(options.signal.reason);
  const limits = resolveLimits(options.limits);
  const logger = options.logger ?? silentLogger;
  const hostname = target.hostname.replace(/^\[|\]$/g, '');
  const address = isIP(hostname) ? hostname : (await lookup(hostname)).address;
  const port = target.port ? Number(target.port) : 443;
  const family = isIP(address) === 6 ? 'udp6' : 'udp4';
  const socket = createUdpSocket(family);
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, family === 'udp6' ? '::' : '0.0.0.0', () => {
      socket.off('error', reject);
      resolve();
    });
  });
  // Connected to the server's address: the kernel drops packets from anywhere else (RFC 9000 section 9: a client
  // discards packets from an unknown server address; this client uses no preferred address), so an off-path sender
  // cannot feed our QUIC connection packets to process, and sends need no address.
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.connect(port, address, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  hooks.onSocket?.(socket);
  const bound = socket.address();
  const local: Host = { host: family === 'udp6' ? '::' : '0.0.0.0', port: bound.port };
  const remote: Host = { host: address, port };
  const pins = options.serverCertificateHashes?.map((h) => Buffer.from(h).toString('hex'));
  const config = clientConfig(limits, pins ? undefined : rootCertificates.join('\n'));
  const scheduler = new FlushScheduler();
  const qconn = quiche.Connection.connect(
    isIP(hostname) ? null : hostname,
    randomBytes(quiche.MAX_CONN_ID_LEN),
    local,
    remote,
    config,
  );
  const fields = connectRequestFields(target, options.headers);

  let socketClosed = false;
  const closeSocket = (): void => {
    if (socketClosed) return;
    socketClosed = true;
    scheduler.cancel();
    socket.close();
  };

  return await new Promise<ClientInternals>((resolve, reject) => {
    let settled = false;
    const settle = (result: QuicSession | TransportError): void => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', onAbort);
      if (result instanceof TransportError) reject(result);
      else resolve({ session: result, connection: h3 });
    };
    const h3: H3Connection = new H3Connection({
      role: 'client',
      conn: qconn,
      local,
      remote,
      scheduler,
      // A client has one connection per socket: a small slab (bots and cascades may hold many clients).
      slab: new SendSlab(MAX_UDP_PACKET, 48 * 1024),
      limits,
      logger,
      // One path, the server's: the socket is connected to it.
      sendPacket: (packet) => {
        if (!socketClosed) socket.send(packet);
      },
      verifyPeer: pins
        ? (chain) => {
            const leaf = chain[0];
            if (!leaf) return false;
            return pins.includes(createHash('sha256').update(leaf).digest('hex'));
          }
        : undefined,
      connectFields: () => (hooks.skipConnect ? undefined : encodeFieldSection(fields)),
      onClientResult: settle,
      onClosed: () => {
        settle(TransportError.connectFailed('connection closed'));
        closeSocket();
      },
    });
    hooks.onConnection?.(h3);
    // The connect deadline (limits.connectTimeoutMs) is the connection's own: it settles with TIMEOUT.
    const onAbort = (): void => {
      settle(TransportError.aborted(options.signal?.reason));
      h3.close(0x10c, 'aborted');
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('message', (msg, rinfo) => {
      h3.receive(msg, rinfo.address, rinfo.port);
    });
    socket.on('error', (err) => {
      logger.warn({ err: String(err) }, 'udp socket error');
    });
    h3.flush();
  });
}
