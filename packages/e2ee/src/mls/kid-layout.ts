// RFC 9605 section 5.2: SFrame KIDs for an MLS group.
//   KID = (context << (S + E)) + (sender_index << E) + (epoch % (1 << E))
// E low-order epoch bits (a reordering window of 2^E epochs), S bits of MLS leaf index, the rest a sender-chosen
// context (we use 0: shortest header). Every sender gets its own KIDs, so (base_key, KID, CTR) never repeats.
import { MlsError } from './mls-error.ts';

export interface KidLayout {
  /** E: low-order bits of the epoch carried in the KID. */
  readonly epochBits: number;
  /** S: bits of the sender's leaf index; the group's leaf count must stay below 2^S. */
  readonly indexBits: number;
}

/** 8 epoch bits (256 epochs of reordering window), 16 index bits (65,536 leaves): KIDs of at most 3 bytes. */
export const DEFAULT_KID_LAYOUT: KidLayout = { epochBits: 8, indexBits: 16 };

export function validateKidLayout(layout: KidLayout): KidLayout {
  const { epochBits: e, indexBits: s } = layout;
  if (!Number.isInteger(e) || !Number.isInteger(s) || e < 1 || s < 1 || e + s > 63)
    throw MlsError.badKidLayout(`epoch bits ${e} + index bits ${s} must be integers >= 1 with E + S <= 63`);
  return { epochBits: e, indexBits: s };
}

export function epochLowBits(layout: KidLayout, epoch: bigint): bigint {
  return epoch & ((1n << BigInt(layout.epochBits)) - 1n);
}

export function senderKid(layout: KidLayout, epoch: bigint, senderIndex: number, context = 0n): bigint {
  if (!Number.isInteger(senderIndex) || senderIndex < 0 || senderIndex >= 2 ** layout.indexBits)
    throw MlsError.badKidLayout(`sender index ${senderIndex} does not fit ${layout.indexBits} bits`);
  const shift = BigInt(layout.epochBits + layout.indexBits);
  if (context < 0n || context >= 1n << (64n - shift))
    throw MlsError.badKidLayout(`context ${context.toString()} does not fit`);
  return (context << shift) + (BigInt(senderIndex) << BigInt(layout.epochBits)) + epochLowBits(layout, epoch);
}

export interface ParsedKid {
  context: bigint;
  senderIndex: number;
  epochBits: bigint;
}

export function parseKid(layout: KidLayout, kid: bigint): ParsedKid {
  const e = BigInt(layout.epochBits);
  const s = BigInt(layout.indexBits);
  return {
    context: kid >> (e + s),
    senderIndex: Number((kid >> e) & ((1n << s) - 1n)),
    epochBits: kid & ((1n << e) - 1n),
  };
}
