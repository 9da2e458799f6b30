// A short code that members compare out of band (read aloud, side by side on screens) to check they share one
// MLS epoch, i.e. that nobody in the middle runs two groups. Derived from the epoch authenticator (RFC 9420
// section 8.7), which every member of an epoch has and nobody else:
//   okm  = HKDF-SHA256(salt = "", ikm = epoch_authenticator, info = "DarkTower E2EE verification code v1", 24)
//   code = 6 groups; group i = uint32_be(okm[4i .. 4i+4]) mod 100000, zero-padded to 5 digits
// 6 x 5 digits is about 99.7 bits, far more than needed against a guessing attacker (it would have to hit the
// code in one try), and short enough to read. The code changes with every epoch.
const INFO = new TextEncoder().encode('DarkTower E2EE verification code v1');
export const VERIFICATION_CODE_GROUPS = 6;

export async function verificationCodeFor(epochAuthenticator: Uint8Array): Promise<string> {
  const subtle = globalThis.crypto.subtle;
  const ikm = await subtle.importKey('raw', new Uint8Array(epochAuthenticator), 'HKDF', false, [
    'deriveBits',
  ]);
  const okm = new DataView(
    await subtle.deriveBits(
      { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: INFO },
      ikm,
      VERIFICATION_CODE_GROUPS * 32,
    ),
  );
  const groups: string[] = [];
  for (let i = 0; i < VERIFICATION_CODE_GROUPS; i++)
    groups.push((okm.getUint32(4 * i) % 100000).toString().padStart(5, '0'));
  return groups.join(' ');
}
