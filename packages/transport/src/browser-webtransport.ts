// Wraps the browser's native WebTransport (already W3C-shaped) into our Session interface.
import type {
  BidirectionalStream,
  DatagramDuplex,
  SendStreamOptions,
  Session,
  SessionCloseInfo,
  SessionStats,
} from './session.ts';

/** The subset of the W3C WebTransport object we rely on (typed here because lib.dom lags behind). */
interface NativeWebTransport {
  readonly ready: Promise<void>;
  readonly closed: Promise<{ closeCode?: number; reason?: string }>;
  readonly datagrams: {
    readonly readable: ReadableStream<Uint8Array>;
    readonly writable: WritableStream<Uint8Array>;
    readonly maxDatagramSize?: number;
  };
  readonly incomingBidirectionalStreams: ReadableStream<BidirectionalStream>;
  readonly incomingUnidirectionalStreams: ReadableStream<ReadableStream<Uint8Array>>;
  createBidirectionalStream(options?: SendStreamOptions): Promise<BidirectionalStream>;
  createUnidirectionalStream(options?: SendStreamOptions): Promise<WritableStream<Uint8Array>>;
  close(info?: { closeCode?: number; reason?: string }): void;
}

type NativeCtor = new (
  url: string,
  options?: { serverCertificateHashes?: { algorithm: string; value: BufferSource }[] },
) => NativeWebTransport;

export interface BrowserWebTransportOptions {
  /** SHA-256 hashes of acceptable self-signed certificates (development). */
  serverCertificateHashes?: Uint8Array[];
  signal?: AbortSignal;
}

/** True where the page can use WebTransport. */
export function hasWebTransport(): boolean {
  return typeof (globalThis as { WebTransport?: unknown }).WebTransport === 'function';
}

class BrowserSession implements Session {
  readonly protocol = 'webtransport';
  readonly ready: Promise<void>;
  readonly closed: Promise<SessionCloseInfo>;
  readonly datagrams: DatagramDuplex;
  readonly incomingBidirectionalStreams: ReadableStream<BidirectionalStream>;
  readonly incomingUnidirectionalStreams: ReadableStream<ReadableStream<Uint8Array>>;
  readonly #wt: NativeWebTransport;
  #closed = false;

  constructor(wt: NativeWebTransport) {
    this.#wt = wt;
    this.ready = wt.ready;
    this.closed = wt.closed.then(
      (info) => ({ closeCode: info.closeCode ?? 0, reason: info.reason ?? '' }),
      (error: unknown) => ({
        closeCode: 0x1006,
        reason: error instanceof Error ? error.message : 'connection lost',
      }),
    );
    void this.closed.then(() => (this.#closed = true));
    this.datagrams = {
      readable: wt.datagrams.readable,
      writable: wt.datagrams.writable,
      maxDatagramSize: wt.datagrams.maxDatagramSize ?? 1199,
    };
    this.incomingBidirectionalStreams = wt.incomingBidirectionalStreams;
    this.incomingUnidirectionalStreams = wt.incomingUnidirectionalStreams;
  }

  createBidirectionalStream(options?: SendStreamOptions): Promise<BidirectionalStream> {
    return this.#wt.createBidirectionalStream(options);
  }

  createUnidirectionalStream(options?: SendStreamOptions): Promise<WritableStream<Uint8Array>> {
    return this.#wt.createUnidirectionalStream(options);
  }

  close(info?: Partial<SessionCloseInfo>): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#wt.close({ closeCode: info?.closeCode ?? 0, reason: info?.reason ?? '' });
    } catch {
      // already closing: the closed promise reports how it ended
    }
  }

  stats(): SessionStats {
    // The page's WebTransport getStats() is async and not everywhere; path figures stay 0 here.
    return {
      rttMs: 0,
      congestionWindow: 0,
      packetsSent: 0,
      packetsReceived: 0,
      packetsLost: 0,
      bytesSent: 0,
      bytesReceived: 0,
      datagramsDropped: 0,
    };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.closed;
  }
}

/** Opens a session with the browser's native WebTransport. Rejects where it is missing or the connect fails. */
export async function connectBrowserWebTransport(
  url: string,
  options: BrowserWebTransportOptions = {},
): Promise<Session> {
  const Ctor = (globalThis as { WebTransport?: NativeCtor }).WebTransport;
  if (Ctor === undefined) throw new Error('WebTransport is not available in this browser');
  const hashes = options.serverCertificateHashes?.map((value) => ({
    algorithm: 'sha-256',
    value: value as BufferSource,
  }));
  const wt = new Ctor(
    url,
    hashes !== undefined && hashes.length > 0 ? { serverCertificateHashes: hashes } : {},
  );
  const session = new BrowserSession(wt);
  const onAbort = (): void => {
    session.close({ closeCode: 0, reason: 'aborted' });
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await session.ready;
    return session;
  } catch (error) {
    session.close();
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}
