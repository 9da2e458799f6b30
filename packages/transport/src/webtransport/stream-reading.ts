// Small reads on peer streams before they are known: the stream-type and session-id varints of a new
// stream (read byte-exactly, so no application byte is consumed), and draining streams we ignore.
import type { Connection } from '@matrixai/quic/native/types.js';
import { readVarint, varintLengthFromFirstByte } from '../h3/varint.ts';

export interface VarintProgress {
  buf: Uint8Array;
  len: number;
}

/** Reads one varint from the stream into st.buf; the value, 'wait' for more bytes, or 'end'. */
export function readStreamVarint(conn: Connection, id: number, st: VarintProgress): number | 'wait' | 'end' {
  for (;;) {
    const need = st.len === 0 ? 1 : varintLengthFromFirstByte(st.buf[0] ?? 0);
    if (st.len >= need) break;
    let r: [number, boolean] | null;
    try {
      r = conn.streamRecv(id, st.buf.subarray(st.len, need));
    } catch {
      return 'end'; // reset before its preamble: nothing to do
    }
    if (r === null) return 'wait';
    st.len += r[0];
    if (r[1] && (st.len === 0 || st.len < varintLengthFromFirstByte(st.buf[0] ?? 0))) return 'end';
  }
  const v = readVarint(st.buf, 0);
  return v === undefined ? 'end' : v.value;
}

/** Reads and drops what the stream holds; true once the stream is over (FIN, reset or gone). */
export function drainStream(conn: Connection, id: number, scratch: Uint8Array): boolean {
  for (;;) {
    let r: [number, boolean] | null;
    try {
      r = conn.streamRecv(id, scratch);
    } catch {
      return true;
    }
    if (r === null) return false;
    if (r[1]) return true;
  }
}
