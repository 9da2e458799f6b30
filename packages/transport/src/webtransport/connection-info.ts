// Figures and end reasons read off a quiche connection.
import type { Connection } from '@matrixai/quic/native/types.js';
import type { SessionStats } from '../session.ts';

export function connectionStats(conn: Connection, datagramsDropped: number): SessionStats {
  const s = conn.stats();
  const path = conn.pathStats()[0];
  return {
    rttMs: path ? path.rtt : 0,
    congestionWindow: path ? path.cwnd : 0,
    packetsSent: s.sent,
    packetsReceived: s.recv,
    packetsLost: s.lost,
    bytesSent: s.sentBytes,
    bytesReceived: s.recvBytes,
    datagramsDropped,
  };
}

/** Why the connection ended, with the error code in hex (what tests and logs match on). */
export function describeConnectionEnd(conn: Connection): string {
  const err = conn.peerError() ?? conn.localError();
  if (err) {
    const kind = err.isApp ? 'application' : 'transport';
    const reason = err.reason.length > 0 ? `: ${Buffer.from(err.reason).toString('utf8')}` : '';
    return `connection closed (${kind} error 0x${err.errorCode.toString(16)}${reason})`;
  }
  return conn.isTimedOut() ? 'connection idle timeout' : 'connection closed';
}
