// End-to-end encryption in the real web app (issue 9), through the real stack (apps/cli startDevStack) in headless
// Chromium: two, then three participants of a new meeting (E2EE is the default) see the "end-to-end encrypted"
// badge, the same verification code, and each other's moving video, which reached them only as SFrame ciphertext
// (decrypted in the page's SFrame Worker); the code changes when someone joins. A meeting without E2EE says so. Screenshots: test-results/e2ee-ui/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { DarkTowerApi } from '@darktower/client';
import type { Browser, Page } from 'playwright-core';
import { hasChromium, launchChromium, resultsDir } from './support/chromium.ts';
import { findDevStack, startDevStack } from './support/dev-stack.ts';

const start = await findDevStack();
const skip = !hasChromium ? 'no Chromium' : typeof start === 'string' ? start : false;
const password = 'correct horse battery staple';

async function joinAs(browser: Browser, url: string, name: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1000, height: 760 } });
  const page = await context.newPage();
  await page.goto(url);
  await page.getByTestId('display-name').fill(name);
  await page.getByTestId('join').click();
  await page.getByTestId('leave').waitFor({ timeout: 60_000 });
  return page;
}

const remoteCanvas = (name: string): string =>
  `[data-testid="tile"][data-self="false"][data-kind="camera"][data-participant-name="${name}"] canvas`;

async function videoMoves(page: Page, name: string, shot: (n: number) => string): Promise<void> {
  await page.waitForFunction(
    (sel) => {
      const c = document.querySelector<HTMLCanvasElement>(sel);
      return c !== null && c.width > 0;
    },
    remoteCanvas(name),
    { timeout: 60_000 },
  );
  const canvas = page.locator(remoteCanvas(name));
  const a = await canvas.screenshot({ path: shot(1) });
  await new Promise((r) => setTimeout(r, 1_000));
  const b = await canvas.screenshot({ path: shot(2) });
  assert.notDeepEqual(a, b, `${name}'s video is moving`);
}

interface PageE2ee {
  mode: string;
  status: string | undefined;
  code: string | undefined;
  epoch: string | undefined;
  where: string;
  decrypted: number;
}

/** What the page's room model says about E2EE (the same object the badge renders). */
function e2eeOf(page: Page): Promise<PageE2ee> {
  return page.evaluate(() => {
    const room = (
      window as unknown as {
        __room?: {
          snapshot(): { e2ee: Omit<PageE2ee, 'decrypted'> };
          meeting: { e2ee: { stats?: { framesDecrypted: number } } };
        };
      }
    ).__room;
    if (room === undefined) throw new Error('no room');
    return { ...room.snapshot().e2ee, decrypted: room.meeting.e2ee.stats?.framesDecrypted ?? 0 };
  });
}

/** Waits until every page shows the same verification code of the same epoch and returns it. */
async function sameCode(...pages: Page[]): Promise<string> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const seen = await Promise.all(
      pages.map(async (p) => {
        const el = p.getByTestId('e2ee-code');
        return `${(await el.getAttribute('data-epoch', { timeout: 60_000 })) ?? ''}/${((await el.textContent()) ?? '').trim()}`;
      }),
    );
    const first = seen[0] ?? '';
    if (first !== '/' && seen.every((x) => x === first)) return first.split('/')[1] ?? '';
    if (Date.now() > deadline) throw new Error(`codes differ: ${seen.join(' | ')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test(
  'two, then three participants of an E2EE meeting see each other’s video and the same verification code',
  { skip, timeout: 400_000 },
  async () => {
    if (typeof start === 'string') return;
    const out = resultsDir('e2ee-ui');
    execFileSync(
      process.execPath,
      [
        new URL('../../../node_modules/vite/bin/vite.js', import.meta.url).pathname,
        'build',
        '--logLevel',
        'error',
      ],
      { cwd: new URL('../', import.meta.url).pathname, stdio: 'inherit' },
    );
    await using stack = await startDevStack(start);
    const api = new DarkTowerApi({ baseUrl: stack.url });
    const username = `host${randomUUID().slice(0, 8)}`;
    await api.register({ username, password, displayName: 'Host' });
    const token = await api.signIn({ username, password });
    const meeting = await api.createMeeting({ displayName: 'E2EE UI test', requireAuth: false }, token);
    const plain = (await (
      await fetch(`${stack.url}/api/v1/meetings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({
          display_name: 'Plain',
          settings: { require_auth: false, enable_e2e_encryption: false },
        }),
      })
    ).json()) as { meeting_code: string };
    const browser = await launchChromium();
    try {
      const url = `${stack.url}/m/${meeting.meetingCode}`;
      const alice = await joinAs(browser, url, 'Alice');
      const bob = await joinAs(browser, url, 'Bob');
      for (const page of [alice, bob]) {
        const badge = page.getByTestId('e2ee-badge');
        await page.locator('[data-testid="e2ee-badge"][data-status="active"]').waitFor({ timeout: 60_000 });
        assert.equal(await badge.getAttribute('data-mode'), 'e2ee');
        assert.match((await badge.textContent()) ?? '', /End-to-end encrypted/);
      }
      const code = await sameCode(alice, bob);
      assert.match(code, /^\d{5}( \d{5}){5}$/);
      await videoMoves(alice, 'Bob', (n) => `${out}01-alice-sees-bob-${n}.png`);
      await videoMoves(bob, 'Alice', (n) => `${out}02-bob-sees-alice-${n}.png`);
      // The code is still the same on both (no epoch passed in between, or both moved together).
      assert.equal(await sameCode(alice, bob), code);
      const [ea, eb] = await Promise.all([e2eeOf(alice), e2eeOf(bob)]);
      assert.equal(ea.where, 'worker', 'SFrame runs in a Worker');
      assert.equal(eb.where, 'worker');
      assert.ok(ea.decrypted > 0 && eb.decrypted > 0, `frames decrypted: ${ea.decrypted}, ${eb.decrypted}`);
      await alice.getByTestId('e2ee-badge').click();
      await alice.getByTestId('e2ee-details').waitFor();
      await alice.screenshot({ path: `${out}03-alice-e2ee-details.png` });
      await bob.screenshot({ path: `${out}04-bob.png` });

      // A third participant: a new epoch, one new code on all three, and Carol decrypts Alice's video.
      const carol = await joinAs(browser, url, 'Carol');
      const code3 = await sameCode(alice, bob, carol);
      assert.notEqual(code3, code, 'the code changes when someone joins');
      await videoMoves(carol, 'Alice', (n) => `${out}05-carol-sees-alice-${n}.png`);
      await carol.screenshot({ path: `${out}06-three-participants.png` });

      // A meeting created without E2EE shows it.
      const dave = await joinAs(browser, `${stack.url}/m/${plain.meeting_code}`, 'Dave');
      await dave.locator('[data-testid="e2ee-badge"][data-mode="none"]').waitFor({ timeout: 30_000 });
      assert.match((await dave.getByTestId('e2ee-badge').textContent()) ?? '', /Not end-to-end encrypted/);
      assert.equal(await dave.getByTestId('e2ee-code').count(), 0);
      await dave.screenshot({ path: `${out}07-dave-not-e2ee.png` });
    } finally {
      await browser.close();
    }
  },
);
