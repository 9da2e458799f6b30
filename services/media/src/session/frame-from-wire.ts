import { FRAME_HEADER_BYTES, FrameType, writeFrameHeader, type FrameHeader } from '@darktower/protocol';
import type { ForwardFrame, FrameKind } from '../core/frame.ts';
import type { StreamId } from '../ids.ts';

export function frameKind(type: FrameType): FrameKind {
  switch (type) {
    case FrameType.Audio:
      return 'audio';
    case FrameType.VideoKey:
      return 'key';
    case FrameType.VideoDelta:
      return 'delta';
    default: {
      const never: never = type;
      return never;
    }
  }
}

/**
 * The forwarding view of a parsed frame. `wire` must be header + payload contiguous: when the parser returned the
 * payload as a view into `chunk` right after its header (the common case), that region of the chunk is used as is
 * (zero copy); otherwise (a frame split across chunks) header and payload are joined once here.
 */
export function toForwardFrame(
  header: FrameHeader,
  payload: Uint8Array,
  chunk: Uint8Array | undefined,
  origin: 'client' | 'cascade',
): ForwardFrame {
  let wire: Uint8Array;
  if (payload.buffer === chunk?.buffer && payload.byteOffset - FRAME_HEADER_BYTES >= chunk.byteOffset) {
    wire = new Uint8Array(
      payload.buffer,
      payload.byteOffset - FRAME_HEADER_BYTES,
      FRAME_HEADER_BYTES + payload.length,
    );
  } else {
    wire = new Uint8Array(FRAME_HEADER_BYTES + payload.length);
    writeFrameHeader(header, wire, 0);
    wire.set(payload, FRAME_HEADER_BYTES);
  }
  return {
    streamId: header.streamId as string as StreamId,
    kind: frameKind(header.frameType),
    sequence: header.sequence,
    timestampUs: header.timestamp,
    wire,
    payloadLength: payload.length,
    discardable: header.discardable,
    audioLevel: header.audioLevel?.level,
    origin,
  };
}
