// Shared harness of the full-stack UI tests: one dev stack (apps/cli startDevStack, the app built into a temporary
// directory of its own so test files running side by side never rebuild each other's dist), one headless Chromium,
// and the checks a person would make looking at the screen. Screenshots of each step: test-results/<scenario>/.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DarkTowerApi, isClientError } from '@darktower/client';
import type { Browser, Locator, Page } from 'playwright-core';
import { closeBrowser, hasChromium, launchChromium, resultsDir } from './chromium.ts';
import { findDevStack, startDevStack, type DevStack } from './dev-stack.ts';

const start = await findDevStack();

/** Why these tests cannot run here, or false. */
export const skipReason: string | false = !hasChromium
  ? 'no Chromium'
  : typeof start === 'string'
    ? start
    : false;

/** Generous: two cores shared with other test runs and three Chromium renderers encoding and decoding video. */
export const WAIT_MS = 45_000;

/** For before/after: building the app, starting the stack and joining take minutes on a loaded machine. */
export const hookOptions = { timeout: 300_000 };

export interface JoinOptions {
  readonly transport?: 'websocket' | 'webtransport';
  /** Sign in through the UI first (the meeting's creator is its host). */
  readonly signIn?: { readonly username: string; readonly password: string };
  /** Runs in the page before the app (e.g. to observe which audio APIs it uses). */
  readonly initScript?: () => void;
}

export class MeetingUi implements AsyncDisposable {
  readonly url: string;
  readonly api: DarkTowerApi;
  readonly browser: Browser;
  readonly host: { readonly username: string; readonly password: string };
  readonly #out: string;
  readonly #stack: DevStack;
  readonly #webDir: string;
  #step = 0;

  private constructor(
    stack: DevStack,
    webDir: string,
    browser: Browser,
    scenario: string,
    host: MeetingUi['host'],
  ) {
    this.#stack = stack;
    this.#webDir = webDir;
    this.url = stack.url;
    this.api = new DarkTowerApi({ baseUrl: stack.url });
    this.browser = browser;
    this.host = host;
    this.#out = resultsDir(scenario);
  }

  /** Builds the app, starts the stack and Chromium (extra flags e.g. for more fake devices), registers a host. */
  static async start(scenario: string, chromiumFlags: readonly string[] = []): Promise<MeetingUi> {
    if (typeof start === 'string') throw new Error(start);
    const webDir = mkdtempSync(join(tmpdir(), 'dt-web-dist-'));
    execFileSync(
      process.execPath,
      [
        new URL('../../../../node_modules/vite/bin/vite.js', import.meta.url).pathname,
        'build',
        '--logLevel',
        'error',
        '--outDir',
        webDir,
        '--emptyOutDir',
      ],
      { cwd: new URL('../../', import.meta.url).pathname, stdio: 'inherit' },
    );
    const stack = await startDevStack(start, { webDir, logLevel: 'warn' });
    try {
      const api = new DarkTowerApi({ baseUrl: stack.url });
      const host = { username: `host${randomUUID().slice(0, 8)}`, password: 'correct horse battery staple' };
      await api.register({ ...host, displayName: 'Host' });
      const browser = await launchChromium(chromiumFlags);
      return new MeetingUi(stack, webDir, browser, scenario, host);
    } catch (error) {
      await stack[Symbol.asyncDispose]();
      throw error;
    }
  }

  /** A new meeting created by the host (guests may join); its link. */
  async newMeeting(): Promise<string> {
    const token = await this.api.signIn(this.host);
    // 503 (no meeting controller available) is an answer to try again: on a loaded machine the whole all-in-one
    // process can stall for seconds, and the Global Controller then drops its Meeting Controller until the next
    // heartbeat. A client retries, as the answer's Retry-After says; for 30 s at most here.
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const meeting = await this.api.createMeeting({ displayName: 'UI test', requireAuth: false }, token);
        return `${this.url}/m/${meeting.meetingCode}`;
      } catch (error) {
        if (!isClientError(error) || error.details.status !== '503' || Date.now() > deadline) throw error;
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
  }

  /** A participant in a browser context of its own joins through the pre-join page. */
  async join(link: string, name: string, options: JoinOptions = {}): Promise<Page> {
    const context = await this.browser.newContext({ viewport: { width: 1000, height: 760 } });
    // tsx compiles this file keeping function names: the functions handed to page.evaluate then call esbuild's
    // `__name` helper, which the page does not have.
    await context.addInitScript({ content: 'globalThis.__name ??= (f) => f;' });
    if (options.initScript !== undefined) await context.addInitScript(options.initScript);
    const page = await context.newPage();
    if (options.signIn !== undefined) {
      await page.goto(`${this.url}/signin`);
      await page.getByTestId('username').fill(options.signIn.username);
      await page.getByTestId('password').fill(options.signIn.password);
      await page.getByTestId('signin-submit').click();
      await page.waitForURL(`${this.url}/`, { timeout: WAIT_MS });
    }
    await page.goto(options.transport === undefined ? link : `${link}?transport=${options.transport}`);
    await page.getByTestId('display-name').fill(name);
    await page.getByTestId('join').click();
    try {
      await page.getByTestId('leave').waitFor({ timeout: WAIT_MS });
    } catch (error) {
      const alerts = await page.getByRole('alert').allTextContents();
      throw new Error(
        `${name} did not get into the meeting (${alerts.join('; ') || 'no message on the page'})`,
        {
          cause: error,
        },
      );
    }
    return page;
  }

  /** Saves a screenshot of the page (or one element) as the next numbered step. */
  async shot(target: Page | Locator, what: string): Promise<Buffer> {
    this.#step++;
    return target.screenshot({ path: `${this.#out}${String(this.#step).padStart(2, '0')}-${what}.png` });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      await closeBrowser(this.browser);
    } finally {
      await this.#stack[Symbol.asyncDispose]();
      rmSync(this.#webDir, { recursive: true, force: true });
    }
  }
}

/** Someone else's tile as `page` shows it. */
export function tile(page: Page, name: string, kind: 'camera' | 'screen' = 'camera'): Locator {
  return page.locator(
    `[data-testid="tile"][data-self="false"][data-kind="${kind}"][data-participant-name="${name}"]`,
  );
}

/**
 * `name`'s video in `tile` is moving: a decoded picture is drawn (not the blank canvas), and two screenshots of it a
 * second apart differ (the fake camera draws a moving pattern and a frame counter).
 */
export async function assertVideoMoves(
  ui: MeetingUi,
  page: Page,
  where: Locator,
  what: string,
): Promise<void> {
  try {
    await videoMoves(ui, page, where, what);
  } catch (error) {
    throw new Error(
      `${what}: ${error instanceof Error ? error.message : String(error)}\n${await roomState(page)}`,
      {
        cause: error,
      },
    );
  }
}

async function videoMoves(ui: MeetingUi, page: Page, where: Locator, what: string): Promise<void> {
  const canvas = where.locator('canvas');
  await canvas.waitFor({ timeout: WAIT_MS });
  await canvas.evaluate(
    (c: HTMLCanvasElement, timeout) =>
      new Promise<void>((resolve, reject) => {
        const until = Date.now() + timeout;
        const check = (): void => {
          // A drawn frame: the canvas holds something other than one flat colour (a fresh canvas is all zero).
          const ctx = c.getContext('2d');
          if (ctx !== null && c.width > 0 && c.height > 0) {
            const d = ctx.getImageData(0, 0, c.width, c.height).data;
            for (let i = 4; i < d.length; i += 4 * 97)
              if (d[i] !== d[0] || d[i + 1] !== d[1] || d[i + 2] !== d[2]) {
                resolve();
                return;
              }
          }
          if (Date.now() > until) reject(new Error('no decoded picture drawn'));
          else setTimeout(check, 100);
        };
        check();
      }),
    WAIT_MS,
  );
  // Two screenshots a second apart differ. Right after a layout change a tile may switch simulcast layer (its size
  // changed), which waits for a key frame of the new layer: a freeze of up to a few seconds is allowed for that,
  // a picture that stays frozen is not.
  let a = await ui.shot(canvas, `${what}-a`);
  for (let attempt = 1; ; attempt++) {
    await page.waitForTimeout(1_000);
    const b = await ui.shot(canvas, `${what}-b`);
    if (!a.equals(b)) return;
    if (attempt >= 5) assert.notDeepEqual(a, b, `${what}: the video is moving (still frozen after 5 s)`);
    a = b;
  }
}

/** What the page's meeting looks like (through the app's `__room` hook), for failure messages. */
export function roomState(page: Page): Promise<string> {
  return page
    .evaluate(() => {
      interface Tile {
        forwardedStreamId: string;
        participantId: string;
        kind: string;
        video: { canvas: HTMLCanvasElement; stats: { framesDecoded: number; framesDrawn: number } };
      }
      const room = (
        window as unknown as {
          __room?: {
            meeting: {
              state: unknown;
              participants: {
                participantId: string;
                name: string;
                streams: { kind: string; streamId: string }[];
              }[];
              layoutSlots: unknown[];
            };
            local: { publications: { streamId: string; kind: string }[] };
            remote: { tiles: Tile[] };
          };
        }
      ).__room;
      if (room === undefined) return 'no room';
      return JSON.stringify({
        state: room.meeting.state,
        published: room.local.publications.map((p) => `${p.kind}:${p.streamId}`),
        participants: room.meeting.participants.map((p) => ({
          name: p.name,
          id: p.participantId,
          streams: p.streams.map((s) => `${s.kind}:${s.streamId}`),
        })),
        slots: room.meeting.layoutSlots,
        tiles: room.remote.tiles.map((t) => ({
          slot: t.forwardedStreamId,
          participant: t.participantId,
          kind: t.kind,
          decoded: t.video.stats.framesDecoded,
          drawn: t.video.stats.framesDrawn,
          inDom: t.video.canvas.isConnected,
        })),
      });
    })
    .catch((error: unknown) => `no state: ${String(error)}`);
}

/** A decoded picture was drawn into the tile: the SDK sizes its canvas to each decoded frame (a fresh one is 300x150). */
export async function assertPictureDrawn(where: Locator): Promise<void> {
  const canvas = where.locator('canvas');
  await canvas.waitFor({ timeout: WAIT_MS });
  await canvas.evaluate(
    (c: HTMLCanvasElement, timeout) =>
      new Promise<void>((resolve, reject) => {
        const until = Date.now() + timeout;
        const check = (): void => {
          if (c.width !== 300 || c.height !== 150) resolve();
          else if (Date.now() > until) reject(new Error('no decoded picture drawn'));
          else setTimeout(check, 100);
        };
        check();
      }),
    WAIT_MS,
  );
}

/** `page` hears `name`: the tile's audio level (decoded remote audio) rises above silence. */
export async function assertAudioHeard(page: Page, name: string): Promise<void> {
  const level = await page.waitForFunction(
    (n) => {
      const v = Number(
        document
          .querySelector(`[data-testid="tile"][data-self="false"][data-participant-name="${n}"]`)
          ?.getAttribute('data-audio-level') ?? 0,
      );
      return v > 0 ? v : false;
    },
    name,
    { timeout: WAIT_MS },
  );
  assert.ok(Number(await level.jsonValue()) > 0, `${name} is heard`);
}
