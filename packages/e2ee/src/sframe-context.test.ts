import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SframeContext } from './sframe-context.ts';
import { isSframeError } from './sframe-error.ts';
import { decodeSframeHeader, encodeSframeHeader } from './sframe-header.ts';
import { ReplayWindow } from './replay-window.ts';

const key = new Uint8Array(16).fill(7);
const meta = new Uint8Array([1, 2, 3]);

async function pair(suite: 4 | 5 | 1 = 4) {
  const sender = new SframeContext({ suite });
  const receiver = new SframeContext({ suite });
  await sender.setKey(5n, key);
  await receiver.setKey(5n, key);
  return { sender, receiver };
}

test('round trip with counters incrementing per frame', async () => {
  const { sender, receiver } = await pair();
  for (let i = 0; i < 20; i++) {
    const pt = new Uint8Array(100).fill(i);
    const ct = await sender.encrypt(5n, pt, meta);
    const frame = await receiver.decrypt(ct, meta);
    assert.equal(frame.ctr, BigInt(i));
    assert.deepEqual(frame.plaintext, pt);
  }
  assert.equal(receiver.counters.decrypted, 20);
});

test('tampered frames, metadata and tags are refused and counted', async () => {
  const { sender, receiver } = await pair();
  const ct = await sender.encrypt(5n, new Uint8Array(64).fill(9), meta);
  for (const i of [2, 10, ct.byteLength - 1]) {
    const bad = ct.slice();
    bad[i] = (bad[i] ?? 0) ^ 1;
    await assert.rejects(receiver.decrypt(bad, meta), (e) => isSframeError(e, 'AUTH_FAILED'));
  }
  await assert.rejects(receiver.decrypt(ct, new Uint8Array([9])), (e) => isSframeError(e, 'AUTH_FAILED'));
  assert.equal(receiver.counters.authFailed, 4);
  // The genuine frame still decrypts: failed attempts did not consume its counter.
  assert.deepEqual((await receiver.decrypt(ct, meta)).plaintext, new Uint8Array(64).fill(9));
});

test('replayed frames are refused; out-of-order within the window accepted once', async () => {
  const { sender, receiver } = await pair();
  const frames = await Promise.all([0, 1, 2].map(() => sender.encrypt(5n, new Uint8Array([1]), meta)));
  const [f0, f1, f2] = frames as [Uint8Array, Uint8Array, Uint8Array];
  await receiver.decrypt(f2, meta);
  await receiver.decrypt(f0, meta);
  await assert.rejects(receiver.decrypt(f0, meta), (e) => isSframeError(e, 'REPLAY'));
  await assert.rejects(receiver.decrypt(f2, meta), (e) => isSframeError(e, 'REPLAY'));
  await receiver.decrypt(f1, meta);
  assert.equal(receiver.counters.replayed, 2);
});

test('unknown KID and a deleted key are refused', async () => {
  const { sender, receiver } = await pair();
  await sender.setKey(6n, key);
  await assert.rejects(receiver.decrypt(await sender.encrypt(6n, new Uint8Array(1))), (e) =>
    isSframeError(e, 'UNKNOWN_KID'),
  );
  const ct = await sender.encrypt(5n, new Uint8Array(1));
  receiver.deleteKey(5n);
  await assert.rejects(receiver.decrypt(ct), (e) => isSframeError(e, 'UNKNOWN_KID'));
  assert.equal(receiver.counters.unknownKid, 2);
});

test('a different base key cannot decrypt', async () => {
  const sender = new SframeContext();
  const outsider = new SframeContext();
  await sender.setKey(1n, key);
  await outsider.setKey(1n, new Uint8Array(16).fill(8));
  await assert.rejects(outsider.decrypt(await sender.encrypt(1n, new Uint8Array(10))), (e) =>
    isSframeError(e, 'AUTH_FAILED'),
  );
});

test('random bytes never crash decrypt: always a typed SframeError', async () => {
  const { receiver } = await pair(1);
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (bytes) => {
      await assert.rejects(receiver.decrypt(bytes), (e) => isSframeError(e));
    }),
    { numRuns: 300 },
  );
});

test('header encoding round-trips for any 64-bit KID and CTR', () => {
  fc.assert(
    fc.property(
      fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      (kid, ctr) => {
        const encoded = encodeSframeHeader({ kid, ctr });
        const decoded = decodeSframeHeader(encoded);
        assert.deepEqual(decoded, { kid, ctr, length: encoded.byteLength });
      },
    ),
  );
});

test('replay window against a model', () => {
  fc.assert(
    fc.property(fc.array(fc.bigInt({ min: 0n, max: 300n }), { maxLength: 200 }), (ctrs) => {
      const window = new ReplayWindow(64);
      const accepted = new Set<bigint>();
      let highest = -1n;
      for (const ctr of ctrs) {
        const expected = !accepted.has(ctr) && (ctr > highest || highest - ctr < 64n);
        assert.equal(window.check(ctr), expected, `ctr ${ctr}`);
        if (expected) {
          window.accept(ctr);
          accepted.add(ctr);
          if (ctr > highest) highest = ctr;
        }
      }
    }),
  );
});
