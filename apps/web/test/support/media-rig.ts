// A real Media Handler process, the media fixture page served on loopback, and headless Chromium: participants are
// registered and routed through the handler's MediaHandlerService (what a Meeting Controller does), then started
// in their own browser context. Shared by the Chromium media test and the media benchmark.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { RouteAction, StreamType } from '@darktower/protocol';
import type { Browser, Page } from 'playwright-core';
import { buildPage } from './build-page.ts';
import { closeBrowser, launchChromium } from './chromium.ts';
import { startMediaHandler, type MediaHandlerProcess } from './media-handler-process.ts';
import { serveStatic, type StaticServer } from './static-server.ts';

export interface PageStats {
  protocol: string;
  videos: {
    framesDrawn: number;
    framesDecoded: number;
    glassToGlassMs: number[];
    transitMs: number[];
    firstFrameMs: number | undefined;
    width: number;
  }[];
  audios: { level: number; framesDecoded: number }[];
  sent: Record<string, number>[];
}

export interface RigParticipant {
  readonly name: string;
  readonly id: string;
  readonly camera: string;
  readonly microphone: string;
  readonly slots: { readonly camera: string; readonly microphone: string };
  token: string;
  page?: Page;
}

export class MediaRig implements AsyncDisposable {
  readonly meetingId = randomUUID();
  readonly handler: MediaHandlerProcess;
  readonly site: StaticServer;
  readonly browser: Browser;
  readonly #dir: string;
  #planVersion = 0n;

  private constructor(handler: MediaHandlerProcess, site: StaticServer, browser: Browser, dir: string) {
    this.handler = handler;
    this.site = site;
    this.browser = browser;
    this.#dir = dir;
  }

  static async start(env: Record<string, string> = {}): Promise<MediaRig> {
    const handler = await startMediaHandler(env);
    const dir = await buildPage(new URL('../fixtures/media-page/', import.meta.url).pathname);
    const site = await serveStatic(dir);
    const browser = await launchChromium();
    return new MediaRig(handler, site, browser, dir);
  }

  /** Registers a participant with a camera and a microphone stream; returns it with its connection token. */
  async register(name: string): Promise<RigParticipant> {
    const p: RigParticipant = {
      name,
      id: randomUUID(),
      camera: randomUUID(),
      microphone: randomUUID(),
      slots: { camera: randomUUID(), microphone: randomUUID() },
      token: '',
    };
    const r = await this.handler.client.registerParticipant({
      participant: {
        participantId: p.id,
        meetingId: this.meetingId,
        streams: [
          { streamId: p.camera, streamType: StreamType.VIDEO_CAMERA, metadata: { codec: 'VP8' } },
          { streamId: p.microphone, streamType: StreamType.AUDIO, metadata: { codec: 'opus' } },
        ],
      },
      tokenTtlMs: 60_000,
    });
    p.token = r.connectionToken;
    return p;
  }

  /** Routes `from`'s camera and microphone to `to`, under `to`'s slot ids (as a layout subscription does). */
  async route(from: RigParticipant, to: RigParticipant, action: 'add' | 'remove' = 'add'): Promise<void> {
    this.#planVersion++;
    await this.handler.client.routeMedia({
      meetingId: this.meetingId,
      planVersion: this.#planVersion,
      commands: (['camera', 'microphone'] as const).map((k) => ({
        sourceStreamId: from[k],
        sourceParticipantId: from.id,
        action: action === 'add' ? RouteAction.ADD : RouteAction.REMOVE,
        destinations: [
          {
            target: {
              case: 'local' as const,
              value: { participantId: to.id, forwardedStreamId: to.slots[k] },
            },
          },
        ],
      })),
    });
  }

  async newPage(): Promise<Page> {
    const context = await this.browser.newContext({ viewport: { width: 800, height: 600 } });
    const page = await context.newPage();
    await page.goto(`${this.site.url}/`);
    return page;
  }

  /** Starts the participant's media in `page`; resolves with the transport the page ended up on. */
  async startIn(
    page: Page,
    p: RigParticipant,
    transport: 'webtransport' | 'websocket' = 'webtransport',
  ): Promise<string> {
    p.page = page;
    return page.evaluate(
      (cfg) => (window as unknown as { __start: (c: unknown) => Promise<string> }).__start(cfg),
      {
        url: this.handler.media,
        hash: this.handler.certificateHash,
        token: p.token,
        camera: p.camera,
        microphone: p.microphone,
        transport,
        webSocketUrl: `${this.handler.rpc.replace(/^http/, 'ws').replace(/\/+$/, '')}/media`,
      },
    );
  }

  static stats(page: Page): Promise<PageStats> {
    return page.evaluate(() => (window as unknown as { __stats: () => PageStats }).__stats());
  }

  static stop(page: Page): Promise<void> {
    return page.evaluate(() => (window as unknown as { __stop: () => Promise<void> }).__stop());
  }

  static async waitFor(
    page: Page,
    what: string,
    ok: (s: PageStats) => boolean,
    timeoutMs = 20_000,
  ): Promise<PageStats> {
    const deadline = Date.now() + timeoutMs;
    let last: PageStats | undefined;
    while (Date.now() < deadline) {
      last = await MediaRig.stats(page);
      if (ok(last)) return last;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last)}`);
  }

  /**
   * The page's remote video is moving: screenshots of its canvas a second apart differ (the fake camera draws a
   * moving pattern and a frame counter). A stall of a few seconds (a loaded machine, a dropped frame waiting for the
   * key frame it asked for) is allowed; a picture still frozen after 5 s fails, with the page's video counters.
   */
  static async assertVideoMoves(page: Page, shotPath: (n: number) => string): Promise<void> {
    const canvas = page.locator('[data-testid="remote-canvas"]');
    const counters = async (): Promise<string> =>
      JSON.stringify(
        (await MediaRig.stats(page)).videos.map((v) => ({
          ...v,
          glassToGlassMs: v.glassToGlassMs.length,
          transitMs: v.transitMs.length,
        })),
      );
    const before = await counters();
    let a = await canvas.screenshot({ path: shotPath(1) });
    for (let n = 2; ; n++) {
      await new Promise((r) => setTimeout(r, 1_000));
      const b = await canvas.screenshot({ path: shotPath(n) });
      if (!a.equals(b)) return;
      if (n > 5)
        assert.fail(`remote video is moving: frozen for 5 s; before ${before}, after ${await counters()}`);
      a = b;
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    // Each step runs even when one before it fails or hangs: a handler left running keeps the test file alive.
    try {
      await closeBrowser(this.browser);
    } finally {
      try {
        await this.site[Symbol.asyncDispose]();
      } finally {
        await this.handler[Symbol.asyncDispose]();
        rmSync(this.#dir, { recursive: true, force: true });
      }
    }
  }
}
