// MLS's hash and KDF (RFC 9420 section 5.1: the suite's hash, HMAC and HKDF) on @noble/hashes, synchronous and in
// JavaScript, in place of ts-mls's WebCrypto ones. The key schedule, the secret tree and the tree hashes make
// hundreds of small hash/HMAC/HKDF calls per commit; each WebCrypto call costs an importKey, a promise and a
// thread-pool job, which was about two thirds of a commit's CPU in Node (profile of the e2ee bench), and in the
// browser a hop to WebCrypto's thread per call. The results are the same bytes (HMAC and HKDF are deterministic;
// an empty HKDF salt and the all-zero salt give the same HMAC key). HPKE and signatures stay as ts-mls has them.
import { hmac } from '@noble/hashes/hmac.js';
import { expand, extract } from '@noble/hashes/hkdf.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import type { CHash } from '@noble/hashes/utils.js';
import { timingSafeEqual } from '../aead.ts';
import type { CiphersuiteImpl, Hash, HashAlgorithm, Kdf, KdfAlgorithm } from 'ts-mls';

type NobleHash = CHash;

const HASHES: Readonly<Record<HashAlgorithm, NobleHash>> = {
  'SHA-256': sha256,
  'SHA-384': sha384,
  'SHA-512': sha512,
};

const KDF_HASHES: Readonly<Record<KdfAlgorithm, NobleHash>> = {
  'HKDF-SHA256': sha256,
  'HKDF-SHA384': sha384,
  'HKDF-SHA512': sha512,
};

export function nobleHash(algorithm: HashAlgorithm): Hash {
  const h = HASHES[algorithm];
  return {
    digest: (data) => Promise.resolve(h(data)),
    mac: (key, data) => Promise.resolve(hmac(h, key, data)),
    verifyMac: (key, mac, data) => Promise.resolve(timingSafeEqual(hmac(h, key, data), mac)),
  };
}

export function nobleKdf(algorithm: KdfAlgorithm): Kdf {
  const h = KDF_HASHES[algorithm];
  return {
    extract: (salt, ikm) => Promise.resolve(extract(h, ikm, salt)),
    expand: (prk, info, len) => {
      try {
        return Promise.resolve(expand(h, prk, info, len));
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    },
    size: h.outputLen,
  };
}

/** `cs` with its hash and KDF on @noble/hashes (same algorithms as `hash` and `kdf` name). */
export function withNobleHashing(
  cs: CiphersuiteImpl,
  hash: HashAlgorithm,
  kdf: KdfAlgorithm,
): CiphersuiteImpl {
  return { ...cs, hash: nobleHash(hash), kdf: nobleKdf(kdf) };
}
