import { connectWebTransport } from '@darktower/transport';
/** Base64 SHA-256 certificate hashes the deployment publishes for development; [] when it publishes none. */
export async function devCertificateHashes(baseUrl, signal) {
  let body;
  try {
    const res = await fetch(`${baseUrl.replace(/\/+$/, '')}/api/v1/dev/transport`, {
      signal: signal ?? AbortSignal.timeout(5_000),
    });
    if (!res.ok) return [];
    body = await res.json();
  } catch {
    return [];
  }
  const found = [body.signaling?.certificateHash];
  if (Array.isArray(body.certificateHashes)) found.push(...body.certificateHashes);
  return decodeHashes(found.filter((h) => typeof h === 'string'));
}
/** Decodes base64 (or hex) SHA-256 hashes; refuses anything that is not 32 bytes. */
export function decodeHashes(values) {
  const out = [];
  for (const v of values) {
    const bytes = /^[0-9a-f]{64}$/i.test(v) ? Buffer.from(v, 'hex') : Buffer.from(v, 'base64');
    if (bytes.byteLength !== 32) throw new Error(`not a SHA-256 certificate hash: ${v}`);
    out.push(new Uint8Array(bytes));
  }
  return out;
}
/** WebTransport (our QUIC client) to every target, certificates pinned by hash. */
export function botConnector(hashes, options = {}) {
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
//# sourceMappingURL=bot-connector.js.map
