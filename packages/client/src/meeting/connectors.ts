// Connectors for browsers (and anything with fetch-era globals): WebTransport raced against the WebSocket fallback.
import {
  connectBrowserWebTransport,
  connectRace,
  connectWebSocket,
  hasWebTransport,
} from '@darktower/transport/browser';
import type { Connector } from './meeting-types.ts';

export interface WebConnectorOptions {
  /** The WebSocket fallback URL for a target URL; undefined when there is none. Default: webSocketUrlFor. */
  readonly webSocketUrl?: (url: string, purpose: 'signaling' | 'media') => string | undefined;
  /** Use only one transport (tests, or a user setting). */
  readonly only?: 'webtransport' | 'websocket';
  /** WebTransport's head start before the fallback starts (default 300 ms). */
  readonly headStartMs?: number;
  /** Certificate hashes to accept when the target gives none (development certificates). */
  readonly serverCertificateHashes?: readonly Uint8Array[];
}

/**
 * The default fallback URL: ws(s):// targets are used as they are; for https://host:port/path the fallback is
 * wss://host:port/path is not served by QUIC listeners, so none is guessed (undefined).
 */
export function webSocketUrlFor(url: string): string | undefined {
  return /^wss?:\/\//.test(url) ? url : undefined;
}

export function webConnector(options: WebConnectorOptions = {}): Connector {
  return (target, signal) => {
    const isWs = /^wss?:\/\//.test(target.url);
    const wsUrl = isWs ? target.url : (options.webSocketUrl ?? webSocketUrlFor)(target.url, target.purpose);
    const hashes =
      target.serverCertificateHashes.length > 0
        ? target.serverCertificateHashes
        : (options.serverCertificateHashes ?? []);
    const canWt = !isWs && hasWebTransport() && options.only !== 'websocket';
    const canWs = wsUrl !== undefined && options.only !== 'webtransport';
    return connectRace({
      signal,
      headStartMs: options.headStartMs ?? 300,
      ...(canWt
        ? {
            webTransport: (s: AbortSignal) =>
              connectBrowserWebTransport(target.url, { serverCertificateHashes: [...hashes], signal: s }),
          }
        : {}),
      ...(canWs
        ? { webSocket: (s: AbortSignal) => connectWebSocket(wsUrl, { signal: s, timeoutMs: 10_000 }) }
        : {}),
    });
  };
}
