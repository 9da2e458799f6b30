// The client side of opening a WebTransport session on a fresh HTTP/3 connection: check the server's certificate
// once the handshake completes (pinned hashes), then, when the server's SETTINGS arrive, refuse a server without
// WebTransport or send the extended CONNECT on stream 0 (unless a GOAWAY came first).
import type { Connection } from '@matrixai/quic/native/types.js';
import { FRAME, encodeFrame } from '../h3/frames.ts';
import { H3_CODES } from '../h3/h3-error.ts';
import { peerSupportsWebTransport, type Settings } from '../h3/settings.ts';
import type { H3ConnectionOptions } from './h3-connection-options.ts';
import type { QuicSession } from './quic-session.ts';
import { TransportError } from './transport-error.ts';

export interface ClientConnectHost {
  readonly conn: Connection;
  close(h3Code: number, reason: string): void;
  write(id: number, data: Uint8Array, fin: boolean): void;
  /** Creates and registers the request stream of our CONNECT (stream 0), awaiting the response. */
  addConnectRequest(): void;
}

const TLS_BAD_CERTIFICATE = 0x100 + 42;

export class ClientConnect {
  readonly #host: ClientConnectHost;
  readonly #o: Pick<H3ConnectionOptions, 'verifyPeer' | 'connectFields'> & {
    onClientResult?: (result: QuicSession | TransportError) => void;
  };
  #started = false;
  #goawayReceived = false;

  constructor(host: ClientConnectHost, options: H3ConnectionOptions) {
    this.#host = host;
    this.#o = options;
  }

  /** After the handshake: false (and the connection closed) if the certificate matches no pin. */
  verifyPeer(): boolean {
    const verify = this.#o.verifyPeer;
    if (!verify || verify(this.#host.conn.peerCertChain() ?? [])) return true;
    this.#o.onClientResult?.(TransportError.certificateMismatch());
    try {
      this.#host.conn.close(false, TLS_BAD_CERTIFICATE, new TextEncoder().encode('certificate mismatch'));
    } catch {
      // Already closing.
    }
    return false;
  }

  onGoaway(): void {
    this.#goawayReceived = true;
  }

  onPeerSettings(settings: Settings): void {
    if (this.#started) return;
    this.#started = true;
    if (!peerSupportsWebTransport(settings)) {
      this.#o.onClientResult?.(
        TransportError.connectFailed('server does not offer WebTransport over HTTP/3'),
      );
      this.#host.close(H3_CODES.NO_ERROR, 'no webtransport');
      return;
    }
    if (this.#goawayReceived) return;
    this.#host.addConnectRequest();
    const block = this.#o.connectFields?.();
    if (block === undefined) return; // a test peer that never sends its CONNECT
    this.#host.write(0, encodeFrame(FRAME.HEADERS, block), false);
  }
}
