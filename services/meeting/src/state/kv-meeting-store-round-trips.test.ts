// Per-participant writes cost one Redis round trip, not one per command: they are on every join, leave and
// presence refresh of every participant (the scale benchmark, bench/scale-bench.ts, found them sequential).
// Real Redis (TEST_REDIS_URL, default 127.0.0.1:6379).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openKeyValueStore, type KeyValueStore } from '@darktower/data';
import { testRedisUrl, uniquePrefix } from '@darktower/data/testing';
import { MeetingId, ParticipantId } from '../ids.ts';
import { KvMeetingStore } from './kv-meeting-store.ts';
import { participant } from './meeting-store.contract.ts';

/** The store's commands, counted as they are issued: the most ever outstanding at once is kept. */
function countingInFlight(kv: KeyValueStore): { kv: KeyValueStore; peak: () => number } {
  let inFlight = 0;
  let peak = 0;
  const wrapped = new Proxy(kv, {
    get(target, property, receiver): unknown {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]): unknown => {
        const result: unknown = Reflect.apply(value as (...a: unknown[]) => unknown, target, args);
        if (!(result instanceof Promise)) return result;
        inFlight++;
        peak = Math.max(peak, inFlight);
        return result.finally(() => {
          inFlight--;
        });
      };
    },
  });
  return {
    kv: wrapped,
    peak: () => {
      const p = peak;
      peak = 0;
      return p;
    },
  };
}

test('putParticipant and removeParticipant issue their commands together (one round trip)', async () => {
  const kv = await openKeyValueStore({ url: testRedisUrl(), prefix: uniquePrefix('mc-rt') });
  try {
    const counting = countingInFlight(kv);
    const store = new KvMeetingStore(counting.kv);
    const record = participant('m-rt', 'p-rt', 5);

    await store.putParticipant(record, 60_000);
    assert.equal(counting.peak(), 3, 'SET, SADD and EXPIRE outstanding at once');
    assert.deepEqual(await store.getParticipant(MeetingId('m-rt'), ParticipantId('p-rt')), record);
    assert.deepEqual(
      (await store.listParticipants(MeetingId('m-rt'))).map((p) => p.participantId),
      ['p-rt'],
    );
    const ttl = await kv.ttl('participants:m-rt');
    assert.ok(ttl !== undefined && ttl > 0, 'the index has a TTL');

    counting.peak();
    await store.removeParticipant(MeetingId('m-rt'), ParticipantId('p-rt'));
    assert.equal(counting.peak(), 2, 'DEL and SREM outstanding at once');
    assert.equal(await store.getParticipant(MeetingId('m-rt'), ParticipantId('p-rt')), undefined);
    assert.deepEqual(await store.listParticipants(MeetingId('m-rt')), []);
  } finally {
    const keys = await kv.keys('');
    if (keys.length > 0) await kv.del(...keys);
    await kv.close();
  }
});
