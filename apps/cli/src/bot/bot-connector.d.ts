import type { Connector } from '@darktower/client';
/** Base64 SHA-256 certificate hashes the deployment publishes for development; [] when it publishes none. */
export declare function devCertificateHashes(baseUrl: string, signal?: AbortSignal): Promise<Uint8Array[]>;
/** Decodes base64 (or hex) SHA-256 hashes; refuses anything that is not 32 bytes. */
export declare function decodeHashes(values: readonly string[]): Uint8Array[];
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
export declare function botConnector(hashes: readonly Uint8Array[], options?: BotConnectorOptions): Connector;
//# sourceMappingURL=bot-connector.d.ts.map
