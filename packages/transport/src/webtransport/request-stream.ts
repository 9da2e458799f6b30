// The CONNECT stream of one WebTransport session, in either role: the request/response HEADERS, then the
// capsule protocol inside DATA frames (CLOSE_WEBTRANSPORT_SESSION, unknown capsules ignored), and the FIN or
// reset that ends the session.
import type { SessionCloseInfo, SessionRequest } from '../session.ts';
import { CAPSULE, capsulePolicy, decodeCloseCapsule, encodeCloseCapsule } from '../h3/capsules.ts';
import { FRAME, encodeFrame, requestStreamPolicy } from '../h3/frames.ts';
import { H3Error, H3_CODES, isH3Error } from '../h3/h3-error.ts';
import { decodeFieldSection } from '../h3/qpack-decoder.ts';
import { encodeFieldSection } from '../h3/qpack-encoder.ts';
import { TlvReader, type TlvEvent } from '../h3/tlv-reader.ts';
import { checkConnectRequest, responseFields } from './connect-request.ts';
import type { TransportLimits } from './limits.ts';
import type { QuicSession } from './quic-session.ts';

/** What a CONNECT stream needs from its connection. */
export interface RequestOwner {
  readonly role: 'server' | 'client';
  readonly limits: TransportLimits;
  recv(id: number, into: Uint8Array): [number, boolean] | null;
  write(id: number, data: Uint8Array, fin: boolean): void;
  shutdown(id: number, direction: 'read' | 'write', h3Code: number): void;
  canOpenSession(): { ok: true } | { ok: false; status: number };
  decide(request: SessionRequest): Promise<{ accept: true } | { accept: false; status: number }>;
  remoteAddress(): string;
  sessionOpened(req: RequestStream, request: SessionRequest | undefined): QuicSession;
  sessionRefused(req: RequestStream, status: number): void;
  sessionEnded(req: RequestStream, info: SessionCloseInfo): void;
  requestDone(req: RequestStream): void;
  connectionError(error: H3Error): void;
}

export type RequestPhase = 'awaiting-headers' | 'deciding' | 'awaiting-response' | 'open' | 'closed';

const READ_CHUNK = 4096;
const MAX_FIELDS = 64;
/** Server role: after our close capsule, how long after the peer's answering FIN our own FIN waits. */
const FIN_AFTER_PEER_MS = 50;
/** Server role: a peer that does not answer our close capsule with a FIN gets our FIN and STOP_SENDING then. */
const CLOSE_ANSWER_TIMEOUT_MS = 1000;

export class RequestStream {
  readonly id: number;
  phase: RequestPhase = 'awaiting-headers';
  readonly #owner: RequestOwner;
  readonly #frames: TlvReader;
  readonly #capsules = new TlvReader(capsulePolicy());
  readonly #buf = new Uint8Array(READ_CHUNK);
  #headersSeen = false;
  #peerDone = false;
  #weDone = false;
  #released = false;
  /** Server role: our close capsule is out and our FIN waits (see closeLocally); the timer that sends it. */
  #finTimer: NodeJS.Timeout | undefined;
  #finPending = false;

  constructor(owner: RequestOwner, id: number) {
    this.#owner = owner;
    this.id = id;
    this.#frames = new TlvReader(requestStreamPolicy(owner.limits.maxHeaderBytes));
  }

  /** Bytes the connection read while classifying the stream (the first frame type). */
  pushPreamble(raw: Uint8Array): void {
    this.#frames.push(raw, (ev) => {
      this.#onFrame(ev);
    });
  }

  onReadable(): void {
    if (this.#peerDone) return;
    try {
      for (;;) {
        let r: [number, boolean] | null;
        try {
          r = this.#owner.recv(this.id, this.#buf);
        } catch {
          this.#onPeerEnd('CONNECT stream reset');
          return;
        }
        if (r === null) return;
        this.#frames.push(this.#buf.subarray(0, r[0]), (ev) => {
          this.#onFrame(ev);
        });
        if (r[1]) {
          this.#onPeerEnd('');
          return;
        }
      }
    } catch (e) {
      if (isH3Error(e) && e.codeName === 'MESSAGE_ERROR') {
        // A malformed message ends this request stream (RFC 9114 section 4.1.2), not the connection.
        this.#owner.shutdown(this.id, 'read', e.h3Code);
        this.#owner.shutdown(this.id, 'write', e.h3Code);
        this.#peerDone = true;
        this.#weDone = true;
        this.#cancelPendingFin();
        this.phase = 'closed';
        this.#owner.sessionEnded(this, { closeCode: 0, reason: `malformed capsule: ${e.message}` });
        this.#release();
        return;
      }
      throw e;
    }
  }

  /**
   * The local application closed the session: CLOSE_WEBTRANSPORT_SESSION, then FIN.
   *
   * As a server the FIN is held back until the peer has answered the capsule with its own FIN, and then
   * FIN_AFTER_PEER_MS more. Chromium (156) loses the close code otherwise: on the capsule it posts a task that
   * reports the close to the page, and if our FIN together with the ACK of its own FIN is read before that task
   * runs, the CONNECT stream is already gone, the report carries no stats, fails mojo validation in the
   * renderer, and the page's `closed` rejects with "Connection lost" instead of resolving with our code.
   * draft-ietf-webtrans-http3-02 (what Chromium speaks) only says the capsule MUST be followed by a FIN.
   */
  closeLocally(info: SessionCloseInfo): void {
    if (this.phase !== 'open') return;
    this.phase = 'closed';
    if (!this.#weDone) {
      const capsule = encodeFrame(FRAME.DATA, encodeCloseCapsule(info.closeCode, info.reason));
      if (this.#owner.role === 'server' && !this.#peerDone) {
        this.#owner.write(this.id, capsule, false);
        this.#finPending = true;
        this.#finTimer = setTimeout(() => {
          this.#sendPendingFin(true);
        }, CLOSE_ANSWER_TIMEOUT_MS);
        this.#finTimer.unref();
        return;
      }
      this.#weDone = true;
      this.#owner.write(this.id, capsule, true);
    }
    this.#release();
  }

  /** The connection is gone. */
  abandon(): void {
    this.phase = 'closed';
    this.#peerDone = true;
    this.#weDone = true;
    this.#cancelPendingFin();
  }

  /** Sends the FIN that closeLocally held back; `stopReading` when the peer never answered with its own. */
  #sendPendingFin(stopReading: boolean): void {
    if (!this.#finPending || this.#weDone) return;
    this.#cancelPendingFin();
    this.#weDone = true;
    this.#owner.write(this.id, new Uint8Array(0), true);
    if (stopReading && !this.#peerDone) {
      this.#peerDone = true;
      this.#owner.shutdown(this.id, 'read', H3_CODES.WT_SESSION_GONE);
    }
    this.#release();
  }

  #cancelPendingFin(): void {
    this.#finPending = false;
    clearTimeout(this.#finTimer);
    this.#finTimer = undefined;
  }

  #release(): void {
    if (this.#released || !this.#peerDone || !this.#weDone) return;
    this.#released = true;
    this.#owner.requestDone(this);
  }

  #onPeerEnd(why: string): void {
    this.#peerDone = true;
    const was = this.phase;
    this.phase = 'closed';
    if (this.#finPending && !why) {
      // The peer answered our close capsule: our FIN follows shortly (see closeLocally).
      clearTimeout(this.#finTimer);
      this.#finTimer = setTimeout(() => {
        this.#sendPendingFin(false);
      }, FIN_AFTER_PEER_MS);
      this.#finTimer.unref();
      return;
    }
    this.#cancelPendingFin();
    if (!this.#weDone) {
      this.#weDone = true;
      if (why) this.#owner.shutdown(this.id, 'write', H3_CODES.NO_ERROR);
      else this.#owner.write(this.id, new Uint8Array(0), true);
    }
    if (was === 'open') this.#owner.sessionEnded(this, { closeCode: 0, reason: why });
    if (was === 'awaiting-response') this.#owner.sessionRefused(this, 0);
    this.#release();
  }

  #onFrame(ev: TlvEvent): void {
    if (ev.kind === 'whole') {
      if (ev.type !== FRAME.HEADERS) return;
      if (this.#headersSeen) return; // trailers carry nothing WebTransport needs
      this.#onHeaders(ev.payload);
      return;
    }
    // DATA: the capsule protocol.
    if (!this.#headersSeen) throw H3Error.unexpected('DATA before HEADERS');
    this.#capsules.push(ev.bytes, (c) => {
      if (c.kind !== 'whole') return;
      if (c.type === CAPSULE.CLOSE_WEBTRANSPORT_SESSION) {
        const info = decodeCloseCapsule(c.payload);
        if (this.phase === 'open') {
          this.phase = 'closed';
          if (!this.#weDone) {
            this.#weDone = true;
            this.#owner.write(this.id, new Uint8Array(0), true);
          }
          this.#owner.sessionEnded(this, info);
        }
      }
      // DRAIN_WEBTRANSPORT_SESSION asks us to wrap up; the application decides when, so nothing to do here.
    });
  }

  #onHeaders(block: Uint8Array): void {
    const interim = this.#owner.role === 'client';
    const fields = decodeFieldSection(block, {
      maxFieldSectionSize: this.#owner.limits.maxHeaderBytes,
      maxFields: MAX_FIELDS,
    });
    if (interim) {
      const status = Number(fields.find(([n]) => n === ':status')?.[1] ?? 'NaN');
      if (!Number.isInteger(status)) throw H3Error.message('response without :status');
      if (status < 200) return; // an interim response; the final one follows
      this.#headersSeen = true;
      if (this.phase !== 'awaiting-response') return;
      if (status >= 200 && status < 300) {
        this.phase = 'open';
        this.#owner.sessionOpened(this, undefined);
      } else {
        this.phase = 'closed';
        this.#owner.sessionRefused(this, status);
      }
      return;
    }
    this.#headersSeen = true;
    const check = checkConnectRequest(fields, this.#owner.remoteAddress());
    if (!check.ok) {
      this.#respondFinal(check.status);
      return;
    }
    const room = this.#owner.canOpenSession();
    if (!room.ok) {
      this.#respondFinal(room.status);
      return;
    }
    this.phase = 'deciding';
    const request = check.request;
    this.#owner.decide(request).then(
      (decision) => {
        if (this.phase !== 'deciding') return; // the client gave up meanwhile
        if (!decision.accept) {
          this.#respondFinal(decision.status);
          return;
        }
        this.phase = 'open';
        this.#owner.write(
          this.id,
          encodeFrame(FRAME.HEADERS, encodeFieldSection(responseFields(200))),
          false,
        );
        this.#owner.sessionOpened(this, request);
      },
      () => {
        if (this.phase === 'deciding') this.#respondFinal(500);
      },
    );
  }

  #respondFinal(status: number): void {
    const valid = Number.isInteger(status) && status >= 300 && status <= 599 ? status : 500;
    this.phase = 'closed';
    this.#weDone = true;
    this.#owner.write(this.id, encodeFrame(FRAME.HEADERS, encodeFieldSection(responseFields(valid))), true);
    this.#owner.sessionRefused(this, valid);
    this.#release();
  }
}
