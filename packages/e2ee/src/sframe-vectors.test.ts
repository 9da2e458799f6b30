// RFC 9605 Appendix C known-answer tests, from the working group's published vectors in shared/test-vectors.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { createAead, defaultAeadBackend, type AeadBackend } from './aead.ts';
import { CIPHER_SUITES, cipherSuite } from './cipher-suites.ts';
import { deriveKeyMaterial, label, nonceFor } from './key-schedule.ts';
import { SframeContext } from './sframe-context.ts';
import { decodeSframeHeader, encodeSframeHeader } from './sframe-header.ts';

const dir =
  process.env.SFRAME_VECTORS_DIR ??
  new URL('../../../../shared/test-vectors/sframe/', import.meta.url).pathname;

type Json = Record<string, unknown>;
function load(file: string): Json {
  // Integers past 2^53 (64-bit KIDs and counters) are read exactly from their source text.
  const reviver = (_key: string, value: unknown, context?: { source?: string }): unknown =>
    typeof value === 'number' && !Number.isSafeInteger(value) && context?.source !== undefined
      ? BigInt(context.source)
      : value;
  return JSON.parse(readFileSync(`${dir}/${file}`, 'utf8'), reviver) as Json;
}
const hex = (s: unknown): Uint8Array<ArrayBuffer> => new Uint8Array(Buffer.from(String(s), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const big = (v: unknown): bigint => BigInt(v as number | bigint);

const main = load('test-vectors.json');
const aes256 = load('test-vectors-aes256.json');

describe('RFC 9605 header vectors', () => {
  const vectors = main.header as Json[];
  test(`all ${vectors.length} KID/CTR encodings`, () => {
    assert.ok(vectors.length > 200);
    for (const v of vectors) {
      const kid = big(v.kid);
      const ctr = big(v.ctr);
      assert.equal(toHex(encodeSframeHeader({ kid, ctr })), v.encoded, `kid=${kid} ctr=${ctr}`);
      const decoded = decodeSframeHeader(hex(v.encoded));
      assert.equal(decoded.kid, kid);
      assert.equal(decoded.ctr, ctr);
      assert.equal(decoded.length, hex(v.encoded).byteLength);
    }
  });
});

const backends: readonly AeadBackend[] = ['webcrypto', 'node'];

describe('RFC 9605 AES-CTR+HMAC AEAD vectors', () => {
  for (const backend of backends)
    for (const v of [...(main.aes_ctr_hmac as Json[]), ...(main.aes_256_ctr_hmac as Json[])]) {
      const suite = cipherSuite(Number(v.cipher_suite));
      test(`${backend}: suite ${String(v.cipher_suite)} (${suite?.name ?? '?'})`, async () => {
        assert.ok(suite);
        const aead = await createAead(suite, hex(v.key), backend);
        const ct = await aead.seal(hex(v.nonce), hex(v.aad), hex(v.pt));
        assert.equal(toHex(ct), v.ct);
        assert.equal(toHex(await aead.open(hex(v.nonce), hex(v.aad), hex(v.ct))), v.pt);
      });
    }
});

describe('AEAD backends', () => {
  test('Node uses node:crypto by default', () => {
    assert.equal(defaultAeadBackend, 'node');
  });

  test('node:crypto and WebCrypto seal the same bytes, open each other, and refuse the same tampering', async () => {
    const suites = Object.values(CIPHER_SUITES);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...suites),
        fc.uint8Array({ minLength: 96, maxLength: 96 }),
        fc.uint8Array({ minLength: 12, maxLength: 12 }),
        fc.uint8Array({ maxLength: 64 }),
        fc.uint8Array({ maxLength: 3000 }),
        fc.nat(),
        async (suite, keyBytes, nonceBytes, aad, plaintext, flip) => {
          const key = new Uint8Array(keyBytes.subarray(0, suite.nk));
          const nonce = new Uint8Array(nonceBytes);
          const web = await createAead(suite, key, 'webcrypto');
          const node = await createAead(suite, key, 'node');
          const sealed = await node.seal(nonce, aad, plaintext);
          assert.equal(toHex(sealed), toHex(await web.seal(nonce, aad, plaintext)));
          assert.equal(sealed.byteLength, plaintext.byteLength + suite.nt);
          assert.equal(toHex(await web.open(nonce, aad, sealed)), toHex(plaintext));
          assert.equal(toHex(await node.open(nonce, aad, sealed)), toHex(plaintext));
          const bad = new Uint8Array(sealed);
          const at = flip % bad.byteLength;
          bad[at] = (bad[at] ?? 0) ^ 1;
          for (const aead of [web, node])
            await assert.rejects(aead.open(nonce, aad, bad), { name: 'SframeError', code: 'AUTH_FAILED' });
          // Shorter than the tag: refused, not a crash.
          for (const aead of [web, node])
            await assert.rejects(aead.open(nonce, aad, sealed.subarray(0, suite.nt - 1)), {
              name: 'SframeError',
            });
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('RFC 9605 full SFrame vectors', () => {
  const all = [...(main.sframe as Json[]), ...(aes256.sframe_aes_256_ctr_hmac as Json[])];
  test('every suite 1-8 is covered', () => {
    assert.deepEqual([...new Set(all.map((v) => Number(v.cipher_suite)))].sort(), [1, 2, 3, 4, 5, 6, 7, 8]);
  });
  for (const v of all) {
    const suite = cipherSuite(Number(v.cipher_suite));
    test(`suite ${String(v.cipher_suite)} (${suite?.name ?? '?'})`, async () => {
      assert.ok(suite);
      const kid = big(v.kid);
      const ctr = big(v.ctr);
      assert.equal(toHex(label('key', kid, suite)), v.sframe_key_label);
      assert.equal(toHex(label('salt', kid, suite)), v.sframe_salt_label);
      const material = await deriveKeyMaterial(suite, kid, hex(v.base_key));
      assert.equal(toHex(material.secret), v.sframe_secret);
      assert.equal(toHex(material.key), v.sframe_key);
      assert.equal(toHex(material.salt), v.sframe_salt);
      assert.equal(toHex(nonceFor(material.salt, ctr)), v.nonce);

      const ctx = new SframeContext({ suite: suite.id });
      await ctx.setKey(kid, hex(v.base_key));
      const ct = await ctx.encryptWithCounter(kid, ctr, hex(v.pt), hex(v.metadata));
      assert.equal(toHex(ct), v.ct);
      const receiver = new SframeContext({ suite: suite.id });
      await receiver.setKey(kid, hex(v.base_key));
      const frame = await receiver.decrypt(hex(v.ct), hex(v.metadata));
      assert.equal(toHex(frame.plaintext), v.pt);
      assert.equal(frame.kid, kid);
      assert.equal(frame.ctr, ctr);
    });
  }
});
