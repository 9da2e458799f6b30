import { GlobalError } from './errors.ts';
import type { MeetingCode } from './ids.ts';

/**
 * Human meeting codes in the `abc-defg-hij` shape. The alphabet drops letters that are easily misread or
 * misheard (i, l, o, and u to avoid accidental words): 22 letters, 10 positions ≈ 44.6 bits.
 */
export const MEETING_CODE_ALPHABET = 'abcdefghjkmnpqrstvwxyz';
const GROUPS = [3, 4, 3] as const;
const CODE = new RegExp(
  `^[${MEETING_CODE_ALPHABET}]{3}-[${MEETING_CODE_ALPHABET}]{4}-[${MEETING_CODE_ALPHABET}]{3}$`,
);

export type RandomBytes = (length: number) => Uint8Array;

export const cryptoRandomBytes: RandomBytes = (length) => crypto.getRandomValues(new Uint8Array(length));

/** Uniform over the alphabet: rejection sampling, so no modulo bias. */
export function generateMeetingCode(random: RandomBytes = cryptoRandomBytes): MeetingCode {
  const n = MEETING_CODE_ALPHABET.length;
  const limit = 256 - (256 % n);
  const total = GROUPS.reduce((a, b) => a + b, 0);
  const chars: string[] = [];
  while (chars.length < total) {
    for (const byte of random(total * 2)) {
      if (byte < limit && chars.length < total) chars.push(MEETING_CODE_ALPHABET.charAt(byte % n));
    }
  }
  const parts: string[] = [];
  let at = 0;
  for (const size of GROUPS) {
    parts.push(chars.slice(at, at + size).join(''));
    at += size;
  }
  return parts.join('-') as MeetingCode;
}

/** Accepts codes typed by people: case-insensitive, with or without dashes. */
export function parseMeetingCode(value: string): MeetingCode | undefined {
  if (value.length > 16) return undefined;
  const lower = value.toLowerCase();
  if (CODE.test(lower)) return lower as MeetingCode;
  if (/^[a-z]{10}$/.test(lower)) {
    const dashed = `${lower.slice(0, 3)}-${lower.slice(3, 7)}-${lower.slice(7)}`;
    if (CODE.test(dashed)) return dashed as MeetingCode;
  }
  return undefined;
}

/**
 * Generates codes until `tryClaim` accepts one (it returns false on a uniqueness collision).
 * Collisions are rare at 44 bits; the bound keeps a broken store from looping forever.
 */
export async function claimMeetingCode(
  tryClaim: (code: MeetingCode) => Promise<boolean>,
  options: { readonly attempts?: number; readonly random?: RandomBytes } = {},
): Promise<MeetingCode> {
  const attempts = options.attempts ?? 8;
  for (let i = 0; i < attempts; i++) {
    const code = generateMeetingCode(options.random);
    if (await tryClaim(code)) return code;
  }
  throw GlobalError.internal(`no free meeting code after ${attempts} attempts`);
}
