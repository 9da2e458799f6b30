// One HTTP/3 connection carrying WebTransport sessions, on a raw quiche connection, in either role. It owns the
// stream table (control, QPACK, CONNECT and WebTransport streams), routes datagrams, and runs the quiche send
// loop and timers. Everything the peer sends is checked; violations close the connection (or, for a malformed
// capsule, the one session) with the HTTP/3 error code the RFCs name.
import quiche from '@matrixai/quic/native/quiche.js';
import type { Connection, Host } from '@matrixai/quic/native/types.js';
import type { SendStreamOptions, SessionCloseInfo, SessionRequest, SessionStats } from '../session.ts';
import { FRAME, STREAM_TYPE, controlStreamPolicy, encodeFrame, encodeGoaway } from '../h3/frames.ts';
import { H3Error, H3_CODES, isH3Error } from '../h3/h3-error.ts';
import {
  decodeSettings,
  encodeSettingsFrame,
  ourSettings,
  peerSupportsWebTransport,
} from '../h3/settings.ts';
import type { Settings } from '../h3/settings.ts';
import { TlvReader } from '../h3/tlv-reader.ts';
import { encodeVarint, readVarint, varintLengthFromFirstByte } from '../h3/varint.ts';
import type { FlushScheduler } from './flush-scheduler.ts';
import type { TransportLimits } from './limits.ts';
import type { TransportLogger } from './logger.ts';
import { QuicSession, type SessionHost } from './quic-session.ts';
import { QuicStream, type StreamHost } from './quic-stream.ts';
import { RequestStream, type RequestOwner } from './request-stream.ts';
import { TransportError } from './transport-error.ts';

export type Role = 'server' | 'client';

export interface H3ConnectionOptions {
  role: Role;
  conn: Connection;
  local: Host;
  remote: Host;
  scheduler: FlushScheduler;
  limits: TransportLimits;
  logger: TransportLogger;
  sendPacket(packet: Uint8Array, to: Host): void;
  /** Server: decides on a CONNECT and is told about the session it created. */
  onRequest?: (request: SessionRequest) => Promise<{ accept: true } | { accept: false; status: number }>;
  onSession?: (session: QuicSession, request: SessionRequest) => void;
  /** Client: checks the peer certificate once the handshake completes; false closes the connection. */
  verifyPeer?: (chain: readonly Uint8Array[]) => boolean;
  /** Client: the session request to send once the peer's SETTINGS arrived. */
  connectFields?: () => Uint8Array | undefined;
  onClientResult?: (result: QuicSession | TransportError) => void;
  onClosed(connection: H3Connection): void;
}

type StreamState =
  | { kind: 'preamble'; bidi: boolean; buf: Uint8Array; len: number; streamType: number | undefined }
  | { kind: 'control'; reader: TlvReader; gotSettings: boolean }
  | { kind: 'discard' }
  | { kind: 'request'; req: RequestStream }
  | { kind: 'wt'; stream: QuicStream; session: QuicSession; peer: boolean }
  | { kind: 'parked'; bidi: boolean; sessionId: number };

const SCRATCH = 16 * 1024;
const CLOSE_GRACE_MS = 2000;
const utf8 = new TextEncoder();

export class H3Connection implements StreamHost, SessionHost, RequestOwner {
  readonly role: Role;
  readonly conn: Connection;
  readonly remote: Host;
  /** Peer streams refused (unknown session, over the per-session limit), for stats and tests. */
  streamsRejected = 0;
  readonly #o: H3ConnectionOptions;
  readonly #streams = new Map<number, StreamState>();
  readonly #sessions = new Map<number, QuicSession>();
  readonly #requests = new Map<number, RequestStream>();
  readonly #outbox = new Map<number, { data: Uint8Array; fin: boolean }[]>();
  readonly #blockedWriters = new Set<QuicStream>();
  readonly #creditWaiters: (() => void)[] = [];
  readonly #dgramOut: Uint8Array[] = [];
  readonly #sendBuf = new Uint8Array(1500);
  readonly #scratch = new Uint8Array(SCRATCH);
  #nextBidi: number;
  #nextUni: number;
  #established = false;
  #peerSettings: Settings | undefined;
  #goawayReceived = false;
  #goawaySent = false;
  #connectStarted = false;
  #hadSession = false;
  #timer: NodeJS.Timeout | undefined;
  #connectTimer: NodeJS.Timeout | undefined;
  #graceTimer: NodeJS.Timeout | undefined;
  #finished = false;
  #ended = false;
  #datagramsDropped = 0;
  #closeWaiters: (() => void)[] = [];

  constructor(options: H3ConnectionOptions) {
    this.#o = options;
    this.role = options.role;
    this.conn = options.conn;
    this.remote = options.remote;
    this.#nextBidi = options.role === 'server' ? 1 : 4; // the client's stream 0 is its CONNECT
    this.#nextUni = options.role === 'server' ? 7 : 6; // 3 / 2 are the control streams
    this.#connectTimer = setTimeout(() => {
      if (this.#hadSession) return;
      this.#connectionError(
        new H3Error('REQUEST_REJECTED', 'no WebTransport session within connectTimeoutMs'),
      );
    }, options.limits.connectTimeoutMs);
    this.#connectTimer.unref();
  }

  get isFinished(): boolean {
    return this.#finished;
  }
  get sessionCount(): number {
    return this.#sessions.size;
  }

  receive(packet: Uint8Array, from: Host): void {
    if (this.#finished) return;
    try {
      this.conn.recv(packet, { from, to: this.#o.local });
    } catch (e) {
      // A packet quiche cannot use (bad crypto, wrong state) is dropped, as RFC 9000 says.
      this.#o.logger.debug({ err: String(e) }, 'quic packet dropped');
    }
    this.#o.scheduler.mark(this);
  }

  scheduleFlush(): void {
    if (!this.#finished) this.#o.scheduler.mark(this);
  }

  flush(): void {
    if (this.#finished) return;
    try {
      if (!this.#established && this.conn.isEstablished()) this.#onEstablished();
      if (this.#established && !this.conn.isDraining()) {
        for (const id of this.conn.readable()) this.#onReadable(id);
        this.#receiveDatagrams();
        this.#wakeWriters();
        this.#drainOutbox();
      }
    } catch (e) {
      this.#connectionError(isH3Error(e) ? e : new H3Error('INTERNAL_ERROR', String(e)));
    }
    // Datagrams go to quiche in slices of its (small) queue, interleaved with sending packets.
    for (let round = 0; round < 16 && this.#established && this.#feedDatagrams(); round++) {
      const before = this.conn.dgramSendQueueLen();
      this.#sendPackets();
      if (this.conn.dgramSendQueueLen() === before) break; // congestion-limited: the rest waits
    }
    this.#sendPackets();
    this.#armTimer();
    if (this.conn.isClosed() || this.conn.isDraining()) this.#teardown();
  }

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
    this.#blockedWriters.add(stream);
    this.scheduleFlush();
  }
  released(stream: QuicStream): void {
    const st = this.#streams.get(stream.id);
    if (st?.kind === 'wt') {
      this.#streams.delete(stream.id);
      st.session.streams.delete(stream);
      if (st.peer) st.session.peerStreamCount--;
    }
    this.#blockedWriters.delete(stream);
  }

  // ---- SessionHost ----
  async openStream(session: QuicSession, bidi: boolean, options?: SendStreamOptions): Promise<QuicStream> {
    while ((bidi ? this.conn.peerStreamsLeftBidi() : this.conn.peerStreamsLeftUni()) === 0) {
      if (session.state.state === 'closed' || this.#finished) throw TransportError.sessionClosed();
      await new Promise<void>((resolve) => this.#creditWaiters.push(resolve));
    }
    if (session.state.state === 'closed' || this.#finished) throw TransportError.sessionClosed();
    const id = bidi ? this.#nextBidi : this.#nextUni;
    if (bidi) this.#nextBidi += 4;
    else this.#nextUni += 4;
    const prefix = concat(
      encodeVarint(bidi ? FRAME.WEBTRANSPORT_STREAM : STREAM_TYPE.WEBTRANSPORT),
      encodeVarint(session.id),
    );
    const stream = new QuicStream(this, id, { read: bidi, write: true, prefix });
    this.#streams.set(id, { kind: 'wt', stream, session, peer: false });
    session.streams.add(stream);
    await stream.open();
    if (options?.sendOrder !== undefined) {
      const urgency = Math.max(0, Math.min(7, 3 - Math.sign(options.sendOrder)));
      try {
        this.conn.streamPriority(id, urgency, true);
      } catch {
        // Priority is a hint; a stream quiche already finished needs none.
      }
    }
    return stream;
  }

  sendDatagram(session: QuicSession, payload: Uint8Array): void {
    if (this.#finished) throw TransportError.sessionClosed();
    const prefix = encodeVarint(session.id / 4);
    const max = this.conn.dgramMaxWritableLen();
    if (max === null || prefix.length + payload.length > max) return; // too large for the path: dropped
    // Our own bounded queue, oldest dropped: quiche's queue can only be purged by visiting every entry.
    if (this.#dgramOut.length >= this.#o.limits.maxDatagramQueue) {
      this.#dgramOut.shift();
      this.#datagramsDropped++;
    }
    this.#dgramOut.push(concat(prefix, payload));
    this.scheduleFlush();
  }

  /** Moves queued datagrams into quiche while it has room; true if some are still waiting. */
  #feedDatagrams(): boolean {
    while (this.#dgramOut.length > 0 && !this.conn.isDgramSendQueueFull()) {
      const d = this.#dgramOut.shift();
      if (d) this.conn.dgramSend(d);
    }
    return this.#dgramOut.length > 0;
  }

  maxDatagramSize(session: QuicSession): number {
    const max = this.conn.dgramMaxWritableLen();
    return Math.max(0, (max ?? 1200) - encodeVarint(session.id / 4).length);
  }

  stats(): SessionStats {
    const s = this.conn.stats();
    const path = this.conn.pathStats()[0];
    return {
      rttMs: path ? path.rtt : 0,
      congestionWindow: path ? path.cwnd : 0,
      packetsSent: s.sent,
      packetsReceived: s.recv,
      packetsLost: s.lost,
      bytesSent: s.sentBytes,
      bytesReceived: s.recvBytes,
      datagramsDropped: this.#datagramsDropped,
    };
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
    let queue = this.#outbox.get(id);
    if (!queue) this.#outbox.set(id, (queue = []));
    queue.push({ data, fin });
    this.scheduleFlush();
  }
  canOpenSession(): { ok: true } | { ok: false; status: number } {
    if (this.#goawaySent) return { ok: false, status: 503 };
    const pending = [...this.#requests.values()].filter((r) => r.phase === 'deciding').length;
    if (this.#sessions.size + pending >= this.#o.limits.maxSessionsPerConnection)
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
    this.#hadSession = true;
    clearTimeout(this.#connectTimer);
    for (const [id, st] of this.#streams) {
      if (st.kind === 'parked' && st.sessionId === req.id) this.#attach(id, st.bidi, st.sessionId);
    }
    if (request) this.#o.onSession?.(session, request);
    else this.#o.onClientResult?.(session);
    this.scheduleFlush();
    return session;
  }
  sessionRefused(req: RequestStream, status: number): void {
    for (const [id, st] of this.#streams) {
      if (st.kind === 'parked' && st.sessionId === req.id) this.#attach(id, st.bidi, st.sessionId);
    }
    if (this.role === 'client') {
      this.#o.onClientResult?.(TransportError.refused(status));
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

  // ---- test support: lets integration tests act as a hostile peer on a real connection ----

  /** Allocates the next locally initiated stream id without any WebTransport preamble. */
  rawNextStreamId(bidi: boolean): number {
    const id = bidi ? this.#nextBidi : this.#nextUni;
    if (bidi) this.#nextBidi += 4;
    else this.#nextUni += 4;
    return id;
  }

  /** Queues raw bytes on a stream, bypassing all framing. */
  rawWrite(id: number, data: Uint8Array, fin: boolean): void {
    this.write(id, data, fin);
  }

  /** Sends a raw QUIC datagram (no quarter-stream-id added). */
  rawDatagram(data: Uint8Array): boolean {
    if (this.conn.isDgramSendQueueFull()) return false;
    this.conn.dgramSend(data);
    this.scheduleFlush();
    return true;
  }

  // ---- lifecycle ----

  /** Sends GOAWAY, closes every session, waits for peers to acknowledge (or graceMs), then closes. */
  async goAway(info: SessionCloseInfo, graceMs: number): Promise<void> {
    if (this.#finished) return;
    if (!this.#goawaySent && this.#established) {
      this.#goawaySent = true;
      this.write(
        this.#controlStreamId(),
        encodeGoaway(this.role === 'server' ? this.#maxClientBidiSeen() : 0),
        false,
      );
    }
    for (const session of [...this.#sessions.values()]) session.close(info);
    this.scheduleFlush();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, graceMs);
      this.#closeWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
      this.#maybeFinishLinger();
    });
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
    if (this.role === 'client' && this.#o.verifyPeer) {
      const chain = this.conn.peerCertChain() ?? [];
      if (!this.#o.verifyPeer(chain)) {
        this.#o.onClientResult?.(TransportError.certificateMismatch());
        try {
          this.conn.close(false, 0x100 + 42, utf8.encode('certificate mismatch')); // TLS bad_certificate
        } catch {
          // Already closing.
        }
        return;
      }
    }
    const settings = encodeSettingsFrame(
      ourSettings({
        maxFieldSectionSize: this.#o.limits.maxHeaderBytes,
        maxSessions: this.#o.limits.maxSessionsPerConnection,
      }),
    );
    this.write(this.#controlStreamId(), concat(encodeVarint(STREAM_TYPE.CONTROL), settings), false);
  }

  #controlStreamId(): number {
    return this.role === 'server' ? 3 : 2;
  }

  #maxClientBidiSeen(): number {
    let max = -4;
    for (const id of this.#requests.keys()) max = Math.max(max, id);
    for (const id of this.#sessions.keys()) max = Math.max(max, id);
    return max + 4;
  }

  #isPeerInitiated(id: number): boolean {
    return (id & 1) === (this.role === 'server' ? 0 : 1);
  }

  #onReadable(id: number): void {
    let st = this.#streams.get(id);
    if (st === undefined) {
      if (!this.#isPeerInitiated(id)) {
        this.#discard(id); // data on a stream we already forgot (e.g. after a reset)
        return;
      }
      st = { kind: 'preamble', bidi: (id & 2) === 0, buf: new Uint8Array(8), len: 0, streamType: undefined };
      this.#streams.set(id, st);
    }
    switch (st.kind) {
      case 'preamble':
        this.#readPreamble(id, st);
        return;
      case 'control':
        this.#readControl(id, st);
        return;
      case 'request':
        st.req.onReadable();
        return;
      case 'wt':
        st.stream.onReadable();
        return;
      case 'discard':
        this.#discard(id);
        return;
      case 'parked':
        return; // left unread: quiche flow control holds the peer back until the session decision
    }
  }

  /** Reads one varint from the stream into st.buf; the value, 'wait' for more bytes, or 'end'. */
  #readStreamVarint(id: number, st: { buf: Uint8Array; len: number }): number | 'wait' | 'end' {
    for (;;) {
      const need = st.len === 0 ? 1 : varintLengthFromFirstByte(st.buf[0] ?? 0);
      if (st.len >= need) break;
      let r: [number, boolean] | null;
      try {
        r = this.conn.streamRecv(id, st.buf.subarray(st.len, need));
      } catch {
        return 'end'; // reset before its preamble: nothing to do
      }
      if (r === null) return 'wait';
      st.len += r[0];
      if (r[1] && (st.len === 0 || st.len < varintLengthFromFirstByte(st.buf[0] ?? 0))) return 'end';
    }
    const v = readVarint(st.buf, 0);
    return v === undefined ? 'end' : v.value;
  }

  #readPreamble(id: number, st: Extract<StreamState, { kind: 'preamble' }>): void {
    const v = this.#readStreamVarint(id, st);
    if (v === 'wait') return;
    if (v === 'end') {
      this.#streams.delete(id);
      return;
    }
    const raw = st.buf.slice(0, st.len);
    st.len = 0;
    if (st.streamType === undefined) {
      st.streamType = v;
      if (st.bidi) {
        if (v === FRAME.WEBTRANSPORT_STREAM) {
          this.#readPreamble(id, st);
          return;
        }
        if (this.role === 'client')
          throw new H3Error('STREAM_CREATION_ERROR', 'server-initiated request stream');
        const req = new RequestStream(this, id);
        this.#requests.set(id, req);
        this.#streams.set(id, { kind: 'request', req });
        req.pushPreamble(raw);
        req.onReadable();
        return;
      }
      switch (v) {
        case STREAM_TYPE.CONTROL:
          for (const other of this.#streams.values())
            if (other.kind === 'control') throw new H3Error('STREAM_CREATION_ERROR', 'second control stream');
          this.#streams.set(id, {
            kind: 'control',
            reader: new TlvReader(controlStreamPolicy()),
            gotSettings: false,
          });
          this.#onReadable(id);
          return;
        case STREAM_TYPE.QPACK_ENCODER:
        case STREAM_TYPE.QPACK_DECODER:
          // With a dynamic table of capacity 0 neither side has anything to say here; the bytes are drained.
          this.#streams.set(id, { kind: 'discard' });
          this.#discard(id);
          return;
        case STREAM_TYPE.WEBTRANSPORT:
          this.#readPreamble(id, st);
          return;
        case STREAM_TYPE.PUSH:
          throw new H3Error(this.role === 'server' ? 'STREAM_CREATION_ERROR' : 'ID_ERROR', 'push stream');
        default:
          // Unknown stream types must be ignored (RFC 9114 section 6.2): stop the sender, drop the bytes.
          this.shutdown(id, 'read', H3_CODES.STREAM_CREATION_ERROR);
          this.#streams.set(id, { kind: 'discard' });
          return;
      }
    }
    // The second varint: the session id of a WebTransport stream.
    this.#streams.delete(id);
    this.#attach(id, st.bidi, v);
  }

  #attach(id: number, bidi: boolean, sessionId: number): void {
    if (sessionId % 4 !== 0) throw H3Error.id(`session id ${sessionId} is not a client bidirectional stream`);
    const session = this.#sessions.get(sessionId);
    if (!session) {
      const req = this.#requests.get(sessionId);
      if (req?.phase === 'deciding' || req?.phase === 'awaiting-response') {
        this.#streams.set(id, { kind: 'parked', bidi, sessionId });
        return;
      }
      this.#reject(id, bidi, H3_CODES.WT_BUFFERED_STREAM_REJECTED);
      return;
    }
    if (session.peerStreamCount >= this.#o.limits.maxStreamsPerSession) {
      this.#reject(id, bidi, H3_CODES.REQUEST_REJECTED);
      return;
    }
    const stream = new QuicStream(this, id, { read: true, write: bidi });
    this.#streams.set(id, { kind: 'wt', stream, session, peer: true });
    session.streams.add(stream);
    session.peerStreamCount++;
    if (!session.acceptIncoming(stream)) stream.fail(TransportError.sessionClosed('not accepting streams'));
    stream.onReadable();
  }

  #reject(id: number, bidi: boolean, code: number): void {
    this.streamsRejected++;
    this.shutdown(id, 'read', code);
    if (bidi) this.shutdown(id, 'write', code);
    this.#streams.set(id, { kind: 'discard' });
  }

  #discard(id: number): void {
    for (;;) {
      let r: [number, boolean] | null;
      try {
        r = this.conn.streamRecv(id, this.#scratch);
      } catch {
        this.#streams.delete(id);
        return;
      }
      if (r === null) return;
      if (r[1]) {
        this.#streams.delete(id);
        return;
      }
    }
  }

  #readControl(id: number, st: Extract<StreamState, { kind: 'control' }>): void {
    for (;;) {
      let r: [number, boolean] | null;
      try {
        r = this.conn.streamRecv(id, this.#scratch);
      } catch {
        throw new H3Error('CLOSED_CRITICAL_STREAM', 'control stream reset');
      }
      if (r === null) return;
      st.reader.push(this.#scratch.subarray(0, r[0]), (ev) => {
        if (ev.kind !== 'whole') return;
        if (!st.gotSettings) {
          if (ev.type !== FRAME.SETTINGS)
            throw new H3Error('MISSING_SETTINGS', 'first control frame is not SETTINGS');
          st.gotSettings = true;
          this.#peerSettings = decodeSettings(ev.payload);
          this.#maybeStartConnect();
          return;
        }
        if (ev.type === FRAME.SETTINGS) throw H3Error.unexpected('second SETTINGS frame');
        if (ev.type === FRAME.GOAWAY) this.#goawayReceived = true;
      });
      if (r[1]) throw new H3Error('CLOSED_CRITICAL_STREAM', 'control stream closed');
    }
  }

  #maybeStartConnect(): void {
    if (this.role !== 'client' || this.#connectStarted || !this.#peerSettings) return;
    this.#connectStarted = true;
    if (!peerSupportsWebTransport(this.#peerSettings)) {
      this.#o.onClientResult?.(
        TransportError.connectFailed('server does not offer WebTransport over HTTP/3'),
      );
      this.close(H3_CODES.NO_ERROR, 'no webtransport');
      return;
    }
    if (this.#goawayReceived) return;
    const req = new RequestStream(this, 0);
    req.phase = 'awaiting-response';
    this.#requests.set(0, req);
    this.#streams.set(0, { kind: 'request', req });
    const block = this.#o.connectFields?.();
    if (block === undefined) return; // a test peer that never sends its CONNECT
    this.write(0, encodeFrame(FRAME.HEADERS, block), false);
  }

  #receiveDatagrams(): void {
    for (;;) {
      const d = this.conn.dgramRecvVec();
      if (d === null) return;
      const q = readVarint(d, 0);
      if (q === undefined)
        throw new H3Error('GENERAL_PROTOCOL_ERROR', 'datagram without a quarter stream id');
      this.#sessions.get(q.value * 4)?.receiveDatagram(d.subarray(q.next));
      // Datagrams for unknown sessions are dropped (draft-ietf-webtrans-http3 section 4.6).
    }
  }

  #wakeWriters(): void {
    for (const s of this.#blockedWriters) {
      let cap: number;
      try {
        cap = this.conn.streamCapacity(s.id);
      } catch (e) {
        this.#blockedWriters.delete(s);
        s.onWriteError(e);
        continue;
      }
      if (cap > 0) {
        this.#blockedWriters.delete(s);
        s.onWritable();
      }
    }
    if (this.#creditWaiters.length > 0) {
      const waiters = this.#creditWaiters.splice(0);
      for (const w of waiters) w();
    }
  }

  #drainOutbox(): void {
    for (const [id, queue] of this.#outbox) {
      while (queue.length > 0) {
        const head = queue[0];
        if (!head) break;
        let n: number | null;
        try {
          n = this.conn.streamSend(id, head.data, head.fin);
        } catch {
          queue.length = 0; // stream reset or stopped: what was queued for it no longer matters
          break;
        }
        if (n === null) break;
        if (n < head.data.length) {
          head.data = head.data.subarray(n);
          break;
        }
        queue.shift();
      }
      if (queue.length === 0) this.#outbox.delete(id);
    }
  }

  #sendPackets(): void {
    for (;;) {
      let r: ReturnType<Connection['send']>;
      try {
        r = this.conn.send(this.#sendBuf);
      } catch (e) {
        this.#o.logger.debug({ err: String(e) }, 'quic send failed');
        return;
      }
      if (r === null) return;
      const [n, info] = r;
      this.#o.sendPacket(this.#sendBuf.slice(0, n), info.to);
    }
  }

  #armTimer(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#finished) return;
    const ms = this.conn.timeout();
    if (ms === null) return;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.conn.onTimeout();
        this.flush();
      },
      Math.max(0, Math.ceil(ms)),
    );
  }

  #endSession(session: QuicSession, info: SessionCloseInfo): void {
    if (!this.#sessions.delete(session.id)) {
      session.finish(info);
      return;
    }
    session.finish(info);
    if (this.#sessions.size === 0 && this.#hadSession) {
      // A connection without sessions lingers briefly so the close capsule and FINs get through, then goes.
      clearTimeout(this.#graceTimer);
      this.#graceTimer = setTimeout(() => {
        this.close(H3_CODES.NO_ERROR, 'no sessions left');
      }, CLOSE_GRACE_MS);
      this.#graceTimer.unref();
      this.#maybeFinishLinger();
    }
    this.scheduleFlush();
  }

  #maybeFinishLinger(): void {
    if (this.#sessions.size > 0 || this.#requests.size > 0) return;
    const waiters = this.#closeWaiters.splice(0);
    for (const w of waiters) w();
    if (this.role === 'client' && this.#hadSession) {
      // Both sides of our only CONNECT stream are done: the peer has our close; end the connection.
      setImmediate(() => {
        this.close(H3_CODES.NO_ERROR, '');
      });
    }
  }

  #teardown(): void {
    if (!this.#ended) {
      this.#ended = true;
      const err = this.conn.peerError() ?? this.conn.localError();
      const why = err
        ? `connection closed (${err.isApp ? 'application' : 'transport'} error 0x${err.errorCode.toString(16)}${
            err.reason.length > 0 ? `: ${Buffer.from(err.reason).toString('utf8')}` : ''
          })`
        : this.conn.isTimedOut()
          ? 'connection idle timeout'
          : 'connection closed';
      for (const session of [...this.#sessions.values()])
        this.#endSession(session, { closeCode: 0, reason: why });
      for (const st of this.#streams.values())
        if (st.kind === 'wt') st.stream.fail(TransportError.sessionClosed(why));
      for (const req of this.#requests.values()) req.abandon();
      this.#o.onClientResult?.(TransportError.connectFailed(why));
      const waiters = this.#creditWaiters.splice(0);
      for (const w of waiters) w();
      const closeWaiters = this.#closeWaiters.splice(0);
      for (const w of closeWaiters) w();
    }
    // Once draining, the CONNECTION_CLOSE is out and nothing more may be sent (RFC 9000 section 10.2.2);
    // waiting out the drain period (3 PTO) would only hold the socket, so the connection is done.
    this.#finished = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#connectTimer);
    clearTimeout(this.#graceTimer);
    this.#streams.clear();
    this.#outbox.clear();
    this.#blockedWriters.clear();
    this.#o.onClosed(this);
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
