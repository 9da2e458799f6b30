import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DataErrorCode, isDataError, type KeyValueStore } from '../src/index.ts';

/** Two stores on one backend (two Redis clients, or two stores on one memory hub), same prefix. */
export interface KeyValueTarget {
  readonly kind: 'redis' | 'memory';
  open(prefix?: string): Promise<KeyValueStore>;
  teardown(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` holds, failing after a generous deadline (never asserts on timing). */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function code(expected: string): (error: unknown) => boolean {
  return (error: unknown) => {
    assert.ok(isDataError(error), `expected a DataError, got ${String(error)}`);
    assert.equal(error.code, expected);
    return true;
  };
}

export function keyValueContract(name: string, makeTarget: () => Promise<KeyValueTarget>): void {
  describe(`key-value contract: ${name}`, () => {
    let target: KeyValueTarget;
    let a: KeyValueStore;
    let b: KeyValueStore;

    before(async () => {
      target = await makeTarget();
      a = await target.open();
      b = await target.open();
    });
    after(async () => {
      await a.close();
      await b.close();
      await target.teardown();
    });

    test('get/set/overwrite; a missing key reads as undefined; both clients see one value', async () => {
      assert.equal(a.kind, target.kind);
      assert.equal(await a.get('s:missing'), undefined);
      await a.set('s:k', 'v1');
      assert.equal(await b.get('s:k'), 'v1');
      await b.set('s:k', 'v2 ✓ unicode');
      assert.equal(await a.get('s:k'), 'v2 ✓ unicode');
      await a.set('s:empty', '');
      assert.equal(await b.get('s:empty'), '');
    });

    test('TTL: a key set with ttlMs expires; ttl() reports the remainder; set without TTL clears it', async () => {
      await a.set('ttl:k', 'x', { ttlMs: 60_000 });
      const remaining = await b.ttl('ttl:k');
      assert.ok(remaining !== undefined && remaining > 0 && remaining <= 60_000);
      await a.set('ttl:k', 'y');
      assert.equal(await a.ttl('ttl:k'), undefined);
      await a.set('ttl:short', 'x', { ttlMs: 60 });
      await eventually(async () => (await b.get('ttl:short')) === undefined, 'ttl:short to expire');
      assert.equal(await a.ttl('ttl:short'), undefined);
    });

    test('setIfAbsent (NX): one winner among racing clients; value untouched; free again after TTL', async () => {
      const racers = Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).setIfAbsent('nx:k', `r${i}`));
      const won = await Promise.all(racers);
      assert.equal(won.filter(Boolean).length, 1);
      const winner = won.indexOf(true);
      assert.equal(await a.get('nx:k'), `r${winner}`);
      assert.equal(await b.setIfAbsent('nx:k', 'late'), false);
      assert.equal(await a.get('nx:k'), `r${winner}`);

      assert.equal(await a.setIfAbsent('nx:ttl', 'first', { ttlMs: 60 }), true);
      assert.equal(await b.setIfAbsent('nx:ttl', 'second', { ttlMs: 60 }), false);
      await eventually(() => b.setIfAbsent('nx:ttl', 'third'), 'nx:ttl to become free');
      assert.equal(await a.get('nx:ttl'), 'third');
    });

    test('getDel: a single-use token is redeemed exactly once', async () => {
      await a.set('tok:1', 'secret', { ttlMs: 60_000 });
      const redemptions = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).getDel('tok:1')));
      assert.deepEqual(
        redemptions.filter((r) => r !== undefined),
        ['secret'],
      );
      assert.equal(await a.get('tok:1'), undefined);
      assert.equal(await a.getDel('tok:never'), undefined);
    });

    test('del counts the keys that existed; expire works on existing keys only', async () => {
      await a.set('del:1', '1');
      await a.sadd('del:2', 'm');
      assert.equal(await b.del('del:1', 'del:2', 'del:3'), 2);
      assert.equal(await a.get('del:1'), undefined);
      assert.deepEqual(await a.smembers('del:2'), []);
      assert.equal(await a.expire('del:missing', 1_000), false);
      await a.hset('del:h', { f: 'v' });
      assert.equal(await a.expire('del:h', 50), true);
      await eventually(async () => Object.keys(await b.hgetall('del:h')).length === 0, 'del:h to expire');
    });

    test('incrBy: counts from 0, sums concurrent increments, TTL only when the key has none', async () => {
      assert.equal(await a.incrBy('ctr:1', 5), 5);
      assert.equal(await b.incrBy('ctr:1', -2), 3);
      await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).incrBy('ctr:2', 1, { ttlMs: 60_000 })));
      assert.equal(await a.get('ctr:2'), '40');
      const ttl = await a.ttl('ctr:2');
      assert.ok(ttl !== undefined && ttl <= 60_000);
      // A later increment with another TTL does not extend the window.
      await a.incrBy('ctr:2', 1, { ttlMs: 600_000 });
      const after = await a.ttl('ctr:2');
      assert.ok(after !== undefined && after <= 60_000);
      // The window expires and the count starts over.
      await a.incrBy('ctr:3', 1, { ttlMs: 60 });
      await eventually(async () => (await b.get('ctr:3')) === undefined, 'ctr:3 to expire');
      assert.equal(await b.incrBy('ctr:3', 1, { ttlMs: 60_000 }), 1);
      await a.set('ctr:text', 'abc');
      await assert.rejects(a.incrBy('ctr:text', 1), code(DataErrorCode.kvWrongType));
      await assert.rejects(a.incrBy('ctr:x', 1.5), code(DataErrorCode.invalidArgument));
    });

    test('hashes: hset/hget/hgetall/hdel; deleting the last field removes the key', async () => {
      assert.equal(await a.hset('h:1', { name: 'alice', role: 'host' }), 2);
      assert.equal(await b.hset('h:1', { role: 'guest', joined: '1' }), 1);
      assert.equal(await b.hget('h:1', 'role'), 'guest');
      assert.equal(await b.hget('h:1', 'nope'), undefined);
      assert.equal(await a.hget('h:none', 'x'), undefined);
      assert.deepEqual(await a.hgetall('h:1'), { name: 'alice', role: 'guest', joined: '1' });
      assert.deepEqual(await a.hgetall('h:none'), {});
      assert.equal(await a.hdel('h:1', 'name', 'nope'), 1);
      assert.equal(await a.hdel('h:1', 'role', 'joined'), 2);
      assert.deepEqual(await b.keys('h:'), []);
    });

    test('sets: sadd/srem/smembers', async () => {
      assert.equal(await a.sadd('set:1', 'p1', 'p2', 'p2'), 2);
      assert.equal(await b.sadd('set:1', 'p2', 'p3'), 1);
      assert.deepEqual((await a.smembers('set:1')).sort(), ['p1', 'p2', 'p3']);
      assert.equal(await b.srem('set:1', 'p1', 'zz'), 1);
      assert.deepEqual((await a.smembers('set:1')).sort(), ['p2', 'p3']);
      assert.deepEqual(await a.smembers('set:none'), []);
      assert.equal(await a.srem('set:1', 'p2', 'p3'), 2);
      assert.deepEqual(await a.keys('set:'), []);
    });

    test('a key holding another kind of value is refused with DATA_KV_WRONG_TYPE', async () => {
      await a.set('wt:s', 'x');
      await a.hset('wt:h', { f: 'v' });
      await assert.rejects(a.hget('wt:s', 'f'), code(DataErrorCode.kvWrongType));
      await assert.rejects(a.sadd('wt:s', 'm'), code(DataErrorCode.kvWrongType));
      await assert.rejects(a.get('wt:h'), code(DataErrorCode.kvWrongType));
      await assert.rejects(a.getDel('wt:h'), code(DataErrorCode.kvWrongType));
      await assert.rejects(a.smembers('wt:h'), code(DataErrorCode.kvWrongType));
      // A failed incrBy leaves the key exactly as it was (no TTL added either).
      await assert.rejects(a.incrBy('wt:h', 1, { ttlMs: 60_000 }), code(DataErrorCode.kvWrongType));
      assert.equal(await a.ttl('wt:h'), undefined);
      // set replaces whatever was there.
      await a.set('wt:h', 'now a string');
      assert.equal(await a.get('wt:h'), 'now a string');
    });

    test('keys(prefix): exact matches within this store, bounded by limit, glob characters literal', async () => {
      const want = Array.from({ length: 30 }, (_, i) => `scan:${String(i).padStart(2, '0')}`);
      await Promise.all(want.map((k) => a.set(k, '1')));
      await a.set('scanner', '1');
      await a.set('sc*n:1', '1');
      await a.hset('scan:hash', { f: 'v' });
      const found = await b.keys('scan:');
      assert.deepEqual(found.sort(), [...want, 'scan:hash'].sort());
      const limited = await b.keys('scan:', { limit: 10 });
      assert.equal(limited.length, 10);
      assert.ok(limited.every((k) => k.startsWith('scan:')));
      assert.deepEqual(await b.keys('sc*n:'), ['sc*n:1']);
      const other = await target.open(`other-${String(Date.now())}:`);
      try {
        assert.deepEqual(await other.keys('scan:'), []);
        assert.equal(await other.get('scan:01'), undefined);
      } finally {
        await other.close();
      }
      await assert.rejects(b.keys('scan:', { limit: 0 }), code(DataErrorCode.invalidArgument));
      await assert.rejects(b.keys('scan:', { limit: 1_000_000 }), code(DataErrorCode.invalidArgument));
    });

    test('pub/sub: delivered across stores, bytes and text, never during publish', async () => {
      const received: [string, string][] = [];
      const unsubscribe = await b.subscribe('room:1', (message, channel) => {
        received.push([channel, Buffer.from(message).toString()]);
      });
      const publishing = a.publish('room:1', 'hello');
      // Checked synchronously: no handler may run inside publish(). (On Redis the message may
      // legitimately arrive before publish's own reply, so we do not check after awaiting it.)
      assert.deepEqual(received, [], 'handler ran inside publish');
      await publishing;
      await a.publish('room:1', new Uint8Array([0x77, 0x6f, 0x72, 0x6c, 0x64]));
      await eventually(() => Promise.resolve(received.length === 2), 'two messages');
      assert.deepEqual(received, [
        ['room:1', 'hello'],
        ['room:1', 'world'],
      ]);
      await unsubscribe();
      await unsubscribe(); // idempotent
      const marker: string[] = [];
      const stopMarker = await b.subscribe('room:marker', (m) => marker.push(Buffer.from(m).toString()));
      await a.publish('room:1', 'after unsubscribe');
      await a.publish('room:marker', 'done');
      await eventually(() => Promise.resolve(marker.length === 1), 'marker');
      assert.equal(received.length, 2);
      await stopMarker();
    });

    test('pub/sub: channels are namespaced by the store prefix', async () => {
      const other = await target.open(`iso-${String(Date.now())}:`);
      try {
        const leaked: string[] = [];
        const mine: string[] = [];
        const stopOther = await other.subscribe('room:iso', (m) => leaked.push(Buffer.from(m).toString()));
        const stopMine = await b.subscribe('room:iso', (m) => mine.push(Buffer.from(m).toString()));
        await a.publish('room:iso', 'for this prefix only');
        await eventually(() => Promise.resolve(mine.length === 1), 'delivery within the prefix');
        // A marker through the other store proves its subscription works and nothing leaked before it.
        await other.publish('room:iso', 'marker');
        await eventually(() => Promise.resolve(leaked.length === 1), 'the marker');
        assert.deepEqual(leaked, ['marker']);
        assert.deepEqual(mine, ['for this prefix only']);
        await stopOther();
        await stopMine();
      } finally {
        await other.close();
      }
    });

    test('pub/sub: a throwing handler neither breaks delivery nor other subscribers', async () => {
      const good: string[] = [];
      let thrown = 0;
      const stopBad = await b.subscribe('room:2', () => {
        thrown += 1;
        throw new Error('handler bug');
      });
      const stopGood = await a.subscribe('room:2', (m) => good.push(Buffer.from(m).toString()));
      await a.publish('room:2', 'one');
      await b.publish('room:2', 'two');
      await eventually(() => Promise.resolve(good.length === 2 && thrown === 2), 'both messages');
      // Both arrive; their order is not promised across two publishers' connections (a Redis Cluster relays one
      // of them over its bus from another node).
      assert.deepEqual([...good].sort(), ['one', 'two']);
      await stopBad();
      await stopGood();
    });

    test('refuses bad input with typed errors', async () => {
      await assert.rejects(a.get(''), code(DataErrorCode.invalidArgument));
      await assert.rejects(a.set('v:big', 'x'.repeat(1_048_577)), code(DataErrorCode.kvTooLarge));
      await assert.rejects(a.set('k'.repeat(2_000), 'x'), code(DataErrorCode.kvTooLarge));
      await assert.rejects(a.set('v:ttl', 'x', { ttlMs: 0 }), code(DataErrorCode.invalidArgument));
      await assert.rejects(a.set('v:ttl', 'x', { ttlMs: 1.5 }), code(DataErrorCode.invalidArgument));
      await assert.rejects(a.expire('v:ttl', -1), code(DataErrorCode.invalidArgument));
      await assert.rejects(a.del(), code(DataErrorCode.invalidArgument));
      await assert.rejects(a.sadd('v:set'), code(DataErrorCode.invalidArgument));
      await assert.rejects(a.hset('v:h', {}), code(DataErrorCode.invalidArgument));
      await assert.rejects(a.publish('v:ch', new Uint8Array(1_048_577)), code(DataErrorCode.kvTooLarge));
    });

    test('close: idempotent, resolves closed, later calls fail with DATA_CLOSED, subscriptions end', async () => {
      const c = await target.open();
      await c.ping();
      const got: string[] = [];
      await c.subscribe('room:close', (m) => got.push(Buffer.from(m).toString()));
      const seen: string[] = [];
      const stop = await a.subscribe('room:close', (m) => seen.push(Buffer.from(m).toString()));
      const closing = c.close();
      assert.equal(c.close(), closing);
      await closing;
      await c.closed;
      await c[Symbol.asyncDispose]();
      await assert.rejects(c.get('x'), code(DataErrorCode.closed));
      await assert.rejects(c.publish('room:close', 'x'), code(DataErrorCode.closed));
      await assert.rejects(c.subscribe('room:close', () => undefined), code(DataErrorCode.closed));
      await assert.rejects(c.ping(), code(DataErrorCode.closed));
      await b.publish('room:close', 'after close');
      await eventually(() => Promise.resolve(seen.length === 1), 'the open subscriber to get it');
      assert.deepEqual(got, []);
      await stop();
      // The other stores on the same backend keep working.
      await a.set('after-close', '1');
      assert.equal(await b.get('after-close'), '1');
    });
  });
}
