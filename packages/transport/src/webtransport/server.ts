// The WebTransport server: one UDP socket, quiche connections keyed by connection id, an HTTP/3 connection
// driver per QUIC connection, and the application's accept/refuse decision before any session exists.
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { readFile } from 'node:fs/promises';
import quiche from '@matrixai/quic/native/quiche.js';
import type { Config, Host } from '@matrixai/quic/native/types.js';
import type { Session, SessionHandler, SessionRequest, SessionStats } from '../session.ts';
import { certificateFromPem, mintDevCertificate, type CertificateMaterial } from './certificate.ts';
import { FlushScheduler } from './flush-scheduler.ts';
import { H3Connection } from './h3-connection.ts';
import { resolveLimits, type TransportLimits } from './limits.ts';
import { silentLogger, type TransportLogger } from './logger.ts';
import { serverConfig } from './quic-config.ts';
import { MAX_UDP_PACKET, SendSlab } from './send-slab.ts';
import { TransportError } from './transport-error.ts';
import { createUdpSocket } from './udp-socket.ts';

export interface DevCertificateSettings {
  /** Validity of each minted certificate (default 13 days; at most 14). */
  validityMs?: number;
  /** How long before expiry a new certificate is minted (default 1 day). */
  renewBeforeMs?: number;
}

export interface WebTransportServerOptions {
  host?: string;
  port?: number;
  /** PEM certificate and key, or 'dev' to mint a short-lived ECDSA P-256 certificate (renewed before expiry). */
  cert:
    | { certPem: string; keyPem: string }
    | { certFile: string; keyFile: string }
    | 'dev'
    | { dev: DevCertificateSettings };
  /** Accept or refuse (e.g. 401/404) a session request before the session exists. */
  onRequest?: SessionHandler;
  /** Every accepted session, with the request that opened it. */
  onSession: (session: Session, request: SessionRequest) => void;
  limits?: Partial<TransportLimits>;
  logger?: TransportLogger;
  /** A development certificate was renewed: publish the new hash (e.g. to the API that hands out URLs). */
  onCertificateRenewed?: (certificate: CertificateMaterial) => void;
}

export interface ConnectionStats extends SessionStats {
  remoteAddress: string;
  sessions: number;
  /** Peer streams refused (unknown session or over maxStreamsPerSession). */
  streamsRejected: number;
}

type ServerState =
  | { state: 'created' }
  | { state: 'listening'; address: { host: string; port: number } }
  | { state: 'closing' }
  | { state: 'closed' };

const DEFAULT_RENEW_BEFORE_MS = 24 * 3600 * 1000;

export class WebTransportServer implements AsyncDisposable {
  readonly closed: Promise<void>;
  readonly #options: WebTransportServerOptions;
  readonly #limits: TransportLimits;
  readonly #logger: TransportLogger;
  readonly #scheduler = new FlushScheduler();
  readonly #slab = new SendSlab(MAX_UDP_PACKET);
  readonly #byCid = new Map<string, H3Connection>();
  readonly #connections = new Set<H3Connection>();
  readonly #perIp = new Map<string, number>();
  readonly #socket: dgram.Socket;
  #state: ServerState = { state: 'created' };
  #cert: CertificateMaterial | undefined;
  #config: Config | undefined;
  #renewTimer: NodeJS.Timeout | undefined;
  #local: Host = { host: '127.0.0.1', port: 0 };
  #resolveClosed!: () => void;
  #closing: Promise<void> | undefined;

  constructor(options: WebTransportServerOptions) {
    this.#options = options;
    this.#limits = resolveLimits(options.limits);
    this.#logger = options.logger ?? silentLogger;
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    const host = options.host ?? '127.0.0.1';
    this.#socket = createUdpSocket(host.includes(':') ? 'udp6' : 'udp4');
    this.#socket.on('message', (msg, rinfo) => {
      this.#onPacket(msg, rinfo.address, rinfo.port);
    });
    this.#socket.on('error', (err) => {
      this.#logger.warn({ err: String(err) }, 'udp socket error');
    });
  }

  get address(): { host: string; port: number } {
    if (this.#state.state !== 'listening') throw TransportError.invalidConfig('server is not listening');
    return this.#state.address;
  }

  async listen(): Promise<{ host: string; port: number }> {
    if (this.#state.state !== 'created') throw TransportError.invalidConfig('listen() called twice');
    try {
      await this.#loadCertificate();
    } catch (e) {
      this.#state = { state: 'closed' };
      this.#socket.close();
      this.#resolveClosed();
      throw e;
    }
    const host = this.#options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      this.#socket.once('error', reject);
      this.#socket.bind(this.#options.port ?? 0, host, () => {
        this.#socket.off('error', reject);
        resolve();
      });
    });
    const bound = this.#socket.address();
    this.#local = { host: bound.address, port: bound.port };
    const address = { host: bound.address, port: bound.port };
    this.#state = { state: 'listening', address };
    return address;
  }

  /** SHA-256 of the current certificate's DER: what browsers pass in `serverCertificateHashes`. */
  certificateHash(): Uint8Array {
    if (!this.#cert) throw TransportError.invalidConfig('no certificate yet: call listen() first');
    return this.#cert.sha256;
  }

  certificate(): CertificateMaterial {
    if (!this.#cert) throw TransportError.invalidConfig('no certificate yet: call listen() first');
    return this.#cert;
  }

  connectionStats(): ConnectionStats[] {
    return [...this.#connections]
      .filter((c) => !c.isFinished)
      .map((c) => ({
        ...c.stats(),
        remoteAddress: c.remoteAddress(),
        sessions: c.sessionCount,
        streamsRejected: c.streamsRejected,
      }));
  }

  /** Sends GOAWAY, closes every session with `reason`, waits up to `graceMs` for peers, then closes. Idempotent. */
  close(reason = 'server shutting down', graceMs = 1000): Promise<void> {
    this.#closing ??= this.#doClose(reason, graceMs);
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #doClose(reason: string, graceMs: number): Promise<void> {
    const wasListening = this.#state.state === 'listening';
    this.#state = { state: 'closing' };
    clearTimeout(this.#renewTimer);
    await Promise.all([...this.#connections].map((c) => c.goAway({ closeCode: 0, reason }, graceMs)));
    this.#scheduler.flushNow();
    this.#scheduler.cancel();
    this.#state = { state: 'closed' };
    if (wasListening) {
      await new Promise<void>((resolve) => {
        this.#socket.close(() => {
          resolve();
        });
      });
    }
    this.#resolveClosed();
  }

  async #loadCertificate(): Promise<void> {
    const cert = this.#options.cert;
    if (cert === 'dev' || 'dev' in cert) {
      const settings = cert === 'dev' ? {} : cert.dev;
      this.#useCertificate(await mintDevCertificate({ validityMs: settings.validityMs }));
      this.#scheduleRenewal(settings);
    } else if ('certFile' in cert) {
      const [certPem, keyPem] = await Promise.all([
        readFile(cert.certFile, 'utf8'),
        readFile(cert.keyFile, 'utf8'),
      ]).catch((e: unknown) => {
        throw new TransportError('INVALID_CONFIG', 'cannot read cert.certFile / cert.keyFile', { cause: e });
      });
      this.#useCertificate(certificateFromPem(certPem, keyPem));
    } else {
      this.#useCertificate(certificateFromPem(cert.certPem, cert.keyPem));
    }
  }

  #useCertificate(material: CertificateMaterial): void {
    // New connections get the new certificate; existing ones keep theirs.
    this.#config = serverConfig(material.certPem, material.keyPem, this.#limits);
    this.#cert = material;
  }

  #scheduleRenewal(settings: DevCertificateSettings): void {
    const cert = this.#cert;
    if (!cert) return;
    const validity = cert.notAfter.getTime() - cert.notBefore.getTime();
    const before = Math.min(settings.renewBeforeMs ?? DEFAULT_RENEW_BEFORE_MS, validity / 2);
    const delay = Math.max(0, cert.notAfter.getTime() - before - Date.now());
    this.#renewTimer = setTimeout(
      () => {
        mintDevCertificate({ validityMs: settings.validityMs }).then(
          (next) => {
            if (this.#state.state === 'closing' || this.#state.state === 'closed') return;
            this.#useCertificate(next);
            this.#logger.info(
              { sha256: Buffer.from(next.sha256).toString('hex') },
              'dev certificate renewed',
            );
            try {
              this.#options.onCertificateRenewed?.(next);
            } catch (err) {
              this.#logger.warn({ err: String(err) }, 'onCertificateRenewed threw');
            }
            this.#scheduleRenewal(settings);
          },
          (err: unknown) => {
            this.#logger.warn({ err: String(err) }, 'dev certificate renewal failed; retrying in 60 s');
            this.#renewTimer = setTimeout(() => {
              this.#scheduleRenewal(settings);
            }, 60_000);
            this.#renewTimer.unref();
          },
        );
      },
      Math.min(delay, 2 ** 31 - 1),
    );
    this.#renewTimer.unref();
  }

  #onPacket(msg: Buffer, host: string, port: number): void {
    // Fast path: a short-header packet carries our 20-byte connection id right after the first byte, so the
    // established connection is found without asking quiche to parse the header.
    if (msg.length > quiche.MAX_CONN_ID_LEN && ((msg[0] ?? 0) & 0x80) === 0) {
      const known = this.#byCid.get(msg.toString('latin1', 1, 1 + quiche.MAX_CONN_ID_LEN));
      if (known) {
        known.receive(msg, host, port);
        return;
      }
    }
    const from: Host = { host, port };
    let header: ReturnType<typeof quiche.Header.fromSlice>;
    try {
      header = quiche.Header.fromSlice(msg, quiche.MAX_CONN_ID_LEN);
    } catch {
      return; // not a QUIC packet: garbage is dropped silently
    }
    const key = Buffer.from(header.dcid).toString('latin1');
    let conn = this.#byCid.get(key);
    if (!conn) {
      if (this.#state.state !== 'listening') return;
      // Anything shorter than a full client Initial gets no answer at all, so we never amplify (RFC 9000 14.1).
      if (msg.length < quiche.MIN_CLIENT_INITIAL_LEN) return;
      if (!quiche.versionIsSupported(header.version)) {
        const out = new Uint8Array(quiche.MAX_DATAGRAM_SIZE);
        const n = quiche.negotiateVersion(header.scid, header.dcid, out);
        this.#socket.send(out.subarray(0, n), from.port, from.host);
        return;
      }
      if (header.ty !== quiche.Type.Initial) return;
      conn = this.#accept(header.dcid, from);
      if (!conn) return;
      this.#byCid.set(key, conn);
    }
    conn.receive(msg, host, port);
  }

  #accept(odcid: Uint8Array, from: Host): H3Connection | undefined {
    const config = this.#config;
    if (!config) return undefined;
    if (this.#connections.size >= this.#limits.maxConnections) return undefined;
    const perIp = this.#perIp.get(from.host) ?? 0;
    if (perIp >= this.#limits.maxConnectionsPerIp) return undefined;
    const scid = randomBytes(quiche.MAX_CONN_ID_LEN);
    const qconn = quiche.Connection.accept(scid, null, this.#local, from, config);
    const odcidKey = Buffer.from(odcid).toString('latin1');
    const scidKey = scid.toString('latin1');
    const onRequest = this.#options.onRequest;
    const h3 = new H3Connection({
      role: 'server',
      conn: qconn,
      local: this.#local,
      remote: from,
      scheduler: this.#scheduler,
      slab: this.#slab,
      limits: this.#limits,
      logger: this.#logger,
      sendPacket: (packet, to) => {
        // A connection still draining when the socket closed has nothing left to say.
        if (this.#state.state !== 'closed') this.#socket.send(packet, to.port, to.host);
      },
      // async: a handler that throws synchronously becomes a rejection (answered with 500), not a crash.
      onRequest: async (request) => (onRequest ? onRequest(request) : { accept: true as const }),
      onSession: (session, request) => {
        try {
          this.#options.onSession(session, request);
        } catch (err) {
          this.#logger.warn({ err: String(err) }, 'onSession threw; closing the session');
          session.close({ closeCode: 1, reason: 'internal error' });
        }
      },
      onClosed: (c) => {
        this.#connections.delete(c);
        this.#byCid.delete(odcidKey);
        this.#byCid.delete(scidKey);
        const n = (this.#perIp.get(from.host) ?? 1) - 1;
        if (n <= 0) this.#perIp.delete(from.host);
        else this.#perIp.set(from.host, n);
      },
    });
    this.#byCid.set(scidKey, h3);
    this.#connections.add(h3);
    this.#perIp.set(from.host, perIp + 1);
    return h3;
  }
}

/** Creates a server; call `listen()` to bind it. */
export function createWebTransportServer(options: WebTransportServerOptions): WebTransportServer {
  return new WebTransportServer(options);
}
