// What the page needs from the server besides the REST API: certificate hashes for self-signed WebTransport
// certificates (development) and where the WebSocket fallback of a WebTransport URL lives.
import type { DarkTowerApi } from '@darktower/client';

export interface DevConfig {
  /** SHA-256 hashes of the development certificate(s). */
  readonly certificateHashes: Uint8Array[];
  /** Maps a WebTransport URL to its WebSocket fallback URL (undefined: none). */
  readonly webSocketUrl: (url: string, purpose: 'signaling' | 'media') => string | undefined;
}

function bytesOf(value: unknown): Uint8Array | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  if (/^[0-9a-f]{64}$/i.test(value)) {
    return Uint8Array.from(value.match(/../g) ?? [], (h) => parseInt(h, 16));
  }
  try {
    const bin = atob(value.replace(/-/g, '+').replace(/_/g, '/'));
    return Uint8Array.from(bin, (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

interface Endpoint {
  webtransport?: unknown;
  websocket?: unknown;
  certificateHash?: unknown;
}

/**
 * The dev stack's GET /api/v1/dev/transport: { signaling: Endpoint, media: Endpoint[] }, each with its WebTransport
 * URL, WebSocket fallback URL and certificate hash (base64).
 */
async function loadDevTransport(api: DarkTowerApi): Promise<DevConfig | undefined> {
  let body: Record<string, unknown>;
  try {
    body = await api.getJson('/api/v1/dev/transport');
  } catch {
    return undefined;
  }
  const endpoints = [body.signaling, ...(Array.isArray(body.media) ? (body.media as unknown[]) : [])].filter(
    (e): e is Endpoint => typeof e === 'object' && e !== null,
  );
  const map = new Map<string, string>();
  const hashes: Uint8Array[] = [];
  for (const e of endpoints) {
    if (typeof e.webtransport === 'string' && typeof e.websocket === 'string')
      map.set(e.webtransport, e.websocket);
    const h = bytesOf(e.certificateHash);
    if (h !== undefined) hashes.push(h);
  }
  return {
    certificateHashes: hashes,
    webSocketUrl: (url) => map.get(url) ?? (/^wss?:\/\//.test(url) ? url : undefined),
  };
}

/**
 * Fallback: GET /api/v1/dev/config: { certificate_hashes: [hex or base64], websocket_urls: { "<webtransport url>": "<ws url>" } }
 * (optional: websocket_base, used as `${websocket_base}/<purpose>` when no exact entry exists). Missing endpoint:
 * no hashes, no fallback mapping (ws:// URLs still work as they are).
 */
export async function loadDevConfig(api: DarkTowerApi): Promise<DevConfig> {
  const transport = await loadDevTransport(api);
  if (transport !== undefined) return transport;
  let body: Record<string, unknown>;
  try {
    body = await api.getJson('/api/v1/dev/config');
  } catch {
    try {
      body = await api.getJson('/api/v1/dev/cert-hash');
    } catch {
      body = {};
    }
  }
  const rawHashes = Array.isArray(body.certificate_hashes)
    ? (body.certificate_hashes as unknown[])
    : [body.certificate_hash ?? body.hash];
  const certificateHashes = rawHashes.map(bytesOf).filter((h): h is Uint8Array => h !== undefined);
  const map = (body.websocket_urls ?? {}) as Record<string, unknown>;
  const base = typeof body.websocket_base === 'string' ? body.websocket_base : undefined;
  return {
    certificateHashes,
    webSocketUrl: (url, purpose) => {
      const exact = map[url];
      if (typeof exact === 'string') return new URL(exact, location.href).toString().replace(/^http/, 'ws');
      if (/^wss?:\/\//.test(url)) return url;
      if (base === undefined) return undefined;
      return new URL(`${base.replace(/\/+$/, '')}/${purpose}`, location.href)
        .toString()
        .replace(/^http/, 'ws');
    },
  };
}
