// Where a participant's SFrame keys live: an MlsSframeKeyring on this thread (Node bots, tests) or a proxy to one
// in a Worker (browsers, so per-frame crypto stays off the main thread). The MLS half stays with the caller: only
// each epoch's exported SFrame base key crosses over.
import type { EpochKeySink } from '@darktower/e2ee';

export interface E2eeDecryptedFrame {
  readonly senderLeafIndex: number;
  readonly epoch: bigint;
  readonly plaintext: Uint8Array;
}

export interface E2eeKeyring extends EpochKeySink {
  /** SFrame-encrypts one frame under our KID of the current epoch; throws MlsError NOT_IN_GROUP without one. */
  encrypt(frame: Uint8Array, metadata?: Uint8Array): Promise<Uint8Array>;
  /** Decrypts one frame; tampered, replayed, unknown-KID and malformed frames throw an error with a `code`. */
  decrypt(ciphertext: Uint8Array, metadata?: Uint8Array): Promise<E2eeDecryptedFrame>;
}

/** Why a received frame was dropped (counted in E2eeStats.dropped, emitted as `frameDropped`). */
export type E2eeDropReason =
  'tampered' | 'replayed' | 'unknown-kid' | 'malformed' | 'sender-mismatch' | 'no-group' | 'error';

export const E2EE_DROP_REASONS: readonly E2eeDropReason[] = [
  'tampered',
  'replayed',
  'unknown-kid',
  'malformed',
  'sender-mismatch',
  'no-group',
  'error',
];

/** The drop reason for an error thrown by E2eeKeyring.decrypt (SframeError / MlsError codes, also across a Worker). */
export function dropReasonOf(error: unknown): E2eeDropReason {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  switch (code) {
    case 'AUTH_FAILED':
      return 'tampered';
    case 'REPLAY':
      return 'replayed';
    case 'UNKNOWN_KID':
      return 'unknown-kid';
    case 'MALFORMED_HEADER':
      return 'malformed';
    case 'NOT_IN_GROUP':
    case 'CLOSED':
      return 'no-group';
    default:
      return 'error';
  }
}
