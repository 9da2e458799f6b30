// The E2EE hook: a per-frame transform applied after encoding (encrypt) and before decoding (decrypt). The
// SFrame implementation of @darktower/e2ee plugs in here; the default is the identity.
import type { FrameType, StreamId } from '@darktower/protocol';

export interface FrameMeta {
  /** The stream id the frame travels under (publisher's stream id, or the subscriber's slot id on receive). */
  readonly streamId: StreamId;
  /** Who sent it (known on receive when the stream is mapped to a participant). */
  readonly participantId: string | undefined;
  readonly frameType: FrameType;
  readonly timestampUs: number;
}

export interface FrameTransform {
  encrypt(payload: Uint8Array, meta: FrameMeta): Uint8Array | Promise<Uint8Array>;
  /** Returns undefined to drop a frame that does not authenticate. */
  decrypt(payload: Uint8Array, meta: FrameMeta): Uint8Array | undefined | Promise<Uint8Array | undefined>;
}

export const identityTransform: FrameTransform = {
  encrypt: (payload) => payload,
  decrypt: (payload) => payload,
};
