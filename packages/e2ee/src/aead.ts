// The AEADs SFrame uses, on WebCrypto (browsers, Workers and Node alike).
// AES-GCM is native. AES-CTR+HMAC follows RFC 9605 section 4.5.1:
//   enc_key = key[:Nka], auth_key = key[Nka:]
//   ct = AES-CTR(enc_key, nonce || 0x00000000, pt)
//   tag = truncate(HMAC(auth_key, len(aad)_8 || len(ct)_8 || Nt_8 || nonce || aad || ct), Nt)
import type { CipherSuite } from './cipher-suites.ts';
import { SframeError } from './sframe-error.ts';

const subtle = globalThis.crypto.subtle;

export interface Aead {
  seal(
    nonce: Uint8Array<ArrayBuffer>,
    aad: Uint8Array,
    plaintext: Uint8Array,
  ): Promise<Uint8Array<ArrayBuffer>>;
  open(
    nonce: Uint8Array<ArrayBuffer>,
    aad: Uint8Array,
    ciphertext: Uint8Array,
  ): Promise<Uint8Array<ArrayBuffer>>;
}

function u64(n: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n));
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.byteLength;
  }
  return out;
}

/** Constant-time comparison of equal-length byte strings. */
function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  let diff = 0;
  for (let i = 0; i < a.byteLength; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

async function gcm(suite: CipherSuite, key: Uint8Array<ArrayBuffer>): Promise<Aead> {
  const k = await subtle.importKey('raw', key, 'AES-GCM', false, ['encrypt', 'decrypt']);
  const tagLength = suite.nt * 8;
  return {
    async seal(nonce, aad, plaintext) {
      const params = { name: 'AES-GCM', iv: nonce, additionalData: aad as BufferSource, tagLength };
      return new Uint8Array(await subtle.encrypt(params, k, plaintext as BufferSource));
    },
    async open(nonce, aad, ciphertext) {
      const params = { name: 'AES-GCM', iv: nonce, additionalData: aad as BufferSource, tagLength };
      try {
        return new Uint8Array(await subtle.decrypt(params, k, ciphertext as BufferSource));
      } catch (error) {
        throw SframeError.authFailed(error);
      }
    },
  };
}

async function ctrHmac(suite: CipherSuite, key: Uint8Array<ArrayBuffer>): Promise<Aead> {
  const encKey = await subtle.importKey('raw', key.slice(0, suite.nka), 'AES-CTR', false, [
    'encrypt',
    'decrypt',
  ]);
  const authKey = await subtle.importKey(
    'raw',
    key.slice(suite.nka),
    { name: 'HMAC', hash: suite.hash },
    false,
    ['sign'],
  );
  const tag = async (nonce: Uint8Array, aad: Uint8Array, ct: Uint8Array): Promise<Uint8Array> => {
    const authData = concat(u64(aad.byteLength), u64(ct.byteLength), u64(suite.nt), nonce, aad, ct);
    return new Uint8Array(await subtle.sign('HMAC', authKey, authData)).subarray(0, suite.nt);
  };
  const counter = (nonce: Uint8Array): Uint8Array<ArrayBuffer> => concat(nonce, new Uint8Array(4));
  return {
    async seal(nonce, aad, plaintext) {
      const ct = new Uint8Array(
        await subtle.encrypt(
          { name: 'AES-CTR', counter: counter(nonce), length: 32 },
          encKey,
          plaintext as BufferSource,
        ),
      );
      return concat(ct, await tag(nonce, aad, ct));
    },
    async open(nonce, aad, ciphertext) {
      if (ciphertext.byteLength < suite.nt) throw SframeError.authFailed();
      const ct = ciphertext.subarray(0, ciphertext.byteLength - suite.nt);
      const received = ciphertext.subarray(ciphertext.byteLength - suite.nt);
      if (!timingSafeEqual(await tag(nonce, aad, ct), received)) throw SframeError.authFailed();
      return new Uint8Array(
        await subtle.decrypt(
          { name: 'AES-CTR', counter: counter(nonce), length: 32 },
          encKey,
          ct as BufferSource,
        ),
      );
    },
  };
}

export function createAead(suite: CipherSuite, key: Uint8Array<ArrayBuffer>): Promise<Aead> {
  if (key.byteLength !== suite.nk) throw SframeError.badKey(`${suite.name} needs a ${suite.nk}-byte key`);
  return suite.kind === 'gcm' ? gcm(suite, key) : ctrHmac(suite, key);
}
