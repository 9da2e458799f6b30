import { test } from 'node:test';
import { getEventListeners } from 'node:events';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readSyntheticPayload, SyntheticSource, syntheticPayload } from './synthetic-frames.ts';

test('synthetic payloads round-trip and any changed byte is detected', () => {
  fc.assert(
    fc.property(fc.nat(1e6), fc.integer({ min: 21, max: 3000 }), fc.nat(), (index, size, flip) => {
      const p = syntheticPayload(index, size, 1234.5);
      assert.deepEqual(readSyntheticPayload(p), { index, capturedAtUs: 1234.5, size });
      const at = 20 + (flip % (size - 20));
      p[at] = (p[at] ?? 0) ^ 0x5a;
      assert.equal(readSyntheticPayload(p), undefined);
    }),
  );
});

test('random bytes are never taken for synthetic frames', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => readSyntheticPayload(bytes) === undefined),
  );
});

test('video source: key frame first, on request and every keyInterval', () => {
  const src = new SyntheticSource({ kind: 'video', keyInterval: 5, clock: () => 1 });
  const keys = Array.from({ length: 11 }, () => src.next().key);
  assert.deepEqual(keys, [true, false, false, false, false, true, false, false, false, false, true]);
  src.requestKeyframe();
  assert.equal(src.next().key, true);
});

test('a running source leaves no abort listener behind per frame', async () => {
  const src = new SyntheticSource({ kind: 'audio', fps: 1000 });
  const abort = new AbortController();
  let frames = 0;
  let mostListeners = 0;
  const run = src.run(async () => {
    frames++;
    mostListeners = Math.max(mostListeners, getEventListeners(abort.signal, 'abort').length);
    if (frames === 50) abort.abort();
    await Promise.resolve();
  }, abort.signal);
  await run;
  assert.equal(frames, 50);
  // At most the wait in progress holds one; a listener kept per frame would make it 49 by the last frame.
  assert.ok(mostListeners <= 1, `${String(mostListeners)} abort listeners while running`);
  assert.equal(getEventListeners(abort.signal, 'abort').length, 0);
});
