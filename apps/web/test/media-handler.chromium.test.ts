// Two headless Chromium pages publish their fake camera (VP8) and microphone (Opus) through the SDK to a real Media
// Handler process over WebTransport, which forwards each to the other under a subscriber-chosen slot id (audio as
// datagrams). Each page decodes and renders what it receives: the remote video is moving (pixels differ a second
// apart; a stall of a few seconds is allowed, a frozen picture is not) and the remote audio level is non-zero.
// Screenshots go to test-results/media-handler/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hasChromium, resultsDir } from './support/chromium.ts';
import { MediaRig } from './support/media-rig.ts';

test(
  'two Chromium pages exchange camera and microphone through a real Media Handler (WebTransport)',
  { skip: hasChromium ? false : 'no Chromium', timeout: 120_000 },
  async () => {
    const out = resultsDir('media-handler');
    await using rig = await MediaRig.start({ MH_AUDIO_AS_DATAGRAMS: '1' });
    const alice = await rig.register('alice');
    const bob = await rig.register('bob');
    await rig.route(alice, bob);
    await rig.route(bob, alice);
    for (const p of [alice, bob]) assert.equal(await rig.startIn(await rig.newPage(), p), 'webtransport');
    for (const p of [alice, bob]) {
      const page = p.page;
      assert.ok(page !== undefined);
      const s = await MediaRig.waitFor(
        page,
        'remote video frames',
        (x) => (x.videos[0]?.framesDrawn ?? 0) > 10,
      );
      assert.equal(s.videos.length, 1, 'one remote video');
      assert.equal(s.videos[0]?.width, 640);
      await MediaRig.assertVideoMoves(page, (n) => `${out}${p.name}-sees-remote-${String(n)}.png`);
      const audio = await MediaRig.waitFor(page, 'remote audio level', (x) => (x.audios[0]?.level ?? 0) > 0);
      assert.ok((audio.audios[0]?.framesDecoded ?? 0) > 10);
    }
    for (const p of [alice, bob]) if (p.page) await MediaRig.stop(p.page);
  },
);

test(
  'a page on the WebSocket fallback and a page on WebTransport see and hear each other',
  { skip: hasChromium ? false : 'no Chromium', timeout: 120_000 },
  async () => {
    await using rig = await MediaRig.start();
    const alice = await rig.register('alice');
    const bob = await rig.register('bob');
    await rig.route(alice, bob);
    await rig.route(bob, alice);
    const pageA = await rig.newPage();
    const pageB = await rig.newPage();
    assert.equal(await rig.startIn(pageA, alice, 'webtransport'), 'webtransport');
    assert.equal(await rig.startIn(pageB, bob, 'websocket'), 'websocket');
    for (const page of [pageA, pageB]) {
      await MediaRig.waitFor(page, 'remote video', (x) => (x.videos[0]?.framesDrawn ?? 0) > 5);
      await MediaRig.waitFor(page, 'remote audio level', (x) => (x.audios[0]?.level ?? 0) > 0);
    }
  },
);

test(
  'a still screen share answers a key frame request (a subscriber who comes late sees the picture)',
  { skip: hasChromium ? false : 'no Chromium', timeout: 120_000 },
  async () => {
    await using rig = await MediaRig.start();
    const page = await rig.newPage();
    const r = await page.evaluate(() =>
      (
        window as unknown as {
          __stillScreenKeyframes: () => Promise<{ keysBefore: number; keysAfter: number; framesIn: number }>;
        }
      ).__stillScreenKeyframes(),
    );
    assert.equal(r.framesIn, 1, 'the still screen gave one frame');
    assert.equal(r.keysBefore, 1, 'encoded as the first key frame');
    assert.equal(r.keysAfter, 2, 'the request got a key frame without a new frame from the screen');
  },
);
