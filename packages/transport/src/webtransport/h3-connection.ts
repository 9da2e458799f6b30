// One HTTP/3 connection carrying WebTransport sessions, on a raw quiche connection, in either role. It owns the
// stream table (control, QPACK, CONNECT and WebTransport streams), routes datagrams, and runs the quiche send
// loop and timers. Everything the peer sends is checked; violations close the connection (or, for a malformed
// capsule, the one session) with the HTTP/3 error code the RFCs name.
import quiche from '@matrixai/quic/native/quiche.js';
import type { Connection, Host } from '@matrixai/quic/native/types.js';
import type { SendStreamOptions, SessionCloseInfo, SessionRequest, SessionStats } from '../session.ts';
import { encodeGoaway } from '../h3/frames.ts';
import { H3Error, H3_CODES, isH3Error } from '../h3/h3-error.ts';
import type { Settings } from '../h3/settings.ts';
import { connectionStats, describeConnectionEnd } from './connection-info.ts';
import { ClientConnect, type ClientConnectHost } from './client-connect.ts';
import { ConnectionTimers } from './connection-timers.ts';
import { controlStreamOpening } from './control-stream.ts';
import type { H3ConnectionOptions, Role } from './h3-connection-options.ts';
import { H3Datagrams } from './h3-datagrams.ts';
import { LocalStreamIds } from './local-stream-ids.ts';
import { PacketPump } from './packet-pump.ts';
import { RawAccess } from './raw-access.ts';
import { ReadableScan } from './readable-scan.ts';
import { SessionTable } from './session-table.ts';
import { StreamOutbox } from './stream-outbox.ts';
import { WriteWaiters } from './write-waiters.ts';
import type { TransportLimits } from './limits.ts';
import { QuicSession, type SessionHost } from './quic-session.ts';
import type { QuicStream } from './quic-stream.ts';
import { openLocalStream, type OpenerHost } from './stream-opener.ts';
import { StreamRouter, type RouterHost } from './stream-router.ts';
import { RequestStream, type RequestOwner } from './request-stream.ts';
import { TransportError } from './transport-error.ts';

export type { H3ConnectionOptions, Role } from './h3-connection-options.ts';

const CLOSE_GRACE_MS = 2000;
const utf8 = new TextEncoder();

export class H3Connection implements RouterHost, SessionHost, RequestOwner, OpenerHost, ClientConnectHost {
  readonly role: Role;
  readonly conn: Connection;
  readonly remote: Host;
  readonly #o: H3ConnectionOptions;
  readonly #router: StreamRouter;
  readonly #table = new SessionTable();
  readonly #sessions = this.#table.sessions;
  readonly #requests = this.#table.requests;
  readonly #outbox = new StreamOutbox();
  readonly #waiters = new WriteWaiters();
  readonly #datagrams: H3Datagrams;
  readonly #pump: PacketPump;
  /** Client role only: certificate check and the CONNECT. */
  readonly #client: ClientConnect | undefined;
  readonly readBuffer = new Uint8Array(64 * 1024);
  readonly #ids: LocalStreamIds;
  readonly #readableScan: ReadableScan;
  readonly #visitReadable = (id: number): void => {
    this.#router.onReadable(id);
  };
  #established = false;
  #goawaySent = false;
  readonly #timers = new ConnectionTimers();
  #finished = false;
  #ended = false;

  constructor(options: H3ConnectionOptions) {
    this.#o = options;
    this.#datagrams = new H3Datagrams(options.limits.maxDatagramQueue);
    this.#router = new StreamRouter(this);
    this.#readableScan = new ReadableScan(options.role);
    this.role = options.role;
    this.conn = options.conn;
    this.remote = options.remote;
    this.#ids = new LocalStreamIds(options.role);
    this.#client = options.role === 'client' ? new ClientConnect(this, options) : undefined;
    this.#pump = new PacketPump(options);
    // The one connect deadline. A client reports TIMEOUT to its caller before closing: the close is only flushed
    // later, and its teardown would otherwise report a bare 'connection closed'.
    this.#timers.startConnectDeadline(options.limits.connectTimeoutMs, () => {
      if (this.#table.hadSession) return;
      if (this.role === 'client') {
        this.#o.onClientResult?.(TransportError.timeout('WebTransport connect'));
        this.close(H3_CODES.REQUEST_CANCELLED, 'connect timeout');
        return;
      }
      this.#connectionError(
        new H3Error('REQUEST_REJECTED', 'no WebTransport session within connectTimeoutMs'),
      );
    });
  }

  get isFinished(): boolean {
    return this.#finished;
  }
  get sessionCount(): number {
    return this.#sessions.size;
  }

  /** A UDP packet from `host`:`port`: into quiche now, processed at the next flush. */
  receive(packet: Uint8Array, host: string, port: number): void {
    if (this.#finished) return;
    this.#pump.receive(packet, host, port);
    this.#o.scheduler.mark(this);
  }

  scheduleFlush(): void {
    if (!this.#finished) this.#o.scheduler.mark(this);
  }

  flush(): void {
    if (this.#finished) return;
    this.#datagrams.refresh();
    try {
      if (!this.#established && this.conn.isEstablished()) this.#onEstablished();
      if (this.#established && !this.conn.isDraining()) {
        // isReadable() first: most flushes follow packets that carry only ACKs and leave no stream readable. Then
        // the scan finds the readable streams, mostly without readable()'s per-call native iterator (see there).
        if (this.conn.isReadable())
          this.#readableScan.scan(this.conn, this.#router.states, this.#visitReadable);
        // Datagrams for unknown sessions are dropped (draft-ietf-webtrans-http3 section 4.6).
        if (
          this.#datagrams.receive(this.conn, (id, payload) =>
            this.#sessions.get(id)?.receiveDatagram(payload),
          )
        )
          for (const session of this.#sessions.values()) session.deliverDatagrams();
        this.#waiters.wake(this.conn);
        this.#outbox.drain(this.conn);
      }
    } catch (e) {
      this.#connectionError(isH3Error(e) ? e : new H3Error('INTERNAL_ERROR', String(e)));
    }
    // Datagrams go to quiche in slices of its (small) queue, interleaved with sending packets.
    this.#pump.pump(this.#established ? this.#datagrams : undefined);
    this.#timers.armQuiche(this.conn.timeout(), this.#onQuicheTimer);
    if (this.conn.isClosed() || this.conn.isDraining()) this.#teardown();
  }

  /** quiche's timer: a kept timer (see armQuiche) may fire before quiche's deadline, then it only re-arms. */
  readonly #onQuicheTimer = (): void => {
    if (this.#finished) return;
    const left = this.conn.timeout();
    if (left !== null && left > 0) {
      this.#timers.armQuiche(left, this.#onQuicheTimer);
      return;
    }
    this.conn.onTimeout();
    this.flush();
  };

  // ---- StreamHost ----
  recv(id: number, into: Uint8Array): [number, boolean] | null {
    return this.conn.streamRecv(id, into);
  }
  send(id: number, data: Uint8Array, fin: boolean): number | null {
    return this.conn.streamSend(id, data, fin);
  }
  capacity(id: number): number {
    return this.conn.streamCapacity(id);
  }
  shutdown(id: number, direction: 'read' | 'write', h3Code: number): void {
    try {
      this.conn.streamShutdown(
        id,
        direction === 'read' ? quiche.Shutdown.Read : quiche.Shutdown.Write,
        h3Code,
      );
    } catch {
      // The stream is already gone in quiche (finished or reset): there is nothing left to shut down.
    }
    this.scheduleFlush();
  }
  waitWritable(stream: QuicStream): void {
    this.#waiters.waitForCapacity(stream);
    this.scheduleFlush();
  }
  released(stream: QuicStream): void {
    this.#router.released(stream);
    this.#waiters.forget(stream);
  }

  // ---- RouterHost ----
  session(id: number): QuicSession | undefined {
    return this.#sessions.get(id);
  }
  request(id: number): RequestStream | undefined {
    return this.#requests.get(id);
  }
  newRequest(id: number, preamble: Uint8Array): void {
    const req = new RequestStream(this, id);
    this.#requests.set(id, req);
    this.#router.addRequest(req);
    req.pushPreamble(preamble);
    req.onReadable();
  }
  onPeerSettings(settings: Settings): void {
    this.#client?.onPeerSettings(settings);
  }
  onGoaway(): void {
    this.#client?.onGoaway();
  }
  get streamsRejected(): number {
    return this.#router.rejected;
  }

  // ---- SessionHost ----
  openStream(session: QuicSession, bidi: boolean, options?: SendStreamOptions): Promise<QuicStream> {
    return openLocalStream(this, this.#ids, this.#waiters, session, bidi, options);
  }

  register(stream: QuicStream, session: QuicSession): void {
    this.#router.addLocal(stream, session);
  }

  sendDatagram(session: QuicSession, payload: Uint8Array): void {
    if (this.#finished) throw TransportError.sessionClosed();
    this.#datagrams.send(this.conn, session.id, payload);
    this.scheduleFlush();
  }

  sendDatagrams(session: QuicSession, batch: readonly Uint8Array[]): void {
    if (this.#finished) throw TransportError.sessionClosed();
    for (const payload of batch) this.#datagrams.send(this.conn, session.id, payload);
    this.scheduleFlush();
  }

  maxDatagramSize(session: QuicSession): number {
    return this.#datagrams.maxPayload(this.conn, session.id);
  }

  stats(): SessionStats {
    return connectionStats(this.conn, this.#datagrams.dropped);
  }

  closeSession(session: QuicSession, info: SessionCloseInfo): void {
    const req = this.#requests.get(session.id);
    req?.closeLocally(info);
    this.#endSession(session, info);
  }

  // ---- RequestOwner (called by RequestStream) ----
  get limits(): TransportLimits {
    return this.#o.limits;
  }
  write(id: number, data: Uint8Array, fin: boolean): void {
    this.#outbox.write(id, data, fin);
    this.scheduleFlush();
  }
  canOpenSession(): { ok: true } | { ok: false; status: number } {
    if (this.#goawaySent) return { ok: false, status: 503 };
    if (this.#table.openOrDeciding() >= this.#o.limits.maxSessionsPerConnection)
      return { ok: false, status: 429 };
    return { ok: true };
  }
  decide(request: SessionRequest): Promise<{ accept: true } | { accept: false; status: number }> {
    const handler = this.#o.onRequest;
    if (!handler) return Promise.resolve({ accept: false, status: 404 });
    return handler(request);
  }
  remoteAddress(): string {
    return `${this.remote.host}:${String(this.remote.port)}`;
  }
  sessionOpened(req: RequestStream, request: SessionRequest | undefined): QuicSession {
    const session = new QuicSession(this, req.id, this.#o.limits.maxDatagramQueue);
    this.#sessions.set(req.id, session);
    this.#table.hadSession = true;
    this.#timers.connectDone();
    // Sessions may sit quiet for long (signaling between events): PINGs keep QUIC's idle timer from firing.
    this.#timers.startKeepalive(Math.floor(this.#o.limits.idleTimeoutMs / 3), () => {
      if (this.#sessions.size === 0 || this.#finished) return;
      this.conn.sendAckEliciting();
      this.scheduleFlush();
    });
    this.#router.unpark(req.id);
    if (request) this.#o.onSession?.(session, request);
    else this.#o.onClientResult?.(session);
    this.scheduleFlush();
    return session;
  }
  sessionRefused(req: RequestStream, status: number): void {
    this.#router.unpark(req.id);
    if (this.role === 'client') {
      this.#o.onClientResult?.(
        status === 0
          ? TransportError.connectFailed('the server ended the CONNECT stream without a response')
          : TransportError.refused(status),
      );
      this.close(H3_CODES.NO_ERROR, 'session refused');
    }
  }
  sessionEnded(req: RequestStream, info: SessionCloseInfo): void {
    const session = this.#sessions.get(req.id);
    if (session) this.#endSession(session, info);
  }
  requestDone(req: RequestStream): void {
    this.#requests.delete(req.id);
    this.#maybeFinishLinger();
  }
  connectionError(error: H3Error): void {
    this.#connectionError(error);
  }

  /** Test support: lets integration tests act as a hostile peer on this real connection. */
  get raw(): RawAccess {
    return new RawAccess(
      this.conn,
      this.#ids,
      (id, data, fin) => {
        this.write(id, data, fin);
      },
      () => {
        this.scheduleFlush();
      },
    );
  }

  // ---- lifecycle ----

  /** Sends GOAWAY, closes every session, waits for peers to acknowledge (or graceMs), then closes. */
  async goAway(info: SessionCloseInfo, graceMs: number): Promise<void> {
    if (this.#finished) return;
    if (!this.#goawaySent && this.#established) {
      this.#goawaySent = true;
      this.write(
        this.#ids.controlStream,
        encodeGoaway(this.role === 'server' ? this.#table.nextClientBidi() : 0),
        false,
      );
    }
    for (const session of [...this.#sessions.values()]) session.close(info);
    this.scheduleFlush();
    const empty = this.#table.untilEmpty(graceMs);
    this.#maybeFinishLinger();
    await empty;
    this.close(H3_CODES.NO_ERROR, info.reason);
  }

  /** Closes the QUIC connection now with an HTTP/3 application error code. */
  close(h3Code: number, reason: string): void {
    if (this.#finished) return;
    try {
      this.conn.close(true, h3Code, utf8.encode(reason.slice(0, 200)));
    } catch {
      // Already closing: quiche reports Done.
    }
    this.#o.scheduler.mark(this);
  }

  #connectionError(error: H3Error): void {
    this.#o.logger.debug(
      { code: error.h3Code, reason: error.message, remote: this.remoteAddress() },
      'h3 connection error',
    );
    this.close(error.h3Code, error.message);
  }

  #onEstablished(): void {
    this.#established = true;
    if (this.#client && !this.#client.verifyPeer()) return;
    this.write(this.#ids.controlStream, controlStreamOpening(this.#o.limits), false);
  }

  addConnectRequest(): void {
    const req = new RequestStream(this, 0);
    req.phase = 'awaiting-response';
    this.#requests.set(0, req);
    this.#router.addRequest(req);
  }

  #endSession(session: QuicSession, info: SessionCloseInfo): void {
    if (!this.#sessions.delete(session.id)) {
      session.finish(info);
      return;
    }
    session.finish(info);
    if (this.#sessions.size === 0 && this.#table.hadSession) {
      // A connection without sessions lingers briefly so the close capsule and FINs get through, then goes.
      this.#timers.startGrace(CLOSE_GRACE_MS, () => {
        this.close(H3_CODES.NO_ERROR, 'no sessions left');
      });
      this.#maybeFinishLinger();
    }
    this.scheduleFlush();
  }

  #maybeFinishLinger(): void {
    if (!this.#table.releaseWaiters()) return;
    if (this.role === 'client' && this.#table.hadSession) {
      // Both sides of our only CONNECT stream are done: the peer has our close; end the connection.
      setImmediate(() => {
        this.close(H3_CODES.NO_ERROR, '');
      });
    }
  }

  #teardown(): void {
    if (!this.#ended) {
      this.#ended = true;
      const why = describeConnectionEnd(this.conn);
      for (const session of [...this.#sessions.values()])
        this.#endSession(session, { closeCode: 0, reason: why });
      this.#router.failAll(TransportError.sessionClosed(why));
      for (const req of this.#requests.values()) req.abandon();
      this.#o.onClientResult?.(TransportError.connectFailed(why));
      this.#waiters.releaseOpeners();
      this.#table.releaseWaiters(true);
    }
    // Once draining, the CONNECTION_CLOSE is out and nothing more may be sent (RFC 9000 section 10.2.2);
    // waiting out the drain period (3 PTO) would only hold the socket, so the connection is done.
    this.#finished = true;
    this.#timers.clearAll();
    this.#router.states.clear();
    this.#outbox.clear();
    this.#waiters.clear();
    this.#o.onClosed(this);
  }
}
