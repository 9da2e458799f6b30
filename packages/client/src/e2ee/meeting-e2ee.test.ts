// MeetingE2ee as the Meeting's frame transform: nothing leaves before the mode is known, a meeting without E2EE
// passes frames through the caller's transform, and each stream's frames come out in the order they went in even
// when the work behind them finishes out of order (WebCrypto in Node does); a frame that arrives before our Welcome
// waits for our keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import { FrameType, JoinResponseSchema, parseStreamId, randomStreamId } from '@darktower/protocol';
import type { FrameMeta, FrameTransform } from '../media/frame-transform.ts';
import { Emitter } from '../core/emitter.ts';
import type { SignalingClient } from '../signaling/signaling-client.ts';
import {
  applyClientKind,
  DeliveryServiceCore,
  dsMessageToServerKind,
  type DsDelivery,
} from '@darktower/e2ee';
import { E2eeSession } from './e2ee-session.ts';
import { MeetingE2ee } from './meeting-e2ee.ts';

const metaFrom = (participantId: string): FrameMeta => ({
  streamId: parseStreamId(randomStreamId()),
  participantId,
  frameType: FrameType.VideoKey,
  timestampUs: 0,
});

const meta = (streamId = randomStreamId()): FrameMeta => ({
  streamId: parseStreamId(streamId),
  participantId: 'p',
  frameType: FrameType.VideoDelta,
  timestampUs: 0,
});

test('frames are held back until the mode is known, then pass through a meeting without E2EE', async () => {
  const e2ee = new MeetingE2ee({}, { encrypt: (p) => p, decrypt: (p) => p }, () => undefined);
  const m = meta();
  assert.equal(e2ee.mode, 'pending');
  assert.equal(
    await e2ee.transform.encrypt(new Uint8Array([1]), m),
    undefined,
    'nothing is sent before the JoinResponse',
  );
  assert.equal(await e2ee.transform.decrypt(new Uint8Array([1]), m), undefined);
  await e2ee.start(
    create(JoinResponseSchema, { participantId: 'me', meeting: { enableE2eEncryption: false } }),
  );
  assert.equal(e2ee.mode, 'none');
  assert.equal(e2ee.state, undefined);
  assert.deepEqual(await e2ee.transform.encrypt(new Uint8Array([2]), m), new Uint8Array([2]));
  await e2ee.close();
  await e2ee.close();
});

test('each stream’s frames come out in order although the work finishes in reverse', async () => {
  // The caller's transform finishes frame i after (10 - i) ticks: the last frame first.
  const slow: FrameTransform = {
    encrypt: async (p) => {
      await new Promise((r) => setTimeout(r, (10 - (p[0] ?? 0)) * 3));
      return p;
    },
    decrypt: async (p) => {
      await new Promise((r) => setTimeout(r, (10 - (p[0] ?? 0)) * 3));
      return p;
    },
  };
  const e2ee = new MeetingE2ee({}, slow, () => undefined);
  await e2ee.start(
    create(JoinResponseSchema, { participantId: 'me', meeting: { enableE2eEncryption: false } }),
  );
  const m = meta();
  for (const op of ['encrypt', 'decrypt'] as const) {
    const done: number[] = [];
    await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const out = await e2ee.transform[op](new Uint8Array([i]), m);
        done.push(out?.[0] ?? -1);
      }),
    );
    assert.deepEqual(done, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], `${op}: in order`);
  }
  await e2ee.close();
});

test('an MLS identity the roster has not announced yet is waited for, then accepted or refused', async () => {
  const e2ee = new MeetingE2ee(
    { rosterWaitMs: 200 },
    { encrypt: (p) => p, decrypt: (p) => p },
    () => undefined,
  );
  // The part of a signaling link MeetingE2ee listens to: its events (it sends nothing here).
  const events = new Emitter<{ participantJoined: [{ participant?: { participantId: string } }] }>();
  e2ee.attach({ events, send: () => Promise.resolve() } as unknown as SignalingClient);
  await e2ee.start(
    create(JoinResponseSchema, {
      participantId: 'me',
      existingParticipants: [{ participantId: 'alice' }],
      meeting: { enableE2eEncryption: true },
    }),
  );
  assert.equal(e2ee.acceptsIdentity('alice'), true);
  assert.equal(e2ee.acceptsIdentity('me'), true);
  // A commit adding bob arrives a moment before the ParticipantJoined that announces him.
  const bob = e2ee.acceptsIdentity('bob');
  assert.ok(bob instanceof Promise);
  events.emit('participantJoined', { participant: { participantId: 'bob' } });
  assert.equal(await bob, true);
  assert.equal(e2ee.acceptsIdentity('bob'), true);
  // Nobody announces mallory: refused when the wait ends.
  assert.equal(await e2ee.acceptsIdentity('mallory'), false);
  // Waits end (refused) when the meeting closes.
  const late = e2ee.acceptsIdentity('carol');
  await e2ee.close();
  assert.equal(await late, false);
});

test('a frame that arrives while we are still joining the group waits for our keys instead of being dropped', async () => {
  const ds = new DeliveryServiceCore();
  const toAlice: DsDelivery[] = [];
  const toBob: DsDelivery[] = [];
  const route = (deliveries: DsDelivery[] | undefined): void => {
    for (const d of deliveries ?? []) (d.to === 'alice' ? toAlice : toBob).push(d);
  };
  const alice = await E2eeSession.create({ participantId: 'alice' });
  alice.setPort({
    send: (kind) => {
      route(applyClientKind(ds, 'alice', kind));
      return Promise.resolve();
    },
    request: (kind) => {
      route(applyClientKind(ds, 'alice', kind));
      return Promise.resolve(undefined);
    },
  });
  const flushAlice = async (): Promise<void> => {
    for (let d = toAlice.shift(); d !== undefined; d = toAlice.shift())
      await alice.handle(dsMessageToServerKind(d.message));
  };
  route(ds.participantJoined('alice'));
  await flushAlice();
  assert.equal(alice.state.state, 'active');

  // Bob's MeetingE2ee on a signaling link that reaches the same DS.
  const bob = new MeetingE2ee({}, { encrypt: (p) => p, decrypt: (p) => p }, () => undefined);
  const events = new Emitter<Record<string, [unknown]>>();
  const port = (kind: Parameters<typeof applyClientKind>[2]): Promise<void> => {
    route(applyClientKind(ds, 'bob', kind));
    return Promise.resolve();
  };
  bob.attach({ events, send: port, request: port } as unknown as SignalingClient);
  await bob.start(
    create(JoinResponseSchema, {
      participantId: 'bob',
      existingParticipants: [{ participantId: 'alice' }],
      meeting: { enableE2eEncryption: true },
    }),
  );
  const deliverToBob = async (): Promise<void> => {
    for (let d = toBob.shift(); d !== undefined; d = toBob.shift()) {
      const kind = dsMessageToServerKind(d.message);
      events.emit(kind.case ?? '', kind.value);
      await new Promise((r) => setTimeout(r, 20)); // the session works through it
    }
  };
  route(ds.participantJoined('bob'));
  await deliverToBob(); // the KeyPackage request: Bob answers with his KeyPackage
  await flushAlice(); // Alice commits the add; the Welcome for Bob is queued, not delivered yet
  assert.ok(toBob.some((d) => d.message.type === 'welcome'));
  assert.equal(bob.state?.state, 'joining');

  // Alice's first frame in the new epoch reaches Bob before his Welcome does.
  const frame = await alice.encrypt(new Uint8Array([7, 7, 7]));
  assert.ok(frame !== undefined);
  let settled = false;
  const decrypted = Promise.resolve(bob.transform.decrypt(frame, metaFrom('alice'))).finally(
    () => (settled = true),
  );
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(settled, false, 'waits while joining');
  await deliverToBob();
  assert.deepEqual(await decrypted, new Uint8Array([7, 7, 7]));
  assert.equal(bob.state.state, 'active');
  assert.equal(bob.stats?.dropped['unknown-kid'], 0);
  assert.equal(bob.stats.dropped['no-group'], 0);
  await bob.close();
  await alice.close();
});
