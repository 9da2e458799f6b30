// A refused resume in an E2EE meeting: the session expired while Alice was away, so the SDK joins afresh under a
// new participant id (resumeRefused, rejoined). Her MLS member must follow: the old member and its keys are
// dropped, a new member (new KeyPackage through the controller's Delivery Service) joins the group under the new
// id, nothing leaves her in clear meanwhile, and both sides decrypt each other's frames again with no UNKNOWN_KID
// drop once the new epoch has settled. Real Meeting Controller signaling code (and its MLS Delivery Service) in
// this process, a real Media Handler process, SDK participants in Node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  isClientError,
  Meeting,
  readSyntheticPayload,
  SyntheticSource,
  type FrameTransform,
  type MeetingState,
} from '@darktower/client';
import { nodeConnector } from '@darktower/client/node';
import { ControllerInProcess } from './support/controller-in-process.ts';
import { startMediaHandler } from './support/media-handler-process.ts';
import { until as waitUntil } from './support/until.ts';

// This file's waits are longer than the shared default (MLS epochs settle after a rejoin).
const until = <T>(
  what: string,
  check: () => T | undefined,
  timeoutMs = 30_000,
  explain?: () => string,
): Promise<T> => waitUntil(what, check, timeoutMs, explain);

const json = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));

/** The wire side of a participant: every frame it sends, after SFrame. */
function recorder(): FrameTransform & { sent: Uint8Array[] } {
  const sent: Uint8Array[] = [];
  return {
    sent,
    encrypt: (p) => {
      sent.push(p.slice());
      return p;
    },
    decrypt: (p) => p,
  };
}

/** Both meetings active in one MLS epoch whose members are exactly their current participant ids. */
function settled(a: Meeting, b: Meeting): bigint | undefined {
  const sa = a.e2ee.state;
  const sb = b.e2ee.state;
  if (sa?.state !== 'active' || sb?.state !== 'active' || sa.epoch !== sb.epoch) return undefined;
  if (sa.verificationCode !== sb.verificationCode) return undefined;
  const want = [a.participantId, b.participantId].sort();
  for (const s of [sa, sb]) if (json([...s.members].sort()) !== json(want)) return undefined;
  return sa.epoch;
}

/** Decrypted synthetic camera frames `m` receives from whoever `from()` names now. */
function collect(m: Meeting, from: () => string): { count: number; corrupt: number } {
  const out = { count: 0, corrupt: 0 };
  m.events.on('remoteFrame', (f) => {
    if (f.participantId !== from() || f.kind !== 'camera') return;
    if (readSyntheticPayload(f.payload) === undefined) out.corrupt++;
    else out.count++;
  });
  return out;
}

test(
  'E2EE: after a refused resume the fresh participant gets a new MLS member and both sides decrypt again',
  { timeout: 180_000 },
  async () => {
    await using handler = await startMediaHandler({ MH_AUDIO_AS_DATAGRAMS: '1' });
    await using mc = await ControllerInProcess.start(handler, { sessionTtlMs: 300 });
    const meetingId = randomUUID();
    const media = nodeConnector();
    const aliceWire = recorder();
    const join = (name: string, transform?: FrameTransform): Promise<Meeting> =>
      Meeting.join({
        meeting: meetingId,
        displayName: name,
        grant: mc.grant(meetingId, name),
        reconnectDelayMs: 1_000,
        ...(transform === undefined ? {} : { transform }),
        connector: (target, signal) =>
          target.url === ControllerInProcess.URL ? Promise.resolve(mc.connect()) : media(target, signal),
      });
    const alice = await join('Alice', aliceWire);
    const bob = await join('Bob');
    const stops: AbortController[] = [];
    const runs: Promise<void>[] = [];
    try {
      alice.events.on('error', () => undefined);
      bob.events.on('error', () => undefined);
      assert.equal(alice.e2ee.mode, 'e2ee');
      assert.equal(bob.e2ee.mode, 'e2ee');
      const first = await until('Alice and Bob share an MLS epoch', () => settled(alice, bob));

      for (const m of [alice, bob]) {
        const publication = await m.publish({ kind: 'camera', codec: 'VP8', width: 320, height: 180 });
        const source = new SyntheticSource({ kind: 'video', fps: 30, size: 1200 });
        publication.events.on('keyframeRequested', () => {
          source.requestKeyframe();
        });
        const stop = new AbortController();
        stops.push(stop);
        runs.push(source.run((f) => publication.send(f), stop.signal));
      }
      const bobGets = collect(bob, () => alice.participantId);
      const aliceGets = collect(alice, () => bob.participantId);
      await alice.setLayout({ kind: 'grid', rows: 1, columns: 2 });
      await bob.setLayout({ kind: 'grid', rows: 1, columns: 2 });
      await until('each decrypts 20 of the other’s frames', () =>
        bobGets.count >= 20 && aliceGets.count >= 20 ? true : undefined,
      );

      const oldId = alice.participantId;
      const oldSession = alice.e2ee.session;
      const states: MeetingState['state'][] = [];
      const refused: unknown[] = [];
      const rejoined: [string, string][] = [];
      alice.events.on('stateChanged', (s) => states.push(s.state));
      alice.events.on('resumeRefused', (e) => refused.push(e));
      alice.events.on('rejoined', (from, to) => rejoined.push([from, to]));

      // Alice's network drops; her session expires on the controller before she is back.
      mc.servers[0]?.close({ closeCode: 0x1006, reason: 'network drop' });
      await until('alice reconnecting', () => (states.includes('reconnecting') ? true : undefined));
      const sentBeforeRejoin = aliceWire.sent.length;
      await until('bob sees alice gone', () => (bob.roster.get(oldId) === undefined ? true : undefined));
      await new Promise((resolve) => setTimeout(resolve, 400));
      await mc.service.sweep();

      await until('alice joined afresh', () => (rejoined.length > 0 ? true : undefined));
      assert.equal(refused.length, 1);
      assert.ok(isClientError(refused[0], 'SESSION_EXPIRED'), String(refused[0]));
      const newId = alice.participantId;
      assert.notEqual(newId, oldId);
      assert.deepEqual(rejoined, [[oldId, newId]]);
      assert.equal(alice.e2ee.mode, 'e2ee');
      assert.notEqual(alice.e2ee.session, oldSession, 'a new MLS member for the new participant id');
      assert.equal(oldSession?.state.state, 'closed', 'the old member and its keys are gone');

      const epoch = await until(
        'the group settles on Bob and the new Alice',
        () => settled(alice, bob),
        60_000,
        () => json({ alice: alice.e2ee.state, bob: bob.e2ee.state, newId, bobId: bob.participantId }),
      );
      assert.ok(epoch > first, `a later epoch: ${epoch} > ${first}`);

      // Once each side has decrypted a frame of the settled epoch, nothing more fails for want of a key.
      const bobFrom = bobGets.count;
      const aliceFrom = aliceGets.count;
      await until(
        'each decrypts the other again',
        () => (bobGets.count > bobFrom && aliceGets.count > aliceFrom ? true : undefined),
        60_000,
        () => json({ alice: alice.e2ee.stats, bob: bob.e2ee.stats, bobGets, aliceGets }),
      );
      const unknownKid = (m: Meeting): number => m.e2ee.stats?.dropped['unknown-kid'] ?? 0;
      const bobUnknown = unknownKid(bob);
      const aliceUnknown = unknownKid(alice);
      const bobBase = bobGets.count;
      const aliceBase = aliceGets.count;
      await until(
        'each decrypts 30 more of the other’s frames',
        () => (bobGets.count >= bobBase + 30 && aliceGets.count >= aliceBase + 30 ? true : undefined),
        60_000,
        () => json({ alice: alice.e2ee.stats, bob: bob.e2ee.stats, bobGets, aliceGets }),
      );
      assert.equal(unknownKid(bob), bobUnknown, 'Bob: no UNKNOWN_KID drop after the epoch settled');
      assert.equal(unknownKid(alice), aliceUnknown, 'Alice: no UNKNOWN_KID drop after the epoch settled');
      assert.equal(bobGets.corrupt, 0);
      assert.equal(aliceGets.corrupt, 0);
      assert.equal(settled(alice, bob), epoch, 'still the same epoch');

      // Nothing Alice sent, before or after the fresh join, was a frame in clear.
      assert.ok(aliceWire.sent.length > sentBeforeRejoin, 'Alice sends again after the rejoin');
      for (const p of aliceWire.sent) assert.equal(readSyntheticPayload(p), undefined, 'no plaintext frame');
    } finally {
      for (const stop of stops) stop.abort();
      await Promise.all(runs);
      await alice.close();
      await bob.close();
    }
  },
);
