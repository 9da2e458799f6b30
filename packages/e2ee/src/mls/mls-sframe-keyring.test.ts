import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSframeError } from '../sframe-error.ts';
import { isMlsError } from './mls-error.ts';
import { senderKid } from './kid-layout.ts';
import { MlsSframeKeyring } from './mls-sframe-keyring.ts';
import { ManualClock } from './testing/in-memory-meeting.ts';

const key = (n: number) => new Uint8Array(16).fill(n);
const snapshot = (epoch: bigint, own: number, members: number[], n: number) => ({
  epoch,
  ownLeafIndex: own,
  memberLeafIndices: members,
  sframeBaseKey: key(n),
});

test('two keyrings on the same epoch: KIDs per RFC 9605 5.2, sender index recovered', async () => {
  const layout = { epochBits: 4, indexBits: 8 };
  const alice = new MlsSframeKeyring({ kidLayout: layout });
  const bob = new MlsSframeKeyring({ kidLayout: layout });
  await alice.setEpoch(snapshot(21n, 3, [3, 7], 1));
  await bob.setEpoch(snapshot(21n, 7, [3, 7], 1));
  assert.equal(alice.ownKid, (3n << 4n) + 5n);
  assert.equal(alice.ownKid, senderKid(layout, 21n, 3));
  const got = await bob.decrypt(await alice.encrypt(new Uint8Array([1, 2, 3])));
  assert.equal(got.senderLeafIndex, 3);
  assert.equal(got.epoch, 21n);
  assert.deepEqual(got.plaintext, new Uint8Array([1, 2, 3]));
  // Same base key but different KID: bob's own frames do not decrypt as alice's and vice versa.
  assert.notEqual(alice.ownKid, bob.ownKid);
});

test('epoch rollover: a new epoch with the same low E bits deletes the old one at once', async () => {
  const clock = new ManualClock();
  const layout = { epochBits: 1, indexBits: 8 };
  const tx = new MlsSframeKeyring({ kidLayout: layout, now: clock.now, graceMs: 60_000 });
  const rx = new MlsSframeKeyring({ kidLayout: layout, now: clock.now, graceMs: 60_000 });
  await tx.setEpoch(snapshot(1n, 0, [0, 1], 1));
  await rx.setEpoch(snapshot(1n, 1, [0, 1], 1));
  const old = await tx.encrypt(new Uint8Array([1]));
  await tx.setEpoch(snapshot(2n, 0, [0, 1], 2));
  await rx.setEpoch(snapshot(2n, 1, [0, 1], 2));
  assert.deepEqual(rx.liveEpochs, [1n, 2n]);
  await rx.setEpoch(snapshot(3n, 1, [0, 1], 3)); // 3 mod 2 == 1 mod 2
  assert.deepEqual(rx.liveEpochs, [2n, 3n]);
  await assert.rejects(rx.decrypt(old), (e) => isSframeError(e));
});

test('frames under KIDs of non-members or foreign contexts are unknown; bad snapshots are refused', async () => {
  const rx = new MlsSframeKeyring();
  await rx.setEpoch(snapshot(5n, 0, [0, 1], 1));
  const { SframeContext } = await import('../sframe-context.ts');
  const forger = new SframeContext();
  for (const kid of [senderKid(rx.layout, 5n, 2), senderKid(rx.layout, 5n, 1, 1n)]) {
    await forger.setKey(kid, key(1));
    await assert.rejects(rx.decrypt(await forger.encrypt(kid, new Uint8Array(4))), (e) =>
      isSframeError(e, 'UNKNOWN_KID'),
    );
  }
  // member 1 with the right key decrypts
  const member1 = senderKid(rx.layout, 5n, 1);
  await forger.setKey(member1, key(1));
  assert.equal((await rx.decrypt(await forger.encrypt(member1, new Uint8Array(4)))).senderLeafIndex, 1);
  await assert.rejects(rx.setEpoch(snapshot(4n, 0, [0], 9)), (e) => isMlsError(e, 'WRONG_EPOCH'));
  await assert.rejects(rx.setEpoch(snapshot(6n, 0, [1 << 16], 9)), (e) => isMlsError(e, 'BAD_KID_LAYOUT'));
  await rx.setEpoch(snapshot(5n, 0, [0, 1], 1)); // same epoch again: no-op
  assert.deepEqual(rx.liveEpochs, [5n]);
});
