import { test } from 'node:test';
import assert from 'node:assert/strict';
import { asStreamId } from '../ids.ts';
import { ManualClock } from '../testing/manual-clock.ts';
import { KeyframeLimiter } from './keyframe-limiter.ts';

const S = asStreamId('00000000-0000-4000-8000-000000000001');

test('at most one key frame request per interval per stream, with one trailing request', async () => {
  const clock = new ManualClock();
  const sent: string[] = [];
  const limiter = new KeyframeLimiter({ clock, minIntervalMs: 20, send: (s) => sent.push(s) });
  for (let i = 0; i < 100; i++) limiter.request(S);
  assert.equal(sent.length, 1);
  assert.equal(limiter.suppressed, 99);
  clock.advance(20);
  await new Promise((resolve) => setTimeout(resolve, 40));
  assert.equal(sent.length, 2); // the trailing one
  limiter.close();
});
