// Two headless Chromium pages publish their fake camera (VP8) and microphone (Opus) through the SDK to a real Media
// Handler process over WebTransport (and the WebSocket fallback), which forwards each to the other under a
// subscriber-chosen slot id. Each page decodes and renders what it receives: the remote video is moving (pixels
// differ a second apart), the remote audio level is non-zero. Screenshots go to test-results/media-handler/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { RouteAction, StreamType } from '@darktower/protocol';
import type { Page } from 'playwright-core';
import { buildPage } from './support/build-page.ts';
import { hasChromium, launchChromium, resultsDir } from './support/chromium.ts';
import { startMediaHandler } from './support/media-handler-process.ts';
import { serveStatic } from './support/static-server.ts';

interface Stats {
  protocol: string;
  videos: { framesDrawn: number; framesDecoded: number; glassToGlassMs: number[]; width: number }[];
  audios: { level: number; framesDecoded: number }[];
}

const stats = (page: Page): Promise<Stats> =>
  page.evaluate(() => (window as unknown as { __stats: () => Stats }).__stats());

async function waitFor(
  page: Page,
  what: string,
  ok: (s: Stats) => boolean,
  timeoutMs = 20_000,
): Promise<Stats> {
  const deadline = Date.now() + timeoutMs;
  let last: Stats | undefined;
  while (Date.now() < deadline) {
    last = await stats(page);
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last)}`);
}

test(
  'two Chromium pages exchange camera and microphone through a real Media Handler (WebTransport)',
  { skip: hasChromium ? false : 'no Chromium', timeout: 120_000 },
  async () => {
    const out = resultsDir('media-handler');
    await using handler = await startMediaHandler({ MH_AUDIO_AS_DATAGRAMS: '1' });
    const dir = await buildPage(new URL('./fixtures/media-page/', import.meta.url).pathname);
    await using site = await serveStatic(dir);
    const meetingId = randomUUID();
    const people = ['alice', 'bob'].map((name) => ({
      name,
      id: randomUUID(),
      camera: randomUUID(),
      microphone: randomUUID(),
      slots: { camera: randomUUID(), microphone: randomUUID() },
    }));
    const tokens: string[] = [];
    for (const p of people) {
      const r = await handler.client.registerParticipant({
        participant: {
          participantId: p.id,
          meetingId,
          streams: [
            { streamId: p.camera, streamType: StreamType.VIDEO_CAMERA, metadata: { codec: 'VP8' } },
            { streamId: p.microphone, streamType: StreamType.AUDIO, metadata: { codec: 'opus' } },
          ],
        },
        tokenTtlMs: 60_000,
      });
      tokens.push(r.connectionToken);
    }
    // Each one's camera and microphone to the other, under the receiver's slot ids (as a layout would).
    const [alice, bob] = people;
    assert.ok(alice !== undefined && bob !== undefined);
    await handler.client.routeMedia({
      meetingId,
      planVersion: 1n,
      commands: [
        [alice, bob],
        [bob, alice],
      ].flatMap(([from, to]) =>
        from === undefined || to === undefined
          ? []
          : (['camera', 'microphone'] as const).map((k) => ({
              sourceStreamId: from[k],
              sourceParticipantId: from.id,
              action: RouteAction.ADD,
              destinations: [
                {
                  target: {
                    case: 'local' as const,
                    value: { participantId: to.id, forwardedStreamId: to.slots[k] },
                  },
                },
              ],
            })),
      ),
    });

    const browser = await launchChromium();
    try {
      const pages: Page[] = [];
      for (const [i, p] of people.entries()) {
        const context = await browser.newContext({ viewport: { width: 800, height: 600 } });
        const page = await context.newPage();
        await page.goto(`${site.url}/`);
        const protocol = await page.evaluate(
          (cfg) => (window as unknown as { __start: (c: unknown) => Promise<string> }).__start(cfg),
          {
            url: handler.media,
            hash: handler.certificateHash,
            token: tokens[i] ?? '',
            camera: p.camera,
            microphone: p.microphone,
            transport: 'webtransport',
          },
        );
        assert.equal(protocol, 'webtransport');
        pages.push(page);
      }
      for (const [i, page] of pages.entries()) {
        const s = await waitFor(page, 'remote video frames', (x) => (x.videos[0]?.framesDrawn ?? 0) > 10);
        assert.equal(s.videos.length, 1, 'one remote video');
        assert.equal(s.videos[0]?.width, 640);
        const canvas = page.locator('[data-testid="remote-canvas"]');
        const first = await canvas.screenshot({ path: `${out}${people[i]?.name}-remote-1.png` });
        await new Promise((r) => setTimeout(r, 1_000));
        const second = await canvas.screenshot({ path: `${out}${people[i]?.name}-remote-2.png` });
        assert.notDeepEqual(first, second, 'remote video is moving');
        const audio = await waitFor(page, 'remote audio level', (x) => (x.audios[0]?.level ?? 0) > 0);
        assert.ok((audio.audios[0]?.framesDecoded ?? 0) > 10);
      }
      const [, receiver] = pages;
      assert.ok(receiver !== undefined);
      const g2g = (await stats(receiver)).videos[0]?.glassToGlassMs ?? [];
      await writeFile(`${out}glass-to-glass.json`, JSON.stringify({ samples: g2g.length, g2g }, null, 1));
      for (const page of pages)
        await page.evaluate(() => (window as unknown as { __stop: () => Promise<void> }).__stop());
    } finally {
      await browser.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
