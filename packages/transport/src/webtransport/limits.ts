// Resource limits of the WebTransport server and client, with defaults and one validation pass.
import { TransportError } from './transport-error.ts';

export interface TransportLimits {
  maxConnections: number;
  maxConnectionsPerIp: number;
  maxSessionsPerConnection: number;
  /** Concurrent streams (each direction counted once) a peer may have open in one session. */
  maxStreamsPerSession: number;
  idleTimeoutMs: number;
  /** Largest HEADERS frame accepted on a CONNECT stream. */
  maxHeaderBytes: number;
  /** Datagrams queued per session in each direction before the oldest is dropped. */
  maxDatagramQueue: number;
  /** A connection that has not established a session by then is closed. */
  connectTimeoutMs: number;
}

export const DEFAULT_LIMITS: TransportLimits = {
  maxConnections: 10_000,
  maxConnectionsPerIp: 64,
  maxSessionsPerConnection: 4,
  maxStreamsPerSession: 256,
  idleTimeoutMs: 30_000,
  maxHeaderBytes: 16 * 1024,
  maxDatagramQueue: 1024,
  connectTimeoutMs: 10_000,
};

export function resolveLimits(partial: Partial<TransportLimits> | undefined): TransportLimits {
  const limits = { ...DEFAULT_LIMITS, ...partial };
  for (const [key, value] of Object.entries(limits)) {
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0)
      throw TransportError.invalidConfig(`limits.${key} must be a positive integer (got ${String(value)})`);
  }
  return limits;
}
