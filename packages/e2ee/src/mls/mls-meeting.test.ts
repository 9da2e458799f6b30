import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isSframeError } from '../sframe-error.ts';
import { InMemoryMeeting } from './testing/in-memory-meeting.ts';

const frame = (n: number) => new TextEncoder().encode(`frame ${n} `.repeat(20));

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

describe('MLS group through the delivery service, end to end', () => {
  test('two members: same epoch, same exporter secret, frames decrypt across', async () => {
    const meeting = new InMemoryMeeting();
    const alice = await meeting.join('alice');
    const bob = await meeting.join('bob');
    assert.deepEqual(meeting.errors, []);
    assert.equal(alice.member.state, 'member');
    assert.equal(bob.member.state, 'member');
    assert.equal(alice.member.epoch, 1n);
    assert.equal(bob.member.epoch, 1n);
    assert.equal(meeting.ds.epoch, 1n);
    assert.equal(hex(await alice.member.exportSframeBaseKey()), hex(await bob.member.exportSframeBaseKey()));
    assert.equal((await alice.member.exportSframeBaseKey()).byteLength, 16); // Nk of suite 4
    assert.notEqual(alice.member.ownLeafIndex, bob.member.ownLeafIndex);
    assert.deepEqual(
      bob.member
        .members()
        .map((m) => m.identity)
        .sort(),
      ['alice', 'bob'],
    );

    const ct = await alice.keyring.encrypt(frame(1), new Uint8Array([9]));
    const out = await bob.keyring.decrypt(ct, new Uint8Array([9]));
    assert.deepEqual(out.plaintext, frame(1));
    assert.equal(out.senderLeafIndex, alice.member.ownLeafIndex);
    assert.equal(out.epoch, 1n);
    const back = await alice.keyring.decrypt(await bob.keyring.encrypt(frame(2)));
    assert.equal(back.senderLeafIndex, bob.member.ownLeafIndex);
    assert.deepEqual(back.plaintext, frame(2));
  });

  test('three members: every join is a new epoch, everybody agrees, frames go all ways', async () => {
    const meeting = new InMemoryMeeting();
    const a = await meeting.join('a');
    const b = await meeting.join('b');
    const c = await meeting.join('c');
    assert.deepEqual(meeting.errors, []);
    for (const p of [a, b, c]) assert.equal(p.member.epoch, 2n);
    const keys = await Promise.all([a, b, c].map(async (p) => hex(await p.member.exportSframeBaseKey())));
    assert.equal(new Set(keys).size, 1);
    for (const sender of [a, b, c]) {
      const ct = await sender.keyring.encrypt(frame(7));
      for (const receiver of [a, b, c]) {
        if (receiver === sender) continue;
        const got = await receiver.keyring.decrypt(ct);
        assert.equal(got.senderLeafIndex, sender.member.ownLeafIndex);
        assert.deepEqual(got.plaintext, frame(7));
      }
    }
  });

  test('a removed member cannot decrypt frames of the next epoch', async () => {
    const meeting = new InMemoryMeeting();
    const a = await meeting.join('a');
    const b = await meeting.join('b');
    const c = await meeting.join('c');
    // c still decrypts at epoch 2
    assert.deepEqual((await c.keyring.decrypt(await a.keyring.encrypt(frame(1)))).plaintext, frame(1));
    const removal = meeting.log.length;
    await meeting.leave('c');
    assert.deepEqual(meeting.errors, []);
    assert.equal(a.member.epoch, 3n);
    assert.equal(b.member.epoch, 3n);
    assert.deepEqual(
      a.member
        .members()
        .map((m) => m.identity)
        .sort(),
      ['a', 'b'],
    );
    // The removing commit, had c received it, tells c it is out, and gives it no keys.
    const commit = meeting.log.slice(removal).find((d) => d.message.type === 'commit')?.message;
    assert.ok(commit?.type === 'commit');
    assert.deepEqual(await c.handle(commit), []);
    assert.equal(c.member.state, 'removed');
    await assert.rejects(
      c.keyring.encrypt(frame(9)),
      (e) => (e as { code?: string }).code === 'NOT_IN_GROUP',
    );
    await assert.rejects(c.member.exportSframeBaseKey(), (e) => (e as { code?: string }).code === 'REMOVED');

    const ct = await a.keyring.encrypt(frame(2));
    assert.deepEqual((await b.keyring.decrypt(ct)).plaintext, frame(2));
    const before = c.keyring.counters.unknownKid;
    await assert.rejects(c.keyring.decrypt(ct), (e) => isSframeError(e, 'UNKNOWN_KID'));
    assert.equal(c.keyring.counters.unknownKid, before + 1);
    // After the grace period c holds no key at all, not even for the epoch it was in.
    meeting.clock.advance(10_000);
    assert.deepEqual(c.keyring.liveEpochs, []);
  });

  test('verification codes: equal across members, different across epochs', async () => {
    const meeting = new InMemoryMeeting();
    const a = await meeting.join('a');
    const b = await meeting.join('b');
    const code1 = await a.member.verificationCode();
    assert.match(code1, /^\d{5}( \d{5}){5}$/);
    assert.equal(await b.member.verificationCode(), code1);
    assert.equal(hex(a.member.epochAuthenticator), hex(b.member.epochAuthenticator));
    const c = await meeting.join('c');
    const code2 = await a.member.verificationCode();
    assert.notEqual(code2, code1);
    assert.equal(await b.member.verificationCode(), code2);
    assert.equal(await c.member.verificationCode(), code2);
  });

  test('hourly rotation: the DS asks for a self-update and everyone moves to a new key', async () => {
    const meeting = new InMemoryMeeting();
    const a = await meeting.join('a');
    const b = await meeting.join('b');
    const key1 = hex(await a.member.exportSframeBaseKey());
    await meeting.tick(59 * 60 * 1000);
    assert.equal(a.member.epoch, 1n);
    await meeting.tick(60 * 1000);
    assert.deepEqual(meeting.errors, []);
    assert.equal(a.member.epoch, 2n);
    assert.equal(b.member.epoch, 2n);
    const key2 = hex(await a.member.exportSframeBaseKey());
    assert.notEqual(key2, key1);
    assert.equal(hex(await b.member.exportSframeBaseKey()), key2);
  });

  test('old-epoch keys decrypt during the grace period and are deleted after it', async () => {
    const meeting = new InMemoryMeeting({ keyring: { graceMs: 10_000 } });
    const a = await meeting.join('a');
    const b = await meeting.join('b');
    const inFlight = await a.keyring.encrypt(frame(1)); // epoch 1
    const inFlight2 = await a.keyring.encrypt(frame(2)); // epoch 1
    await meeting.join('c'); // epoch 2
    assert.equal(b.keyring.currentEpoch, 2n);
    assert.deepEqual(b.keyring.liveEpochs, [1n, 2n]);
    meeting.clock.advance(9_000);
    assert.deepEqual((await b.keyring.decrypt(inFlight)).plaintext, frame(1));
    meeting.clock.advance(1_000);
    await assert.rejects(b.keyring.decrypt(inFlight2), (e) => isSframeError(e, 'UNKNOWN_KID'));
    assert.deepEqual(b.keyring.liveEpochs, [2n]);
    assert.ok(b.keyring.counters.epochsDeleted >= 1);
    await b.keyring.close();
    await b.keyring.close(); // idempotent
    await b.keyring.closed;
    await assert.rejects(b.keyring.encrypt(frame(4)), (e) => (e as { code?: string }).code === 'CLOSED');
  });

  test('a joiner whose welcome never comes is removed and re-added with a fresh key package', async () => {
    const meeting = new InMemoryMeeting();
    const a = await meeting.join('a');
    // Swallow a's welcome to b: the commit that adds b is accepted, the welcome is lost.
    const original = meeting.send.bind(meeting);
    let dropped = 0;
    meeting.send = (from, out) => {
      if (out.type === 'welcome' && dropped === 0) {
        dropped++;
        return;
      }
      original(from, out);
    };
    const b = await meeting.join('b');
    assert.equal(dropped, 1);
    assert.equal(b.member.state, 'idle');
    assert.equal(a.member.epoch, 1n);
    await meeting.tick(15_000);
    assert.deepEqual(meeting.errors, []);
    assert.equal(b.member.state, 'member');
    // epoch 2: the stale leaf of b removed; epoch 3: b added again with its fresh key package
    assert.equal(a.member.epoch, 3n);
    assert.equal(b.member.epoch, 3n);
    assert.deepEqual(
      a.member
        .members()
        .map((m) => m.identity)
        .sort(),
      ['a', 'b'],
    );
    assert.deepEqual((await b.keyring.decrypt(await a.keyring.encrypt(frame(3)))).plaintext, frame(3));
  });

  test('commit race: the first commit of an epoch wins, the loser rebases onto it', async () => {
    const meeting = new InMemoryMeeting();
    const a = await meeting.join('a');
    const b = await meeting.join('b');
    const c = await meeting.join('c');
    const epoch = a.member.epoch;
    // a and c both commit a self-update at the same epoch; c's reaches the DS first.
    const fromA = await a.member.createCommit();
    const fromC = await c.member.createCommit();
    assert.equal(fromA.epoch, epoch);
    assert.equal(fromC.epoch, epoch);
    const first = meeting.ds.submitCommit('c', fromC.epoch, fromC.commit);
    const second = meeting.ds.submitCommit('a', fromA.epoch, fromA.commit);
    assert.deepEqual(
      first.map((d) => [d.to, d.message.type]),
      [
        ['a', 'commit'],
        ['b', 'commit'],
        ['c', 'commit'],
      ],
    );
    assert.deepEqual(
      second.map((d) => [d.to, d.message.type, d.message.type === 'error' ? d.message.code : '']),
      [['a', 'error', 'CONFLICT']],
    );
    meeting.enqueue([...first, ...second]);
    await meeting.flush();
    assert.deepEqual(meeting.errors, []);
    for (const p of [a, b, c]) assert.equal(p.member.epoch, epoch + 1n);
    assert.equal(a.member.hasPendingCommit, false);
    const keys = await Promise.all([a, b, c].map(async (p) => hex(await p.member.exportSframeBaseKey())));
    assert.equal(new Set(keys).size, 1);
    assert.equal(meeting.ds.stats.commitsRejected, 1);
    // The loser's commit cannot be replayed later either.
    const replay = meeting.ds.submitCommit('a', fromA.epoch, fromA.commit);
    assert.ok(replay[0]?.message.type === 'error' && replay[0].message.code === 'CONFLICT');
  });

  test('over the protobuf wire (mls-wire.ts): join, leave, race and rotation work the same', async () => {
    const meeting = new InMemoryMeeting({ wire: true });
    const a = await meeting.join('a');
    const b = await meeting.join('b');
    const c = await meeting.join('c');
    await meeting.leave('b');
    await meeting.tick(60 * 60 * 1000);
    assert.deepEqual(meeting.errors, []);
    assert.equal(a.member.epoch, 4n);
    assert.equal(c.member.epoch, 4n);
    assert.equal(meeting.ds.epoch, 4n);
    assert.deepEqual(
      c.member
        .members()
        .map((m) => m.identity)
        .sort(),
      ['a', 'c'],
    );
    assert.deepEqual((await c.keyring.decrypt(await a.keyring.encrypt(frame(5)))).plaintext, frame(5));
    await assert.rejects(b.keyring.decrypt(await a.keyring.encrypt(frame(6))), (e) =>
      isSframeError(e, 'UNKNOWN_KID'),
    );
    // A losing commit comes back as a CONFLICT ErrorMessage and is dropped.
    const lost = await a.member.createCommit();
    meeting.enqueue(meeting.ds.submitCommit('c', 4n, (await c.member.createCommit()).commit));
    meeting.send('a', { type: 'commit', epoch: lost.epoch, commit: lost.commit });
    await meeting.flush();
    assert.deepEqual(meeting.errors, []);
    assert.equal(a.member.hasPendingCommit, false);
    assert.equal(a.member.epoch, 5n);
    assert.equal(c.member.epoch, 5n);
    for (const p of meeting.participants.values()) await p.close();
    await a.closed;
    assert.equal(a.member.state, 'closed');
    await assert.rejects(a.keyring.encrypt(frame(1)), (e) => (e as { code?: string }).code === 'CLOSED');
  });
});
