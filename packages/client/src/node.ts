// @darktower/client/node: the Node connector (our QUIC WebTransport client, WebSocket fallback) for bots and tests.
import { connectRace, connectWebSocket, connectWebTransport } from '@darktower/transport';
import type { Connector } from './meeting/meeting-types.ts';
import { webSocketUrlFor } from './meeting/connectors.ts';

export interface NodeConnectorOptions {
  readonly webSocketUrl?: (url: string, purpose: 'signaling' | 'media') => string | undefined;
  readonly only?: 'webtransport' | 'websocket';
  readonly headStartMs?: number;
  readonly serverCertificateHashes?: readonly Uint8Array[];
}

export function nodeConnector(options: NodeConnectorOptions = {}): Connector {
  return (target, signal) => {
    const isWs = /^wss?:\/\//.test(target.url);
    const wsUrl = isWs ? target.url : (options.webSocketUrl ?? webSocketUrlFor)(target.url, target.purpose);
    const hashes =
      target.serverCertificateHashes.length > 0
        ? target.serverCertificateHashes
        : (options.serverCertificateHashes ?? []);
    const canWt = !isWs && options.only !== 'websocket';
    const canWs = wsUrl !== undefined && options.only !== 'webtransport';
    return connectRace({
      signal,
      headStartMs: options.headStartMs ?? 300,
      ...(canWt
        ? {
            webTransport: (s: AbortSignal) =>
              connectWebTransport(target.url, { serverCertificateHashes: hashes, signal: s }),
          }
        : {}),
      ...(canWs
        ? { webSocket: (s: AbortSignal) => connectWebSocket(wsUrl, { signal: s, timeoutMs: 10_000 }) }
        : {}),
    });
  };
}
