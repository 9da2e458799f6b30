import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from 'redis';
import { testRedisUrl, uniquePrefix } from '@darktower/data/testing';
import { LoginGuard, type LoginGuardOptions } from './login-guard.ts';
import { IpLimiter } from './ip-limiter.ts';

const limits = {
  accountFailures: 3,
  accountWindowSec: 60,
  accountLockoutSec: 120,
  ipAttempts: 5,
  ipWindowSec: 60,
  ipBlockSec: 300,
} satisfies LoginGuardOptions;

/** One contract, two stores: memory and a real Redis. */
function contract(name: string, store: () => unknown): void {
  describe(`login throttling (${name})`, () => {
    test('per-IP budget counts every attempt, then blocks', async () => {
      const guard = new LoginGuard({ ...limits, redis: store(), keyPrefix: uniquePrefix('auth') });
      for (let i = 0; i < 5; i++)
        assert.deepEqual(await guard.admit('10.0.0.1', `user${i}`), { allowed: true });
      const refused = await guard.admit('10.0.0.1', 'someone');
      assert.ok(!refused.allowed);
      assert.ok(refused.retryAfterSec > 0);
      assert.deepEqual(
        await guard.admit('10.0.0.2', 'someone'),
        { allowed: true },
        'other addresses are unaffected',
      );
    });

    test('per-account failures lock the name from any address; success clears it', async () => {
      const guard = new LoginGuard({ ...limits, redis: store(), keyPrefix: uniquePrefix('auth') });
      await guard.failed('alice');
      await guard.failed('alice');
      assert.deepEqual(await guard.admit('10.1.0.1', 'alice'), { allowed: true });
      await guard.succeeded('alice');
      for (let i = 0; i < 3; i++) await guard.failed('alice');
      const locked = await guard.admit('10.1.0.9', 'alice');
      assert.ok(!locked.allowed);
      assert.ok(locked.retryAfterSec > 60, 'lockout lasts accountLockoutSec');
      assert.deepEqual(await guard.admit('10.1.0.9', 'bob'), { allowed: true });
    });

    test('IpLimiter budget', async () => {
      const limiter = new IpLimiter({
        name: 'token-ip',
        points: 2,
        durationSec: 60,
        redis: store(),
        keyPrefix: uniquePrefix('auth'),
      });
      assert.equal((await limiter.take('a')).allowed, true);
      assert.equal((await limiter.take('a')).allowed, true);
      assert.equal((await limiter.take('a')).allowed, false);
      assert.equal((await limiter.take('b')).allowed, true);
      assert.equal((await limiter.take('2001:db8:1:2::1')).allowed, true);
      assert.equal((await limiter.take('2001:db8:1:2::2')).allowed, true);
      assert.equal((await limiter.take('2001:db8:1:2:ffff::3')).allowed, false, 'one /64 shares a budget');
      assert.equal((await limiter.take('2001:db8:1:3::1')).allowed, true);
    });
  });
}

contract('memory', () => undefined);

const redis = createClient({ url: testRedisUrl() });
before(async () => {
  await redis.connect();
});
after(async () => {
  await redis.close();
});
contract('Redis', () => redis);
