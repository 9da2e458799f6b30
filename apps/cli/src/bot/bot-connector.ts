// How bots reach self-signed WebTransport servers: certificate hashes given on the command line, or read from
// the deployment's development endpoint (/api/v1/dev/transport: `darktower dev` and the local cluster serve it).
import type { Connector } from '@darktower/client';
import { connectWebTransport } from '@darktower/transport';

interface DevTransport {
  signaling?: { certificateHash?: unknown };
  certificateHashes?: unknown;
}

/** Base64 SHA-256 certificate hashes the deployment publishes for development; [] when it publishes none. */
export async function devCertificateHashes(baseUrl: string, signal?: AbortSignal): Promise<Uint8Array[]> {
  let body: DevTransport;
  try {
    const res = await fetch(`${baseUrl.replace(/\/+$/, '')}/api/v1/dev/transport`, {
      signal: signal ?? AbortSignal.timeout(5_000),
    });
    if (!res.ok) return [];
    body = (await res.json()) as DevTransport;
  } catch {
    return [];
  }
  const found: unknown[] = [body.signaling?.certificateHash];
  if (Array.isArray(body.certificateHashes)) found.push(...(body.certificateHashes as unknown[]));
  return decodeHashes(found.filter((h): h is string => typeof h === 'string'));
}

/** Decodes base64 (or hex) SHA-256 hashes; refuses anything that is not 32 bytes. */
export function decodeHashes(values: readonly string[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const v of values) {
    const bytes = /^[0-9a-f]{64}$/i.test(v) ? Buffer.from(v, 'hex') : Buffer.from(v, 'base64');
    if (bytes.byteLength !== 32) throw new Error(`not a SHA-256 certificate hash: ${v}`);
    out.push(new Uint8Array(bytes));
  }
  return out;
}

export interface BotConnectorOptions {
  /**
   * QUIC idle timeout (default 5 s; keep-alive PINGs go every third of it). A dead server (killed, unplugged) is
   * noticed after this long, which is what starts the SDK's resume; the transport's 30 s default would make every
   * failover wait half a minute.
   */
  readonly idleTimeoutMs?: number;
  /** Rewrites a target URL before dialing (the network-drop drill routes through a relay it can cut). */
  readonly route?: (url: string) => string | Promise<string>;
}

/** WebTransport (our QUIC client) to every target, certificates pinned by hash. */
export function botConnector(hashes: readonly Uint8Array[], options: BotConnectorOptions = {}): Connector {
  return async (target, signal) => {
    const url = options.route === undefined ? target.url : await options.route(target.url);
    return connectWebTransport(url, {
      serverCertificateHashes:
        target.serverCertificateHashes.length > 0 ? target.serverCertificateHashes : hashes,
      signal,
      limits: { idleTimeoutMs: options.idleTimeoutMs ?? 5_000 },
    });
  };
}
