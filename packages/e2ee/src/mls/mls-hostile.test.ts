import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isSframeError } from '../sframe-error.ts';
import { isMlsError } from './mls-error.ts';
import {
  createCommit,
  decodeMlsMessage,
  defaultCapabilities,
  defaultLifetime,
  emptyPskIndex,
  encodeMlsMessage,
  generateKeyPackage,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
  joinGroup,
} from 'ts-mls';
import { DEFAULT_MLS_CIPHERSUITE, MlsMember } from './mls-member.ts';
import { InMemoryMeeting } from './testing/in-memory-meeting.ts';

const RUNS = { numRuns: 60 };

describe('hostile MLS input is refused with typed errors, never a crash', () => {
  test('random bytes as Welcome, Commit or KeyPackage', async () => {
    const idle = await MlsMember.create({ identity: 'idle' });
    await idle.createKeyPackage();
    const meeting = new InMemoryMeeting();
    const a = await meeting.join('a');
    await meeting.join('b');
    const epoch = a.member.epoch;
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), async (bytes) => {
        await assert.rejects(idle.joinFromWelcome(bytes), (e) => isMlsError(e));
        await assert.rejects(a.member.processCommit(bytes), (e) => isMlsError(e));
        await assert.rejects(a.member.createCommit({ add: [bytes] }), (e) =>
          isMlsError(e, 'MALFORMED_MESSAGE'),
        );
      }),
      RUNS,
    );
    assert.equal(idle.state, 'idle');
    assert.equal(a.member.epoch, epoch);
    assert.equal(a.member.hasPendingCommit, false);
  });

  test('bit flips and truncations of a real commit and welcome', async () => {
    const meeting = new InMemoryMeeting();
    const a = await meeting.join('a');
    const b = await meeting.join('b');
    const joiner = await MlsMember.create({ identity: 'c' });
    const created = await a.member.createCommit({ add: [await joiner.createKeyPackage()] });
    a.member.discardPendingCommit();
    const welcome = created.welcome;
    assert.ok(welcome !== undefined);
    const epoch = b.member.epoch;
    const mutate = (source: Uint8Array) =>
      fc.oneof(
        fc
          .record({ at: fc.nat(source.byteLength - 1), bit: fc.integer({ min: 0, max: 7 }) })
          .map(({ at, bit }) => {
            const copy = new Uint8Array(source);
            copy[at] = (copy[at] ?? 0) ^ (1 << bit);
            return copy;
          }),
        fc.nat(source.byteLength - 1).map((n) => source.slice(0, n)),
        fc.uint8Array({ minLength: 1, maxLength: 8 }).map((extra) => new Uint8Array([...source, ...extra])),
      );
    await fc.assert(
      fc.asyncProperty(mutate(created.commit), async (bad) => {
        await assert.rejects(b.member.processCommit(bad), (e) => isMlsError(e));
      }),
      RUNS,
    );
    assert.equal(b.member.epoch, epoch);
    await fc.assert(
      fc.asyncProperty(mutate(welcome), async (bad) => {
        await assert.rejects(joiner.joinFromWelcome(bad), (e) => isMlsError(e));
      }),
      { numRuns: 30 },
    );
    assert.equal(joiner.state, 'idle');
    // A Welcome for somebody else's key package.
    const stranger = await MlsMember.create({ identity: 'd' });
    await stranger.createKeyPackage();
    await assert.rejects(stranger.joinFromWelcome(welcome), (e) => isMlsError(e, 'NO_MATCHING_KEY_PACKAGE'));
    // The untouched messages still work: nothing above damaged the states.
    await b.member.processCommit(created.commit);
    await joiner.joinFromWelcome(welcome);
    assert.equal(joiner.epoch, b.member.epoch);
  });

  test('a commit of another group or a replayed old commit is refused', async () => {
    const m1 = new InMemoryMeeting();
    const a = await m1.join('a');
    await m1.join('b');
    const m2 = new InMemoryMeeting();
    const x = await m2.join('x');
    await m2.join('y');
    const foreign = await x.member.createCommit();
    await assert.rejects(a.member.processCommit(foreign.commit), (e) => isMlsError(e, 'REJECTED_MESSAGE'));
    const old = m1.log.find((d) => d.message.type === 'commit')?.message;
    assert.ok(old?.type === 'commit');
    await assert.rejects(a.member.processCommit(old.commit), (e) => isMlsError(e, 'WRONG_EPOCH'));
  });

  test('tampered, replayed and unknown-KID frames are dropped and counted; random frames never crash', async () => {
    const meeting = new InMemoryMeeting();
    const a = await meeting.join('a');
    const b = await meeting.join('b');
    const ct = await a.keyring.encrypt(new Uint8Array(1200).fill(5));
    const tampered = new Uint8Array(ct);
    tampered[tampered.byteLength - 1] = (tampered[tampered.byteLength - 1] ?? 0) ^ 1;
    await assert.rejects(b.keyring.decrypt(tampered), (e) => isSframeError(e, 'AUTH_FAILED'));
    await b.keyring.decrypt(ct);
    await assert.rejects(b.keyring.decrypt(ct), (e) => isSframeError(e, 'REPLAY'));
    // KID of a leaf that is not a member, and of an epoch we never had
    const { SframeContext } = await import('../sframe-context.ts');
    const forger = new SframeContext();
    const { senderKid } = await import('./kid-layout.ts');
    for (const kid of [senderKid(b.keyring.layout, 1n, 77), senderKid(b.keyring.layout, 9n, 0)]) {
      await forger.setKey(kid, new Uint8Array(16));
      await assert.rejects(b.keyring.decrypt(await forger.encrypt(kid, new Uint8Array(10))), (e) =>
        isSframeError(e, 'UNKNOWN_KID'),
      );
    }
    const c = b.keyring.counters;
    assert.equal(c.authFailed, 1);
    assert.equal(c.replayed, 1);
    assert.equal(c.unknownKid, 2);
    assert.equal(c.decrypted, 1);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 64 }), async (bytes) => {
        await assert.rejects(b.keyring.decrypt(bytes), (e) => isSframeError(e));
      }),
      { numRuns: 200 },
    );
  });

  test('a joiner with a forged key package does not block an honest joiner', async () => {
    const meeting = new InMemoryMeeting();
    const a = await meeting.join('a');
    await meeting.join('b');
    const mallory = await MlsMember.create({ identity: 'mallory' });
    const forged = await mallory.createKeyPackage();
    forged[forged.byteLength - 1] = (forged[forged.byteLength - 1] ?? 0) ^ 1; // breaks the signature only
    meeting.enqueue(meeting.ds.uploadKeyPackage('mallory', forged));
    const c = await meeting.join('c');
    assert.deepEqual(meeting.errors, []);
    assert.equal(c.member.state, 'member');
    assert.deepEqual(
      a.member
        .members()
        .map((m) => m.identity)
        .sort(),
      ['a', 'b', 'c'],
    );
    assert.equal(c.member.epoch, a.member.epoch);
  });

  test('identities outside the roster are refused by the committer and by joiners', async () => {
    const roster = new Set(['a', 'b']);
    const a = await MlsMember.create({ identity: 'a', acceptIdentity: (id) => roster.has(id) });
    await a.createGroup();
    const eve = await MlsMember.create({ identity: 'eve' });
    await assert.rejects(a.createCommit({ add: [await eve.createKeyPackage()] }), (e) =>
      isMlsError(e, 'REJECTED_MESSAGE'),
    );
    assert.equal(a.hasPendingCommit, false);
    // b only accepts a roster without eve: a Welcome into a group that holds eve is refused.
    const lax = await MlsMember.create({ identity: 'a' });
    await lax.createGroup();
    const withEve = await lax.createCommit({ add: [await eve.createKeyPackage()] });
    await lax.processCommit(withEve.commit);
    const b = await MlsMember.create({ identity: 'b', acceptIdentity: (id) => roster.has(id) });
    const toB = await lax.createCommit({ add: [await b.createKeyPackage()] });
    assert.ok(toB.welcome !== undefined);
    await assert.rejects(b.joinFromWelcome(toB.welcome), (e) => isMlsError(e, 'REJECTED_MESSAGE'));
    assert.equal(b.state, 'idle');
  });

  test('a member committing anything but add/remove/update (here a group context change) is refused', async () => {
    const a = await MlsMember.create({ identity: 'a' });
    await a.createGroup();
    const cs = await getCiphersuiteImpl(getCiphersuiteFromName(DEFAULT_MLS_CIPHERSUITE));
    const raw = await generateKeyPackage(
      { credentialType: 'basic', identity: new TextEncoder().encode('x') },
      defaultCapabilities(),
      defaultLifetime,
      [],
      cs,
    );
    const added = await a.createCommit({
      add: [
        encodeMlsMessage({ version: 'mls10', wireformat: 'mls_key_package', keyPackage: raw.publicPackage }),
      ],
    });
    await a.processCommit(added.commit);
    assert.ok(added.welcome !== undefined);
    const decoded = decodeMlsMessage(added.welcome, 0)?.[0];
    assert.ok(decoded?.wireformat === 'mls_welcome');
    const x = await joinGroup(decoded.welcome, raw.publicPackage, raw.privatePackage, emptyPskIndex, cs);
    const hostile = await createCommit(
      { state: x, cipherSuite: cs },
      {
        extraProposals: [
          { proposalType: 'group_context_extensions', groupContextExtensions: { extensions: [] } },
        ],
      },
    );
    const epoch = a.epoch;
    await assert.rejects(a.processCommit(encodeMlsMessage(hostile.commit)), (e) =>
      isMlsError(e, 'REJECTED_MESSAGE'),
    );
    assert.equal(a.epoch, epoch);
    // the same member's plain self-update is fine
    const ok = await createCommit({ state: x, cipherSuite: cs }, {});
    assert.equal((await a.processCommit(encodeMlsMessage(ok.commit))).kind, 'applied');
  });
});
