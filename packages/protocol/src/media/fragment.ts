import { ProtocolError } from '../errors/protocol-error.ts';
import { FRAME_HEADER_BYTES, type FrameHeader } from './frame-header.ts';
import type { MediaFrame } from './media-frame.ts';

/**
 * Splits one encoded frame into media frames whose encoding (header + payload) fits `maxFrameBytes` (for datagrams:
 * the session's maximum datagram size). The fragments share the timestamp and frame type, take consecutive sequence
 * numbers from `firstSequence`, and only the last has endOfFrame set. Payloads are views into `payload`.
 */
export function fragmentFrame(
  header: Omit<FrameHeader, 'sequence' | 'payloadLength' | 'endOfFrame'>,
  payload: Uint8Array,
  firstSequence: number,
  maxFrameBytes: number,
): MediaFrame[] {
  const room = maxFrameBytes - FRAME_HEADER_BYTES;
  if (!Number.isInteger(maxFrameBytes) || room < 1) {
    throw ProtocolError.invalidArgument(`maxFrameBytes must be an integer above ${FRAME_HEADER_BYTES}`);
  }
  const count = Math.max(1, Math.ceil(payload.length / room));
  if (!Number.isSafeInteger(firstSequence + count - 1) || firstSequence < 0) {
    throw ProtocolError.valueOutOfRange('fragment sequence');
  }
  const frames: MediaFrame[] = [];
  for (let i = 0; i < count; i++) {
    const part = payload.subarray(i * room, Math.min(payload.length, (i + 1) * room));
    frames.push({
      header: {
        ...header,
        sequence: firstSequence + i,
        payloadLength: part.length,
        endOfFrame: i === count - 1,
      },
      payload: part,
    });
  }
  return frames;
}
