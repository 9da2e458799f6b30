// The @noble/hashes hash and KDF give the same bytes as node:crypto (every MLS hash) and as ts-mls's own WebCrypto
// implementation (the default suite).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { getCiphersuiteFromName, getCiphersuiteImpl, type Hash, type Kdf } from 'ts-mls';
import { DEFAULT_MLS_CIPHERSUITE } from './mls-member.ts';
import { nobleHash, nobleKdf } from './mls-hashing.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** RFC 5869 on node:crypto, written out (extract and expand separately, as MLS uses them). */
function nodeReference(algorithm: 'sha256' | 'sha384' | 'sha512'): { hash: Hash; kdf: Kdf } {
  const mac = (key: Uint8Array, data: Uint8Array): Uint8Array =>
    createHmac(algorithm, key).update(data).digest();
  const size = createHash(algorithm).digest().byteLength;
  return {
    hash: {
      digest: (data) => Promise.resolve(createHash(algorithm).update(data).digest()),
      mac: (key, data) => Promise.resolve(mac(key, data)),
      verifyMac: (key, m, data) => Promise.resolve(hex(mac(key, data)) === hex(m)),
    },
    kdf: {
      extract: (salt, ikm) => Promise.resolve(mac(salt.byteLength === 0 ? new Uint8Array(size) : salt, ikm)),
      expand: (prk, info, len) => {
        const out: Uint8Array[] = [];
        let t: Uint8Array = new Uint8Array(0);
        for (let i = 1; out.length * size < len; i++) {
          t = mac(prk, Buffer.concat([t, info, Uint8Array.of(i)]));
          out.push(t);
        }
        return Promise.resolve(Buffer.concat(out).subarray(0, len));
      },
      size,
    },
  };
}

async function assertSame(hash: Hash, kdf: Kdf, reference: { hash: Hash; kdf: Kdf }): Promise<void> {
  assert.equal(kdf.size, reference.kdf.size);
  await fc.assert(
    fc.asyncProperty(
      fc.uint8Array({ minLength: 1, maxLength: 200 }),
      // MLS's salts are empty or one hash long (and @hpke, behind ts-mls's KDF, refuses any other length).
      fc.oneof(fc.constant(new Uint8Array(0)), fc.uint8Array({ minLength: kdf.size, maxLength: kdf.size })),
      fc.uint8Array({ maxLength: 2000 }),
      fc.uint8Array({ maxLength: 100 }),
      fc.integer({ min: 1, max: 255 }),
      async (key, salt, data, info, len) => {
        assert.equal(hex(await hash.digest(data)), hex(await reference.hash.digest(data)));
        const mac = await reference.hash.mac(key, data);
        assert.equal(hex(await hash.mac(key, data)), hex(mac));
        assert.equal(await hash.verifyMac(key, mac, data), true);
        const tampered = new Uint8Array(mac);
        tampered[0] = (tampered[0] ?? 0) ^ 1;
        assert.equal(await hash.verifyMac(key, tampered, data), false);
        assert.equal(await hash.verifyMac(key, mac.subarray(1), data), false);
        const prk = await kdf.extract(salt, data);
        assert.equal(hex(prk), hex(await reference.kdf.extract(salt, data)));
        assert.equal(hex(await kdf.expand(prk, info, len)), hex(await reference.kdf.expand(prk, info, len)));
      },
    ),
    { numRuns: 100 },
  );
}

for (const [hashName, kdfName, nodeName] of [
  ['SHA-256', 'HKDF-SHA256', 'sha256'],
  ['SHA-384', 'HKDF-SHA384', 'sha384'],
  ['SHA-512', 'HKDF-SHA512', 'sha512'],
] as const)
  test(`${hashName}: digest, HMAC, HKDF extract/expand match node:crypto`, () =>
    assertSame(nobleHash(hashName), nobleKdf(kdfName), nodeReference(nodeName)));

test("the default suite's hash and KDF match ts-mls's WebCrypto implementation", async () => {
  const definition = getCiphersuiteFromName(DEFAULT_MLS_CIPHERSUITE);
  const reference = await getCiphersuiteImpl(definition);
  await assertSame(nobleHash(definition.hash), nobleKdf(definition.hpke.kdf), reference);
});

test('HKDF expand past 255 hash lengths is refused, not a crash', async () => {
  await assert.rejects(nobleKdf('HKDF-SHA256').expand(new Uint8Array(32), new Uint8Array(0), 255 * 32 + 1));
});
