// The per-frame transform applied after encoding (encrypt) and before decoding (decrypt). The Meeting's E2EE
// (src/e2ee/, SFrame keyed by MLS) is one; a caller's own transform (MeetingOptions.transform) runs outside it, on
// the wire side (it sees SFrame ciphertext in E2EE meetings). The default is the identity.
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
  /** Returns undefined when the frame must not be sent (e.g. E2EE has no key yet): it is dropped and counted. */
  encrypt(payload: Uint8Array, meta: FrameMeta): Uint8Array | undefined | Promise<Uint8Array | undefined>;
  /** Returns undefined to drop a frame that does not authenticate. */
  decrypt(payload: Uint8Array, meta: FrameMeta): Uint8Array | undefined | Promise<Uint8Array | undefined>;
}

export const identityTransform: FrameTransform = {
  encrypt: (payload) => payload,
  decrypt: (payload) => payload,
};
