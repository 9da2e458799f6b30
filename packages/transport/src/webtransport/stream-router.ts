// The stream table of one HTTP/3 connection and the routing of streams the peer opens: a new stream is read
// byte-exactly until its type (and, for WebTransport, its session id) is known, then becomes the peer's control
// stream, a drained QPACK stream, a CONNECT stream, a WebTransport stream of a session, or is refused.
import type { Connection } from '@matrixai/quic/native/types.js';
import { FRAME, STREAM_TYPE } from '../h3/frames.ts';
import { H3Error, H3_CODES } from '../h3/h3-error.ts';
import type { Settings } from '../h3/settings.ts';
import { ControlStreamReader } from './control-stream.ts';
import type { TransportLimits } from './limits.ts';
import type { QuicSession } from './quic-session.ts';
import { QuicStream, type StreamHost } from './quic-stream.ts';
import type { RequestStream } from './request-stream.ts';
import { drainStream, readStreamVarint } from './stream-reading.ts';
import { TransportError } from './transport-error.ts';

export type StreamState =
  | { kind: 'preamble'; bidi: boolean; buf: Uint8Array; len: number; streamType: number | undefined }
  | { kind: 'control'; reader: ControlStreamReader }
  | { kind: 'discard' }
  | { kind: 'request'; req: RequestStream }
  | { kind: 'wt'; stream: QuicStream; session: QuicSession; peer: boolean }
  | { kind: 'parked'; bidi: boolean; sessionId: number };

/** What routing needs from the connection. */
export interface RouterHost extends StreamHost {
  readonly role: 'server' | 'client';
  readonly conn: Connection;
  readonly limits: TransportLimits;
  session(id: number): QuicSession | undefined;
  request(id: number): RequestStream | undefined;
  /** Server: a client opened a request stream; the first frame-type bytes are passed on. */
  newRequest(id: number, preamble: Uint8Array): void;
  onPeerSettings(settings: Settings): void;
  onGoaway(): void;
}

const SCRATCH = 16 * 1024;

export class StreamRouter {
  readonly states = new Map<number, StreamState>();
  /** Peer streams refused (unknown session, over the per-session limit). */
  rejected = 0;
  readonly #host: RouterHost;
  readonly #scratch = new Uint8Array(SCRATCH);

  constructor(host: RouterHost) {
    this.#host = host;
  }

  addLocal(stream: QuicStream, session: QuicSession): void {
    this.states.set(stream.id, { kind: 'wt', stream, session, peer: false });
    session.streams.add(stream);
  }

  addRequest(req: RequestStream): void {
    this.states.set(req.id, { kind: 'request', req });
  }

  /** A WebTransport stream is finished in both directions. */
  released(stream: QuicStream): void {
    const st = this.states.get(stream.id);
    if (st?.kind !== 'wt') return;
    this.states.delete(stream.id);
    st.session.streams.delete(stream);
    if (st.peer) st.session.peerStreamCount--;
  }

  /** Streams that waited for a session decision are attached now (or refused). */
  unpark(sessionId: number): void {
    for (const [id, st] of this.states) {
      if (st.kind === 'parked' && st.sessionId === sessionId) this.#attach(id, st.bidi, st.sessionId);
    }
  }

  failAll(error: Error): void {
    for (const st of this.states.values()) if (st.kind === 'wt') st.stream.fail(error);
  }

  #isPeerInitiated(id: number): boolean {
    return (id & 1) === (this.#host.role === 'server' ? 0 : 1);
  }

  onReadable(id: number): void {
    let st = this.states.get(id);
    if (st === undefined) {
      if (!this.#isPeerInitiated(id)) {
        this.#discard(id); // data on a stream we already forgot (e.g. after a reset)
        return;
      }
      st = { kind: 'preamble', bidi: (id & 2) === 0, buf: new Uint8Array(8), len: 0, streamType: undefined };
      this.states.set(id, st);
    }
    switch (st.kind) {
      case 'preamble':
        this.#readPreamble(id, st);
        return;
      case 'control':
        this.#readControl(id, st.reader);
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

  #readPreamble(id: number, st: Extract<StreamState, { kind: 'preamble' }>): void {
    const v = readStreamVarint(this.#host.conn, id, st);
    if (v === 'wait') return;
    if (v === 'end') {
      this.states.delete(id);
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
        if (this.#host.role === 'client')
          throw new H3Error('STREAM_CREATION_ERROR', 'server-initiated request stream');
        this.#host.newRequest(id, raw);
        return;
      }
      switch (v) {
        case STREAM_TYPE.CONTROL:
          for (const other of this.states.values())
            if (other.kind === 'control') throw new H3Error('STREAM_CREATION_ERROR', 'second control stream');
          this.states.set(id, {
            kind: 'control',
            reader: new ControlStreamReader({
              onSettings: (settings) => {
                this.#host.onPeerSettings(settings);
              },
              onGoaway: () => {
                this.#host.onGoaway();
              },
            }),
          });
          this.onReadable(id);
          return;
        case STREAM_TYPE.QPACK_ENCODER:
        case STREAM_TYPE.QPACK_DECODER:
          // With a dynamic table of capacity 0 neither side has anything to say here; the bytes are drained.
          this.states.set(id, { kind: 'discard' });
          this.#discard(id);
          return;
        case STREAM_TYPE.WEBTRANSPORT:
          this.#readPreamble(id, st);
          return;
        case STREAM_TYPE.PUSH:
          throw new H3Error(
            this.#host.role === 'server' ? 'STREAM_CREATION_ERROR' : 'ID_ERROR',
            'push stream',
          );
        default:
          // Unknown stream types must be ignored (RFC 9114 section 6.2): stop the sender, drop the bytes.
          this.#host.shutdown(id, 'read', H3_CODES.STREAM_CREATION_ERROR);
          this.states.set(id, { kind: 'discard' });
          return;
      }
    }
    // The second varint: the session id of a WebTransport stream.
    this.states.delete(id);
    this.#attach(id, st.bidi, v);
  }

  #attach(id: number, bidi: boolean, sessionId: number): void {
    if (sessionId % 4 !== 0) throw H3Error.id(`session id ${sessionId} is not a client bidirectional stream`);
    const session = this.#host.session(sessionId);
    if (!session) {
      const req = this.#host.request(sessionId);
      if (req?.phase === 'deciding' || req?.phase === 'awaiting-response') {
        this.states.set(id, { kind: 'parked', bidi, sessionId });
        return;
      }
      this.#reject(id, bidi, H3_CODES.WT_BUFFERED_STREAM_REJECTED);
      return;
    }
    if (session.peerStreamCount >= this.#host.limits.maxStreamsPerSession) {
      this.#reject(id, bidi, H3_CODES.REQUEST_REJECTED);
      return;
    }
    const stream = new QuicStream(this.#host, id, { read: true, write: bidi });
    this.states.set(id, { kind: 'wt', stream, session, peer: true });
    session.streams.add(stream);
    session.peerStreamCount++;
    if (!session.acceptIncoming(stream)) stream.fail(TransportError.sessionClosed('not accepting streams'));
    stream.onReadable();
  }

  #reject(id: number, bidi: boolean, code: number): void {
    this.rejected++;
    this.#host.shutdown(id, 'read', code);
    if (bidi) this.#host.shutdown(id, 'write', code);
    this.states.set(id, { kind: 'discard' });
  }

  #discard(id: number): void {
    if (drainStream(this.#host.conn, id, this.#scratch)) this.states.delete(id);
  }

  #readControl(id: number, reader: ControlStreamReader): void {
    for (;;) {
      let r: [number, boolean] | null;
      try {
        r = this.#host.conn.streamRecv(id, this.#scratch);
      } catch {
        throw new H3Error('CLOSED_CRITICAL_STREAM', 'control stream reset');
      }
      if (r === null) return;
      reader.push(this.#scratch.subarray(0, r[0]), r[1]);
    }
  }
}
