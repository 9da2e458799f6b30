// Full-stack part of the web benchmark: the dev stack (auth, global, meeting, media in one process) and the real UI
// in headless Chromium on loopback. Join to first remote frame: from the click on Join (a capture-phase listener in
// the page takes performance.now()) to the first decoded frame of a participant already publishing drawn into their
// tile (the SDK's RemoteVideo stats, same clock), 20 joins, each in a fresh browser context; with the join's
// timing marks (Meeting.joinMarks and the tile's first received / decoded / drawn) for the breakdown. Then
// glass-to-glass and audio/video sync at 640x480 in the last joined page.
import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { DarkTowerApi } from '@darktower/client';
import type { Page } from 'playwright-core';
import { launchChromium } from '../support/chromium.ts';
import { findDevStack, startDevStack } from '../support/dev-stack.ts';

/**
 * One join: ms after the click on Join for each mark (Meeting.joinMarks, the app's `app:*` marks, the tile's
 * `video:*` firsts, `publisher:first_key_request`: when the publisher's page was first asked for a key frame, and
 * `publisher:new_epoch`: when its MLS group first moved to a new epoch, i.e. it added the joiner).
 */
export type JoinBreakdown = Record<string, number>;

export interface StackBenchResult {
  joinToFirstFrameMs: number[];
  breakdowns: JoinBreakdown[];
  glassToGlassMs: number[];
  /** Video render latency minus audio playout latency for frames captured at the same instant (±10 ms), ms. */
  avOffsetMs: number[];
  /** Capture-to-arrival of video and audio, and capture-to-playout of audio, in the same page (ms). */
  videoTransitMs: number[];
  audioTransitMs: number[];
  audioPlayoutMs: number[];
}

async function open(page: Page, url: string, name: string): Promise<void> {
  await page.goto(url);
  await page.getByTestId('display-name').fill(name);
}

/** Page-side: when Join was clicked (capture phase, before the app's handler). */
function recordJoinClick(): void {
  document.addEventListener(
    'click',
    (e) => {
      if (e.target instanceof Element && e.target.closest('[data-testid="join"]') !== null)
        (window as unknown as { __joinClickAt?: number }).__joinClickAt ??= performance.now();
      if (e.target instanceof Element && e.target.closest('[data-testid="join"]') !== null)
        (window as unknown as { __joinClickWall?: number }).__joinClickWall ??= Date.now();
    },
    true,
  );
}

interface PageRoom {
  meeting: {
    participants: { participantId: string; name: string }[];
    joinMarks: readonly { name: string; at: number }[];
  };
  remote: {
    tiles: {
      participantId: string;
      kind: string;
      video: {
        stats: {
          firstReceivedAt?: number;
          firstTransitMs?: number;
          firstDecodeAt?: number;
          firstFrameAt?: number;
          glassToGlassMs: number[];
          transitMs: number[];
          renderedAt: { captureMs: number; latencyMs: number }[];
        };
      };
    }[];
    audioFor(participantId: string): {
      stats: { playedAt: { captureMs: number; latencyMs: number }[]; transitMs: number[] };
    }[];
  };
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
  await using stack = await startDevStack(start, { logLevel: 'warn' });
  const api = new DarkTowerApi({ baseUrl: stack.url });
  const username = `bench${randomUUID().slice(0, 8)}`;
  await api.register({ username, password: 'correct horse battery staple', displayName: 'Bench' });
  const token = await api.signIn({ username, password: 'correct horse battery staple' });
  const meeting = await api.createMeeting({ displayName: 'bench', requireAuth: false }, token);
  const url = `${stack.url}/m/${meeting.meetingCode}`;
  const browser = await launchChromium();
  const newPage = async (): Promise<Page> => {
    const context = await browser.newContext({ viewport: { width: 1000, height: 760 } });
    // tsx keeps function names: functions handed to the page call esbuild's `__name` helper.
    await context.addInitScript({ content: 'globalThis.__name ??= (f) => f;' });
    await context.addInitScript(recordJoinClick);
    return context.newPage();
  };
  try {
    const alice = await newPage();
    await open(alice, url, 'Alice');
    await alice.getByTestId('join').click();
    await alice.getByTestId('leave').waitFor({ timeout: 60_000 });
    // The publisher's side of each join: when its camera layers were asked for a key frame (wall clock).
    await alice.evaluate(() => {
      const w = window as unknown as {
        __room: {
          local: {
            publications: { streamId: string; events: { on: (e: string, f: () => void) => void } }[];
          };
        };
        __keyRequests: number[];
        __epochs: number[];
      };
      w.__keyRequests = [];
      w.__epochs = [];
      (
        w.__room as unknown as {
          meeting: { e2ee: { events: { on: (e: string, f: (s: { state: string }) => void) => void } } };
        }
      ).meeting.e2ee.events.on('stateChanged', (s) => {
        if (s.state === 'active') w.__epochs.push(Date.now());
      });
      for (const p of w.__room.local.publications)
        p.events.on('keyframeRequested', () => w.__keyRequests.push(Date.now()));
    });
    const joinToFirstFrameMs: number[] = [];
    const breakdowns: JoinBreakdown[] = [];
    let glassToGlassMs: number[] = [];
    let avOffsetMs: number[] = [];
    let videoTransitMs: number[] = [];
    let audioTransitMs: number[] = [];
    let audioPlayoutMs: number[] = [];
    for (let i = 0; i < joins; i++) {
      const page = await newPage();
      await open(page, url, `Viewer${i}`);
      // The pre-join page has opened the camera (Join waits for it otherwise) and fetched what it prefetches.
      await page.waitForTimeout(500);
      await page.getByTestId('join').click();
      const handle = await page.waitForFunction(
        () => {
          const w = window as unknown as { __room?: PageRoom; __joinClickAt?: number };
          const room = w.__room;
          const clickAt = w.__joinClickAt;
          if (room === undefined || clickAt === undefined) return false;
          const alice = room.meeting.participants.find((p) => p.name === 'Alice');
          const tile = room.remote.tiles.find(
            (t) => t.participantId === alice?.participantId && t.kind === 'camera',
          );
          const s = tile?.video.stats;
          if (s?.firstFrameAt === undefined) return false;
          const out: Record<string, number> = {};
          const rel = (at: number | undefined): number => Math.round((at ?? Number.NaN) - clickAt);
          for (const m of room.meeting.joinMarks) out[m.name] = rel(m.at);
          out['video:first_captured'] = rel(
            (s.firstReceivedAt ?? Number.NaN) - (s.firstTransitMs ?? Number.NaN),
          );
          out['video:first_received'] = rel(s.firstReceivedAt);
          out['video:first_decode'] = rel(s.firstDecodeAt);
          out['video:first_drawn'] = rel(s.firstFrameAt);
          return out;
        },
        null,
        { timeout: 90_000, polling: 50 },
      );
      const breakdown = (await handle.jsonValue()) as JoinBreakdown;
      const clickWall = await page.evaluate(
        () => (window as unknown as { __joinClickWall?: number }).__joinClickWall ?? 0,
      );
      const requests = await alice.evaluate(
        () => (window as unknown as { __keyRequests: number[] }).__keyRequests,
      );
      const after = requests.filter((t) => t >= clickWall);
      if (after[0] !== undefined) breakdown['publisher:first_key_request'] = after[0] - clickWall;
      const epochs = await alice.evaluate(() => (window as unknown as { __epochs: number[] }).__epochs);
      const epoch = epochs.find((t) => t >= clickWall);
      if (epoch !== undefined) breakdown['publisher:new_epoch'] = epoch - clickWall;
      breakdowns.push(breakdown);
      joinToFirstFrameMs.push(breakdown['video:first_drawn'] ?? Number.NaN);
      if (i === joins - 1) {
        await page.waitForTimeout(8_000);
        ({ glassToGlassMs, avOffsetMs, videoTransitMs, audioTransitMs, audioPlayoutMs } = await page.evaluate(
          () => {
            const room = (window as unknown as { __room: PageRoom }).__room;
            const alice = room.meeting.participants.find((p) => p.name === 'Alice');
            const tile = room.remote.tiles.find(
              (t) => t.participantId === alice?.participantId && t.kind === 'camera',
            );
            const video = tile?.video.stats.renderedAt ?? [];
            const audios = room.remote.audioFor(alice?.participantId ?? '');
            const audio = audios.flatMap((a) => a.stats.playedAt);
            const offsets: number[] = [];
            for (const v of video.slice(-200)) {
              let best: { captureMs: number; latencyMs: number } | undefined;
              for (const a of audio)
                if (
                  best === undefined ||
                  Math.abs(a.captureMs - v.captureMs) < Math.abs(best.captureMs - v.captureMs)
                )
                  best = a;
              if (best !== undefined && Math.abs(best.captureMs - v.captureMs) <= 10)
                offsets.push(v.latencyMs - best.latencyMs);
            }
            return {
              glassToGlassMs: tile?.video.stats.glassToGlassMs.slice(-200) ?? [],
              avOffsetMs: offsets,
              videoTransitMs: tile?.video.stats.transitMs.slice(-200) ?? [],
              audioTransitMs: audios.flatMap((a) => a.stats.transitMs.slice(-300)),
              audioPlayoutMs: audio.slice(-300).map((a) => a.latencyMs),
            };
          },
        ));
      }
      await page.getByTestId('leave').click();
      await page
        .getByTestId('left-message')
        .waitFor({ timeout: 30_000 })
        .catch(() => undefined);
      await page.context().close();
    }
    return {
      joinToFirstFrameMs,
      breakdowns,
      glassToGlassMs,
      avOffsetMs,
      videoTransitMs,
      audioTransitMs,
      audioPlayoutMs,
    };
  } finally {
    await browser.close();
  }
}
