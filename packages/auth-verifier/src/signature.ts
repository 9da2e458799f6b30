import { KeyObject, verify } from 'node:crypto';

const keyObjects = new WeakMap<CryptoKey, KeyObject>();
const ED25519_SIGNATURE_BYTES = 64;

/**
 * Ed25519 signature check with node:crypto's synchronous verify. Same primitive as WebCrypto (OpenSSL), without
 * a thread-pool hop and promise per call: 30-40% more verifications per core than going through jose's
 * WebCrypto path (see services/auth bench).
 */
export function verifyEd25519(key: CryptoKey, signingInput: string, signatureB64url: string): boolean {
  let keyObject = keyObjects.get(key);
  if (keyObject === undefined) {
    keyObject = KeyObject.from(key);
    keyObjects.set(key, keyObject);
  }
  if (keyObject.asymmetricKeyType !== 'ed25519' || keyObject.type !== 'public') return false;
  const signature = Buffer.from(signatureB64url, 'base64url');
  if (signature.length !== ED25519_SIGNATURE_BYTES) return false;
  return verify(null, Buffer.from(signingInput, 'ascii'), keyObject, signature);
}
