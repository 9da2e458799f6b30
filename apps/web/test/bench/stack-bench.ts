// Full-stack part of the web benchmark: the dev stack (auth, global, meeting, media in one process) and the real UI
// in headless Chromium on loopback. Join to first remote frame (click on Join -> the first frame of a participant
// already publishing is drawn in their tile), 20 joins; glass-to-glass at 640x480 in the joined page.
import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { DarkTowerApi } from '@darktower/client';
import type { Page } from 'playwright-core';
import { launchChromium } from '../support/chromium.ts';
import { findDevStack, startDevStack } from '../support/dev-stack.ts';

export interface StackBenchResult {
  joinToFirstFrameMs: number[];
  glassToGlassMs: number[];
}

async function join(page: Page, url: string, name: string): Promise<void> {
  await page.goto(url);
  await page.getByTestId('display-name').fill(name);
}

export async function stackBench(joins: number): Promise<StackBenchResult | string> {
  const start = await findDevStack();
  if (typeof start === 'string') return start;
  execFileSync(
    process.execPath,
    [
      new URL('../../../../node_modules/vite/bin/vite.js', import.meta.url).pathname,
      'build',
      '--logLevel',
      'warn',
    ],
    {
      cwd: new URL('../../', import.meta.url).pathname,
      stdio: 'inherit',
    },
  );
  await using stack = await startDevStack(start);
  const api = new DarkTowerApi({ baseUrl: stack.url });
  const username = `bench${randomUUID().slice(0, 8)}`;
  await api.register({ username, password: 'correct horse battery staple', displayName: 'Bench' });
  const token = await api.signIn({ username, password: 'correct horse battery staple' });
  const meeting = await api.createMeeting({ displayName: 'bench' }, token);
  const url = `${stack.url}/m/${meeting.meetingCode}`;
  const browser = await launchChromium();
  try {
    const alice = await (await browser.newContext()).newPage();
    await join(alice, url, 'Alice');
    await alice.getByTestId('join').click();
    await alice.getByTestId('leave').waitFor({ timeout: 30_000 });
    const joinToFirstFrameMs: number[] = [];
    let glassToGlassMs: number[] = [];
    for (let i = 0; i < joins; i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await join(page, url, `Viewer${i}`);
      const t0 = Date.now();
      await page.getByTestId('join').click();
      await page.waitForFunction(
        () =>
          (document.querySelector<HTMLCanvasElement>(
            '[data-testid="tile"][data-participant-name="Alice"] canvas',
          )?.width ?? 0) > 0,
        null,
        { timeout: 90_000, polling: 10 },
      );
      joinToFirstFrameMs.push(Date.now() - t0);
      if (i === joins - 1) {
        await new Promise((r) => setTimeout(r, 8_000));
        glassToGlassMs = await page.evaluate(() => {
          const room = (
            window as unknown as {
              __room: { remote: { tiles: { video: { stats: { glassToGlassMs: number[] } } }[] } };
            }
          ).__room;
          return room.remote.tiles.flatMap((t) => t.video.stats.glassToGlassMs.slice(-150));
        });
      }
      await page.getByTestId('leave').click();
      await context.close();
    }
    return { joinToFirstFrameMs, glassToGlassMs };
  } finally {
    await browser.close();
  }
}
