// E2eeSession against the real Delivery Service core (the code the Meeting Controller runs in room-mls.ts): when
// the DS adds a member afresh (the controller held too many MLS messages for it while it was away, so it removes
// its leaf and asks it for a KeyPackage again), the session starts a new MLS member under the same identity, sends
// nothing meanwhile, joins the new epoch and drops every key of the old member.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyClientKind,
  DeliveryServiceCore,
  dsMessageToServerKind,
  type DsDelivery,
} from '@darktower/e2ee';
import { FrameType, parseStreamId, randomStreamId } from '@darktower/protocol';
import type { FrameMeta } from '../media/frame-transform.ts';
import { E2eeSession, type E2eeState } from './e2ee-session.ts';

/** The DS and its sessions; deliveries to a participant marked away are discarded (held-message overflow). */
class Harness {
  readonly ds = new DeliveryServiceCore();
  readonly sessions = new Map<string, E2eeSession>();
  readonly away = new Set<string>();
  readonly #queue: DsDelivery[] = [];

  async add(id: string): Promise<E2eeSession> {
    const session = await E2eeSession.create({ participantId: id });
    const fromDs = (deliveries: DsDelivery[] | undefined): void => {
      this.#queue.push(...(deliveries ?? []));
    };
    session.setPort({
      send: (kind) => {
        fromDs(applyClientKind(this.ds, id, kind));
        return Promise.resolve();
      },
      request: (kind) => {
        fromDs(applyClientKind(this.ds, id, kind));
        return Promise.resolve(undefined);
      },
    });
    session.events.on('error', (e) => {
      throw e instanceof Error ? e : new Error(String(e));
    });
    this.sessions.set(id, session);
    return session;
  }

  push(deliveries: DsDelivery[]): void {
    this.#queue.push(...deliveries);
  }

  /** Carries every delivery (and what it causes) to its session, in order. */
  async flush(): Promise<void> {
    for (let d = this.#queue.shift(); d !== undefined; d = this.#queue.shift()) {
      if (this.away.has(d.to)) continue;
      await this.sessions.get(d.to)?.handle(dsMessageToServerKind(d.message));
    }
  }
}

const metaFrom = (participantId: string): FrameMeta => ({
  streamId: parseStreamId(randomStreamId()),
  participantId,
  frameType: FrameType.VideoDelta,
  timestampUs: 0,
});

const active = (s: E2eeSession): Extract<E2eeState, { state: 'active' }> => {
  const state = s.state;
  assert.equal(state.state, 'active');
  return state;
};

test('re-added by the DS, the session starts a fresh MLS member: new keys, old epochs dropped', async () => {
  const h = new Harness();
  const a = await h.add('alice');
  const b = await h.add('bob');
  try {
    h.push(h.ds.participantJoined('alice'));
    await h.flush();
    h.push(h.ds.participantJoined('bob'));
    await h.flush();
    const before = active(a);
    assert.equal(active(b).epoch, before.epoch);
    assert.deepEqual([...before.members].sort(), ['alice', 'bob']);
    const frame = new Uint8Array([1, 2, 3, 4]);
    const oldFromBob = await b.encrypt(frame);
    assert.ok(oldFromBob !== undefined);
    assert.deepEqual(await a.decrypt(oldFromBob, metaFrom('bob')), frame);

    // Alice is away; what the DS sends her meanwhile overflows and is discarded; it re-adds her.
    const states: string[] = [];
    a.events.on('stateChanged', (s) => states.push(s.state));
    h.away.add('alice');
    h.push(h.ds.participantLeft('alice'));
    await h.flush();
    h.away.delete('alice');
    const oldKeyring = a.keyring;
    h.push(h.ds.participantJoined('alice'));
    // Her KeyPackage request is handled first: a new member, nothing sent until it is in the group.
    const request = h.flush();
    await request;
    assert.equal(states[0], 'joining', 'a fresh member waits for its Welcome');
    assert.notEqual(a.keyring, oldKeyring, 'a new keyring for the new member');
    await assert.rejects(oldKeyring.encrypt(frame), 'the old keyring is closed');

    const after = active(a);
    assert.equal(active(b).epoch, after.epoch);
    assert.ok(after.epoch > before.epoch, `${after.epoch} > ${before.epoch}`);
    assert.equal(after.verificationCode, active(b).verificationCode);
    assert.deepEqual([...after.members].sort(), ['alice', 'bob']);

    // Both directions decrypt under the new epoch.
    const fromAlice = await a.encrypt(frame);
    assert.ok(fromAlice !== undefined);
    assert.deepEqual(await b.decrypt(fromAlice, metaFrom('alice')), frame);
    const fromBob = await b.encrypt(frame);
    assert.ok(fromBob !== undefined);
    assert.deepEqual(await a.decrypt(fromBob, metaFrom('bob')), frame);
    // The old member's epochs are gone: a frame of the old epoch no longer decrypts for the new Alice.
    assert.equal(await a.decrypt(oldFromBob, metaFrom('bob')), undefined);
    assert.equal(a.stats.dropped['unknown-kid'], 1);
  } finally {
    await a.close();
    await b.close();
  }
});

test('a member still waiting for its Welcome is kept when asked for a KeyPackage again', async () => {
  const session = await E2eeSession.create({ participantId: 'carol' });
  const sent: string[] = [];
  session.setPort({
    send: (kind) => {
      sent.push(kind.case ?? '');
      return Promise.resolve();
    },
    request: () => Promise.resolve(undefined),
  });
  const states: string[] = [];
  session.events.on('stateChanged', (s) => states.push(s.state));
  const keyring = session.keyring;
  const request = dsMessageToServerKind({ type: 'keyPackageRequest', count: 1 });
  await session.handle(request);
  await session.handle(request); // the DS timed out our Welcome and asks again
  assert.equal(session.keyring, keyring, 'an idle member is not replaced');
  assert.deepEqual(sent, ['mlsKeyPackage', 'mlsKeyPackage']);
  assert.deepEqual(states, []);
  assert.equal(session.state.state, 'joining');
  await session.close();
});
