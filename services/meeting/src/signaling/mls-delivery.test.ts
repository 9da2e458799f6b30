// The Meeting Controller as the MLS Delivery Service (issue 9), end to end over in-memory sessions: real
// MlsParticipants (MLS group state, SFrame keyrings) driven only by the ServerMessages the controller sends them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ErrorCode, LeaveReason } from '@darktower/protocol';
import { MeetingId } from '../ids.ts';
import { MemoryMeetingStore } from '../state/memory-meeting-store.ts';
import { Harness } from '../testing/harness.ts';
import {
  MlsClient,
  atEpoch,
  frame,
  framesGoAllWays,
  hex,
  sameKeys,
  settle,
} from '../testing/mls-test-client.ts';
import { expectKind } from '../testing/signaling-client.ts';

const openStore = (clock: Parameters<Parameters<typeof Harness.start>[0]>[0]) =>
  Promise.resolve(new MemoryMeetingStore(clock));

test('MLS DS: two then three participants join; same epoch, same key, frames decrypt; a leave rotates', async () => {
  await using h = await Harness.start(openStore);
  const meeting = randomUUID();
  const alice = await MlsClient.join(h, meeting, 'alice');
  assert.equal(alice.joined.response.meeting?.enableE2eEncryption, true);
  await settle([alice], atEpoch([alice], 0n), 'alice founds the group');

  const bob = await MlsClient.join(h, meeting, 'bob');
  await settle([alice, bob], atEpoch([alice, bob], 1n), 'bob joins');
  await sameKeys([alice, bob]);
  await framesGoAllWays([alice, bob], 1);

  const carol = await MlsClient.join(h, meeting, 'carol');
  const all = [alice, bob, carol];
  await settle(all, atEpoch(all, 2n), 'carol joins');
  await sameKeys(all);
  await framesGoAllWays(all, 2);
  assert.deepEqual(
    alice.member
      .members()
      .map((m) => m.identity)
      .sort(),
    all.map((c) => c.joined.participantId).sort(),
  );

  // Carol leaves: a new epoch without her; her keyring cannot read what is sent in it.
  const before = hex(await alice.member.exportSframeBaseKey());
  assert.equal((await carol.joined.client.request({ case: 'leave', value: {} })).kind.case, 'ack');
  await settle([alice, bob], atEpoch([alice, bob], 3n), 'carol left');
  await sameKeys([alice, bob]);
  assert.notEqual(hex(await alice.member.exportSframeBaseKey()), before);
  assert.equal(alice.member.members().length, 2);
  await framesGoAllWays([alice, bob], 3);
  const secret = await alice.participant.keyring.encrypt(frame(4));
  await assert.rejects(carol.participant.keyring.decrypt(secret));
  assert.equal(carol.member.epoch, 2n);

  for (const c of all) assert.deepEqual(c.failures, [], 'no MLS message was refused');
  for (const c of all) assert.ok(c.replies.every((r) => r === 'ack'));
  for (const c of all) await c.participant.close();
});

test('MLS DS: two commits for one epoch: exactly one accepted; the loser gets CONFLICT and rebases', async () => {
  await using h = await Harness.start(openStore);
  const meeting = randomUUID();
  const alice = await MlsClient.join(h, meeting, 'alice');
  await settle([alice], atEpoch([alice], 0n), 'alice founds');
  const bob = await MlsClient.join(h, meeting, 'bob');
  const both = [alice, bob];
  await settle(both, atEpoch(both, 1n), 'bob joins');

  // Both self-update at epoch 1, racing; the first to reach the controller wins.
  const [ca, cb] = await Promise.all([alice.member.createCommit(), bob.member.createCommit()]);
  const ia = await alice.sendMls({ type: 'commit', epoch: 1n, commit: ca.commit });
  await alice.joined.client.waitFor((m) => m.requestId === ia, 5_000, 'alice answered', true);
  await bob.sendMls({ type: 'commit', epoch: 1n, commit: cb.commit });
  await settle(both, () => atEpoch(both, 2n)() && bob.replies.includes(ErrorCode.CONFLICT), 'race resolved');

  assert.deepEqual(alice.replies.at(-1), 'ack');
  assert.deepEqual(bob.replies.at(-1), ErrorCode.CONFLICT);
  assert.equal(bob.member.hasPendingCommit, false);
  await sameKeys(both);
  await framesGoAllWays(both, 5);
  // Bob then commits again on the new epoch (rebased): accepted.
  const again = await bob.member.createCommit();
  await bob.sendMls({ type: 'commit', epoch: 2n, commit: again.commit });
  await settle(both, atEpoch(both, 3n), 'bob commits after rebasing');
  assert.equal(bob.replies.at(-1), 'ack');
  await sameKeys(both);
  for (const c of both) assert.deepEqual(c.failures, []);
  for (const c of both) await c.participant.close();
});

test('MLS DS: garbage MLS bytes are refused for the sender and do not disturb the others', async () => {
  await using h = await Harness.start(openStore);
  const meeting = randomUUID();
  const alice = await MlsClient.join(h, meeting, 'alice');
  await settle([alice], atEpoch([alice], 0n), 'alice founds');
  const bob = await MlsClient.join(h, meeting, 'bob');
  const both = [alice, bob];
  await settle(both, atEpoch(both, 1n), 'bob joins');

  const eveJoined = await h.join(meeting, 'eve');
  const eve = eveJoined.client;
  const refusals = [
    await eve.request({ case: 'mlsKeyPackage', value: { keyPackage: new Uint8Array() } }),
    await eve.request({ case: 'mlsCommit', value: { epoch: 1n, commit: new Uint8Array([1, 2, 3]) } }),
    await eve.request({
      case: 'mlsWelcome',
      value: { epoch: 1n, welcome: new Uint8Array([9]), recipientParticipantIds: [bob.joined.participantId] },
    }),
    await eve.request({ case: 'mlsProposal', value: {} }),
  ];
  assert.deepEqual(
    refusals.map((r) => (r.kind.case === 'error' ? r.kind.value.code : r.kind.case)),
    [ErrorCode.INVALID_REQUEST, ErrorCode.FORBIDDEN, ErrorCode.CONFLICT, ErrorCode.INVALID_REQUEST],
  );
  // A member's junk commit for a past epoch is refused too.
  const stale = await bob.joined.client.request({
    case: 'mlsCommit',
    value: { epoch: 0n, commit: new Uint8Array([0, 1, 2]) },
  });
  assert.equal(stale.kind.case === 'error' ? stale.kind.value.code : undefined, ErrorCode.CONFLICT);
  // Opaque garbage as a key package: the DS cannot tell (it never parses MLS), the committer leaves it out.
  const junk = await eve.request({
    case: 'mlsKeyPackage',
    value: { keyPackage: new Uint8Array(300).fill(0xab) },
  });
  assert.equal(junk.kind.case, 'ack');
  await alice.joined.client.waitFor(
    (m) =>
      m.kind.case === 'mlsCommitRequest' &&
      m.kind.value.add.some((a) => a.participantId === eveJoined.participantId),
    5_000,
    'the junk key package handed to the committer',
  );
  const quiet = (): boolean =>
    both.every((x) => x.member.state === 'member' && !x.member.hasPendingCommit) &&
    alice.member.epoch === bob.member.epoch;
  await settle(both, quiet, 'the group handles the junk key package');
  await sameKeys(both);
  assert.equal(alice.member.members().length, 2, 'eve was not added');

  // The group still works and still moves on: a self-update from Alice.
  const epoch = alice.member.epoch;
  const c = await alice.member.createCommit();
  await alice.sendMls({ type: 'commit', epoch, commit: c.commit });
  await settle(both, atEpoch(both, epoch + 1n), 'alice rotates after the garbage');
  await sameKeys(both);
  await framesGoAllWays(both, 6);
  for (const x of both) assert.deepEqual(x.failures, []);
  for (const x of both) await x.participant.close();
});

test('MLS DS: a meeting with E2EE off refuses MLS messages and says so in the JoinResponse', async () => {
  await using h = await Harness.start(openStore);
  const meeting = randomUUID();
  await h.service.assignMeeting(MeetingId(meeting), {
    displayName: 'Plain',
    maxParticipants: 10,
    enableE2ee: false,
    recordingEnabled: false,
  });
  const a = await h.join(meeting, 'a');
  assert.equal(a.response.meeting?.enableE2eEncryption, false);
  for (const kind of [
    { case: 'mlsKeyPackage', value: { keyPackage: new Uint8Array([1]) } },
    { case: 'mlsCommit', value: { epoch: 0n, commit: new Uint8Array([1]) } },
    { case: 'mlsWelcome', value: { epoch: 0n, welcome: new Uint8Array([1]) } },
    { case: 'mlsProposal', value: {} },
  ] as const) {
    const r = await a.client.request(kind);
    assert.equal(r.kind.case === 'error' ? r.kind.value.code : undefined, ErrorCode.INVALID_REQUEST);
  }
  assert.equal(
    a.client.received.filter((m) => m.kind.case === 'mlsKeyPackageRequest').length,
    0,
    'no key package request without E2EE',
  );
});

test('MLS DS: hourly rotation, a resumable disconnect keeps the member, kicks and expired sessions remove', async () => {
  await using h = await Harness.start(openStore);
  const meeting = randomUUID();
  const alice = await MlsClient.join(h, meeting, 'alice', 'host');
  await settle([alice], atEpoch([alice], 0n), 'alice founds');
  const bob = await MlsClient.join(h, meeting, 'bob');
  await settle([alice, bob], atEpoch([alice, bob], 1n), 'bob joins');
  const carol = await MlsClient.join(h, meeting, 'carol');
  const all = [alice, bob, carol];
  await settle(all, atEpoch(all, 2n), 'carol joins');

  // An hour without a commit: the sweep asks the committer for a self-update.
  h.advance(61 * 60_000);
  for (const c of all) await c.joined.client.request({ case: 'heartbeat', value: {} });
  await h.service.sweep();
  await settle(all, atEpoch(all, 3n), 'hourly rotation');
  await sameKeys(all);

  // Bob's session drops (resumable): he stays in the group; what he missed is delivered when he resumes.
  await bob.joined.client.close();
  const lost = await alice.joined.client.next('participantLeft');
  assert.equal(lost.reason, LeaveReason.CONNECTION_LOST);
  const update = await alice.member.createCommit();
  await alice.sendMls({ type: 'commit', epoch: 3n, commit: update.commit });
  await settle([alice, carol], atEpoch([alice, carol], 4n), 'a commit while bob is away');
  assert.equal(bob.member.epoch, 3n);
  const again = await h.connect();
  expectKind(
    await again.request({
      case: 'resume',
      value: {
        meetingId: meeting,
        participantId: bob.joined.participantId,
        resumeToken: bob.joined.response.resumeToken,
        joinToken: await h.issuer.sign({ meetingId: meeting, sub: 'bob' }),
      },
    }),
    'joinResponse',
  );
  bob.resumedOn(again);
  await settle(all, atEpoch(all, 4n), 'bob catches up after resuming');
  assert.equal(alice.member.members().length, 3);
  await sameKeys(all);
  await framesGoAllWays(all, 8);

  // The host kicks Carol: a new epoch without her.
  expectKind(
    await alice.joined.client.request({
      case: 'kick',
      value: { participantId: carol.joined.participantId, reason: '' },
    }),
    'ack',
  );
  await settle([alice, bob], atEpoch([alice, bob], 5n), 'carol kicked');
  assert.equal(alice.member.members().length, 2);
  await assert.rejects(carol.participant.keyring.decrypt(await alice.participant.keyring.encrypt(frame(9))));

  // Bob goes quiet: disconnected first (still a member), removed when his resume window passes.
  h.advance(31_000);
  await alice.joined.client.request({ case: 'heartbeat', value: {} });
  await h.service.sweep();
  await alice.joined.client.next('participantLeft');
  await alice.pump();
  assert.equal(alice.member.hasPendingCommit, false, 'no removal is asked for on a resumable disconnect');
  assert.equal(alice.member.epoch, 5n);
  h.advance(5 * 60_000 + 1_000);
  await alice.joined.client.request({ case: 'heartbeat', value: {} });
  await h.service.sweep();
  await settle([alice], atEpoch([alice], 6n), 'bob expired');
  assert.deepEqual(
    alice.member.members().map((m) => m.identity),
    [alice.joined.participantId],
  );
  for (const c of all) assert.deepEqual(c.failures, []);
  for (const c of all) await c.participant.close();
});
