// Wire format of the WebSocket fallback: every WebSocket binary message is one mux frame.
//   type (u8) | body
// Stream frames carry a stream id (u32 big-endian). Client-opened streams have even ids, server-opened odd ids,
// so both ends allocate without coordination (as QUIC does).
//
//   0x01 OPEN_BIDI    id
//   0x02 OPEN_UNI     id
//   0x03 DATA         id | bytes
//   0x04 FIN          id
//   0x05 RESET        id | code u32           (sender abandons its direction)
//   0x06 STOP         id | code u32           (receiver no longer wants data)
//   0x07 CREDIT       id | bytes u32          (receiver allows this many more bytes: per-stream flow control)
//   0x08 DATAGRAM     bytes
//   0x09 CLOSE        code u32 | reason utf-8 (session close, like CLOSE_WEBTRANSPORT_SESSION)

export const MuxType = {
  OpenBidi: 0x01,
  OpenUni: 0x02,
  Data: 0x03,
  Fin: 0x04,
  Reset: 0x05,
  Stop: 0x06,
  Credit: 0x07,
  Datagram: 0x08,
  Close: 0x09,
} as const;

export type MuxFrame =
  | { type: typeof MuxType.OpenBidi | typeof MuxType.OpenUni | typeof MuxType.Fin; id: number }
  | { type: typeof MuxType.Data; id: number; data: Uint8Array }
  | { type: typeof MuxType.Reset | typeof MuxType.Stop; id: number; code: number }
  | { type: typeof MuxType.Credit; id: number; bytes: number }
  | { type: typeof MuxType.Datagram; data: Uint8Array }
  | { type: typeof MuxType.Close; code: number; reason: string };

export class MuxFrameError extends Error {
  readonly code = 'INVALID_REQUEST';
  constructor(message: string) {
    super(`websocket mux: ${message}`);
    this.name = 'MuxFrameError';
  }
}

const MAX_REASON_BYTES = 1024;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeMuxFrame(frame: MuxFrame): Uint8Array<ArrayBuffer> {
  switch (frame.type) {
    case MuxType.OpenBidi:
    case MuxType.OpenUni:
    case MuxType.Fin: {
      const out = new Uint8Array(5);
      out[0] = frame.type;
      new DataView(out.buffer).setUint32(1, frame.id);
      return out;
    }
    case MuxType.Data: {
      const out = new Uint8Array(5 + frame.data.byteLength);
      out[0] = frame.type;
      new DataView(out.buffer).setUint32(1, frame.id);
      out.set(frame.data, 5);
      return out;
    }
    case MuxType.Reset:
    case MuxType.Stop:
    case MuxType.Credit: {
      const out = new Uint8Array(9);
      const view = new DataView(out.buffer);
      out[0] = frame.type;
      view.setUint32(1, frame.id);
      view.setUint32(5, frame.type === MuxType.Credit ? frame.bytes : frame.code);
      return out;
    }
    case MuxType.Datagram: {
      const out = new Uint8Array(1 + frame.data.byteLength);
      out[0] = frame.type;
      out.set(frame.data, 1);
      return out;
    }
    case MuxType.Close: {
      const reason = encoder.encode(frame.reason).subarray(0, MAX_REASON_BYTES);
      const out = new Uint8Array(5 + reason.byteLength);
      out[0] = frame.type;
      new DataView(out.buffer).setUint32(1, frame.code);
      out.set(reason, 5);
      return out;
    }
    default: {
      const never: never = frame;
      throw new MuxFrameError(`unknown frame ${String(never)}`);
    }
  }
}

/** Decodes one mux frame; payloads are views into `bytes` (no copy). Throws MuxFrameError on bad input. */
export function decodeMuxFrame(bytes: Uint8Array): MuxFrame {
  if (bytes.byteLength < 1) throw new MuxFrameError('empty message');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = bytes[0];
  const need = (n: number): void => {
    if (bytes.byteLength < n) throw new MuxFrameError(`frame type ${String(type)} truncated`);
  };
  switch (type) {
    case MuxType.OpenBidi:
    case MuxType.OpenUni:
    case MuxType.Fin:
      need(5);
      if (bytes.byteLength !== 5) throw new MuxFrameError(`frame type ${type} has trailing bytes`);
      return { type, id: view.getUint32(1) };
    case MuxType.Data:
      need(5);
      return { type, id: view.getUint32(1), data: bytes.subarray(5) };
    case MuxType.Reset:
    case MuxType.Stop:
      need(9);
      if (bytes.byteLength !== 9) throw new MuxFrameError(`frame type ${type} has trailing bytes`);
      return { type, id: view.getUint32(1), code: view.getUint32(5) };
    case MuxType.Credit:
      need(9);
      if (bytes.byteLength !== 9) throw new MuxFrameError('credit frame has trailing bytes');
      return { type, id: view.getUint32(1), bytes: view.getUint32(5) };
    case MuxType.Datagram:
      return { type, data: bytes.subarray(1) };
    case MuxType.Close: {
      need(5);
      if (bytes.byteLength > 5 + MAX_REASON_BYTES) throw new MuxFrameError('close reason too long');
      let reason: string;
      try {
        reason = decoder.decode(bytes.subarray(5));
      } catch {
        throw new MuxFrameError('close reason is not UTF-8');
      }
      return { type, code: view.getUint32(1), reason };
    }
    default:
      throw new MuxFrameError(`unknown frame type ${String(type)}`);
  }
}
