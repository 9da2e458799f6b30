import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ControllerId } from '../domain/ids.ts';
import { ControllerRegistry } from './controller-registry.ts';
import { MemoryControllerStore } from './memory-controller-store.ts';

function setup(timeoutMs = 3000) {
  let now = 1_000_000;
  const clock = { advance: (ms: number) => (now += ms), now: () => now };
  const registry = new ControllerRegistry({
    store: new MemoryControllerStore(clock.now),
    heartbeatTimeoutMs: timeoutMs,
    now: clock.now,
    listCacheMs: 0,
  });
  return { registry, clock };
}

const capacity = { maxMeetings: 10, currentMeetings: 0, maxParticipants: 100, currentParticipants: 0 };
const reg = (id: string, region = 'eu') => ({
  controllerId: id,
  owner: 'svc-mc',
  region,
  rpcEndpoint: `http://127.0.0.1:1/${id}`,
  clientUrl: `https://${id}.example/wt`,
  capacity,
});

describe('ControllerRegistry', () => {
  test('a registered controller is active and a candidate', async () => {
    const { registry } = setup();
    await registry.register(reg('mc-1'));
    const view = await registry.get('mc-1' as ControllerId);
    assert.deepEqual(view?.status, { state: 'active', health: 'healthy' });
    assert.deepEqual(
      (await registry.candidates()).map((c) => [c.id, c.load, c.maxMeetings]),
      [['mc-1', 0, 10]],
    );
    assert.equal(await registry.activeCount(), 1);
  });

  test('missing heartbeats take a controller out of rotation; a heartbeat brings it back', async () => {
    const { registry, clock } = setup(3000);
    await registry.register(reg('mc-1'));
    clock.advance(2999);
    assert.equal((await registry.candidates()).length, 1);
    clock.advance(2);
    assert.equal((await registry.candidates()).length, 0);
    const view = await registry.get('mc-1' as ControllerId);
    assert.equal(view?.status.state, 'expired');
    await registry.heartbeat({ controllerId: 'mc-1', owner: 'svc-mc', capacity, health: 'healthy' });
    assert.equal((await registry.candidates()).length, 1);
  });

  test('heartbeats carry health and load; pending assignments count until the next heartbeat', async () => {
    const { registry } = setup();
    await registry.register(reg('mc-1'));
    await registry.noteAssigned('mc-1' as ControllerId);
    await registry.noteAssigned('mc-1' as ControllerId);
    assert.equal((await registry.candidates())[0]?.load, 2);
    await registry.heartbeat({
      controllerId: 'mc-1',
      owner: 'svc-mc',
      capacity: { ...capacity, currentMeetings: 5 },
      health: 'degraded',
    });
    const [c] = await registry.candidates();
    assert.ok(c);
    assert.equal(c.load, 5);
    assert.equal(c.health, 'degraded');
  });

  test('heartbeat from an unknown controller is NOT_FOUND (it must register)', async () => {
    const { registry } = setup();
    await assert.rejects(
      registry.heartbeat({ controllerId: 'ghost', owner: 'svc-mc', capacity, health: 'healthy' }),
      {
        code: 'NOT_FOUND',
      },
    );
  });

  test('only the registering service identity may heartbeat or take over a controller id', async () => {
    const { registry } = setup();
    await registry.register(reg('mc-1'));
    await assert.rejects(registry.register({ ...reg('mc-1'), owner: 'svc-evil' }), { code: 'FORBIDDEN' });
    await assert.rejects(
      registry.heartbeat({ controllerId: 'mc-1', owner: 'svc-evil', capacity, health: 'unhealthy' }),
      {
        code: 'FORBIDDEN',
      },
    );
    assert.equal((await registry.get('mc-1' as ControllerId))?.record.health, 'healthy');
  });

  test('records are forgotten long after expiry', async () => {
    const { registry, clock } = setup(1000);
    await registry.register(reg('mc-1'));
    clock.advance(10_001);
    assert.equal(await registry.get('mc-1' as ControllerId), undefined);
  });

  test('hostile registrations are refused with INVALID_REQUEST', async () => {
    const { registry } = setup();
    const bad = [
      { ...reg('x'), controllerId: '' },
      { ...reg('x'), controllerId: '../etc/passwd' },
      { ...reg('x'), controllerId: 'a'.repeat(200) },
      { ...reg('x'), region: 'EU WEST' },
      { ...reg('x'), rpcEndpoint: 'not a url' },
      { ...reg('x'), rpcEndpoint: 'file:///etc/passwd' },
      { ...reg('x'), rpcEndpoint: 'http://user:pw@host/' },
      { ...reg('x'), clientUrl: 'javascript:alert(1)' },
      { ...reg('x'), capacity: { ...capacity, maxMeetings: 0 } },
      { ...reg('x'), capacity: { ...capacity, currentMeetings: -1 } },
      { ...reg('x'), capacity: { ...capacity, currentMeetings: 1.5 } },
    ];
    for (const input of bad) {
      await assert.rejects(registry.register(input), { code: 'INVALID_REQUEST' }, JSON.stringify(input));
    }
    assert.equal((await registry.list()).length, 0);
  });

  test('deregister removes a controller', async () => {
    const { registry } = setup();
    await registry.register(reg('mc-1'));
    await assert.rejects(registry.deregister('mc-1', 'svc-other'), { code: 'FORBIDDEN' });
    await registry.deregister('mc-1', 'svc-mc');
    assert.equal(await registry.activeCount(), 0);
  });
});
