// The AEADs SFrame uses: on WebCrypto in browsers and Workers, on node:crypto in Node (bots, tests, tools).
// Both backends compute the same bytes (RFC 9605 vectors and a cross test). Node's WebCrypto costs ~50 us of
// main-thread work per call (algorithm normalisation and a thread-pool job), which made AES-GCM a third of the
// bots' CPU in the soak; node:crypto's one-shot ciphers do a 1 kB frame in a few microseconds.
// AES-GCM is native. AES-CTR+HMAC follows RFC 9605 section 4.5.1:
//   enc_key = key[:Nka], auth_key = key[Nka:]
//   ct = AES-CTR(enc_key, nonce || 0x00000000, pt)
//   tag = truncate(HMAC(auth_key, len(aad)_8 || len(ct)_8 || Nt_8 || nonce || aad || ct), Nt)
import type { CipherSuite } from './cipher-suites.ts';
import { SframeError } from './sframe-error.ts';

const subtle = globalThis.crypto.subtle;

/** node:crypto when running in Node, found without an import so that browser bundles never see it. */
const nodeProcess = (globalThis as { process?: Partial<Pick<NodeJS.Process, 'getBuiltinModule'>> }).process;
const nodeCrypto: typeof import('node:crypto') | undefined =
  nodeProcess?.getBuiltinModule === undefined ? undefined : nodeProcess.getBuiltinModule('node:crypto');

export type AeadBackend = 'webcrypto' | 'node';
/** The backend createAead uses by default here: node:crypto in Node, WebCrypto elsewhere. */
export const defaultAeadBackend: AeadBackend = nodeCrypto === undefined ? 'webcrypto' : 'node';

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
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
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

/** Copies a Node Buffer (often a view into a shared pool) into a Uint8Array of its own. */
function own(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  return parts.length === 1 && parts[0] !== undefined ? new Uint8Array(parts[0]) : concat(...parts);
}

function nodeGcm(c: typeof import('node:crypto'), suite: CipherSuite, key: Uint8Array): Aead {
  const algorithm = suite.nk === 16 ? 'aes-128-gcm' : 'aes-256-gcm';
  const k = c.createSecretKey(key);
  const authTagLength = suite.nt;
  return {
    seal(nonce, aad, plaintext) {
      const cipher = c.createCipheriv(algorithm, k, nonce, { authTagLength });
      cipher.setAAD(aad);
      const body = cipher.update(plaintext);
      const tail = cipher.final();
      return Promise.resolve(own(body, tail, cipher.getAuthTag()));
    },
    open(nonce, aad, ciphertext) {
      try {
        if (ciphertext.byteLength < authTagLength) throw new Error('shorter than the tag');
        const decipher = c.createDecipheriv(algorithm, k, nonce, { authTagLength });
        decipher.setAAD(aad);
        decipher.setAuthTag(ciphertext.subarray(ciphertext.byteLength - authTagLength));
        const body = decipher.update(ciphertext.subarray(0, ciphertext.byteLength - authTagLength));
        const tail = decipher.final(); // throws when the tag does not authenticate
        return Promise.resolve(tail.byteLength === 0 ? own(body) : own(body, tail));
      } catch (error) {
        return Promise.reject(SframeError.authFailed(error));
      }
    },
  };
}

function nodeCtrHmac(c: typeof import('node:crypto'), suite: CipherSuite, key: Uint8Array): Aead {
  const algorithm = suite.nka === 16 ? 'aes-128-ctr' : 'aes-256-ctr';
  const hash = suite.hash === 'SHA-256' ? 'sha256' : 'sha512';
  const encKey = c.createSecretKey(key.subarray(0, suite.nka));
  const authKey = c.createSecretKey(key.subarray(suite.nka));
  // The AES-CTR counter block is nonce || 0x00000000; a frame never reaches 2^32 blocks, so the 128-bit counter of
  // node:crypto and WebCrypto's 32-bit one give the same key stream.
  const ctr = (nonce: Uint8Array, data: Uint8Array): Uint8Array => {
    const cipher = c.createCipheriv(algorithm, encKey, concat(nonce, new Uint8Array(4)));
    const body = cipher.update(data);
    const tail = cipher.final();
    return tail.byteLength === 0 ? body : concat(body, tail);
  };
  const tag = (nonce: Uint8Array, aad: Uint8Array, ct: Uint8Array): Uint8Array =>
    c
      .createHmac(hash, authKey)
      .update(u64(aad.byteLength))
      .update(u64(ct.byteLength))
      .update(u64(suite.nt))
      .update(nonce)
      .update(aad)
      .update(ct)
      .digest()
      .subarray(0, suite.nt);
  return {
    seal(nonce, aad, plaintext) {
      const ct = ctr(nonce, plaintext);
      return Promise.resolve(own(ct, tag(nonce, aad, ct)));
    },
    open(nonce, aad, ciphertext) {
      if (ciphertext.byteLength < suite.nt) return Promise.reject(SframeError.authFailed());
      const ct = ciphertext.subarray(0, ciphertext.byteLength - suite.nt);
      const received = ciphertext.subarray(ciphertext.byteLength - suite.nt);
      if (!timingSafeEqual(tag(nonce, aad, ct), received)) return Promise.reject(SframeError.authFailed());
      return Promise.resolve(own(ctr(nonce, ct)));
    },
  };
}

/**
 * The AEAD of `suite` under `key`. `backend` picks node:crypto or WebCrypto (default: node:crypto when in Node);
 * asking for 'node' outside Node is an error.
 */
export function createAead(
  suite: CipherSuite,
  key: Uint8Array<ArrayBuffer>,
  backend: AeadBackend = defaultAeadBackend,
): Promise<Aead> {
  if (key.byteLength !== suite.nk) throw SframeError.badKey(`${suite.name} needs a ${suite.nk}-byte key`);
  if (backend === 'node') {
    if (nodeCrypto === undefined) throw SframeError.badKey('node:crypto is not available here');
    return Promise.resolve(
      suite.kind === 'gcm' ? nodeGcm(nodeCrypto, suite, key) : nodeCtrHmac(nodeCrypto, suite, key),
    );
  }
  return suite.kind === 'gcm' ? gcm(suite, key) : ctrHmac(suite, key);
}
