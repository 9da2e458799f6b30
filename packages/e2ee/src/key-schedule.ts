// RFC 9605 section 4.4.2: per-KID key and salt from a base key.
//   sframe_secret = HKDF-Extract("", base_key)
//   sframe_key    = HKDF-Expand(sframe_secret, "SFrame 1.0 Secret key "  || KID_8 || suite_2, Nk)
//   sframe_salt   = HKDF-Expand(sframe_secret, "SFrame 1.0 Secret salt " || KID_8 || suite_2, Nn)
import type { CipherSuite } from './cipher-suites.ts';

const subtle = globalThis.crypto.subtle;
const encoder = new TextEncoder();

export interface KeyMaterial {
  secret: Uint8Array<ArrayBuffer>;
  key: Uint8Array<ArrayBuffer>;
  salt: Uint8Array<ArrayBuffer>;
}

export function label(kind: 'key' | 'salt', kid: bigint, suite: CipherSuite): Uint8Array<ArrayBuffer> {
  const prefix = encoder.encode(`SFrame 1.0 Secret ${kind} `);
  const out = new Uint8Array(prefix.byteLength + 10);
  out.set(prefix);
  const view = new DataView(out.buffer);
  view.setBigUint64(prefix.byteLength, kid);
  view.setUint16(prefix.byteLength + 8, suite.id);
  return out;
}

async function hmac(hash: CipherSuite['hash'], key: Uint8Array<ArrayBuffer>, data: Uint8Array<ArrayBuffer>) {
  const k = await subtle.importKey('raw', key, { name: 'HMAC', hash }, false, ['sign']);
  return new Uint8Array(await subtle.sign('HMAC', k, data));
}

/** HKDF-Extract with an empty salt (RFC 5869: a zero-filled salt of hash length). */
async function extract(
  hash: CipherSuite['hash'],
  ikm: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array<ArrayBuffer>> {
  return hmac(hash, new Uint8Array(hash === 'SHA-256' ? 32 : 64), ikm);
}

async function expand(
  hash: CipherSuite['hash'],
  prk: Uint8Array<ArrayBuffer>,
  info: Uint8Array,
  length: number,
): Promise<Uint8Array<ArrayBuffer>> {
  const out = new Uint8Array(length);
  let previous = new Uint8Array(0);
  for (let i = 1, offset = 0; offset < length; i++) {
    const input = new Uint8Array(previous.byteLength + info.byteLength + 1);
    input.set(previous);
    input.set(info, previous.byteLength);
    input[input.byteLength - 1] = i;
    previous = await hmac(hash, prk, input);
    out.set(previous.subarray(0, Math.min(previous.byteLength, length - offset)), offset);
    offset += previous.byteLength;
  }
  return out;
}

export async function deriveKeyMaterial(
  suite: CipherSuite,
  kid: bigint,
  baseKey: Uint8Array<ArrayBuffer>,
): Promise<KeyMaterial> {
  const secret = await extract(suite.hash, baseKey);
  const [key, salt] = await Promise.all([
    expand(suite.hash, secret, label('key', kid, suite), suite.nk),
    expand(suite.hash, secret, label('salt', kid, suite), suite.nn),
  ]);
  return { secret, key, salt };
}

/** nonce = salt XOR CTR (CTR big-endian, left-padded to Nn bytes). */
export function nonceFor(salt: Uint8Array, ctr: bigint): Uint8Array<ArrayBuffer> {
  const nonce = new Uint8Array(salt);
  for (let i = nonce.byteLength - 1; i >= 0 && ctr > 0n; i--) {
    nonce[i] = (nonce[i] ?? 0) ^ Number(ctr & 0xffn);
    ctr >>= 8n;
  }
  return nonce;
}
