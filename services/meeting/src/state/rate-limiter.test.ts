import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Millis } from '../ids.ts';
import { RateLimiter } from './rate-limiter.ts';

test('1,000 per minute: a burst of 1,000 passes, the next is refused, refill is continuous', () => {
  let t = 0;
  const limiter = new RateLimiter({ now: () => Millis(t) }, 1000, 60_000);
  let allowed = 0;
  for (let i = 0; i < 10_000; i++) if (limiter.take().allowed) allowed++;
  assert.equal(allowed, 1000);
  const refused = limiter.take();
  if (refused.allowed) assert.fail('the 1,001st message passed');
  assert.ok(refused.retryAfterMs > 0 && refused.retryAfterMs <= 60);
  t += 60; // 60 ms refill one token
  assert.equal(limiter.take().allowed, true);
  assert.equal(limiter.take().allowed, false);
  t += 600_000; // never more than the burst
  allowed = 0;
  for (let i = 0; i < 2000; i++) if (limiter.take().allowed) allowed++;
  assert.equal(allowed, 1000);
  assert.throws(() => new RateLimiter({ now: () => Millis(0) }, 0, 1));
});
