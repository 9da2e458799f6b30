// `npm run bench -w @darktower/web`: the browser media path in headless Chromium on loopback, through a real Media
// Handler process. Writes bench/results/web.json.
//   - glass-to-glass at 640x480 (capture timestamp carried in the DART frame header, measured when the decoded
//     frame is drawn), and the capture-to-arrival part of it, over 10 s of steady state;
//   - media join to first remote frame: open the media session (WebTransport + auth), publish, and draw the first
//     frame of a participant already publishing; 20 joins;
//   - leak check: 100 join/leave cycles in one page; heap after forced GC, and Chromium's warnings about
//     VideoFrames / codecs garbage-collected without close().
// The full-stack part (stack-bench.ts: dev stack + the real UI) measures join-to-first-remote-frame from the click
// on Join with its breakdown, glass-to-glass and audio/video sync; it runs first, before the media rig adds load.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import type { CDPSession, Page } from 'playwright-core';
import { MediaRig } from '../support/media-rig.ts';
import { stackBench } from './stack-bench.ts';

const q = (values: number[], p: number): number => {
  const s = values.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length === 0
    ? Number.NaN
    : Math.round((s[Math.min(s.length - 1, Math.floor(s.length * p))] ?? 0) * 10) / 10;
};

async function heapMb(cdp: CDPSession): Promise<number> {
  await cdp.send('HeapProfiler.collectGarbage');
  const usage = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
  return Math.round((usage.usedSize / 1048576) * 10) / 10;
}

/** p50 of each join mark over the joins (ms after the click), in time order. */
function breakdown(joins: Record<string, number>[]): Record<string, number> {
  const names = new Set(joins.flatMap((j) => Object.keys(j)));
  const out: [string, number][] = [...names].map((name) => [
    name,
    q(
      joins.map((j) => j[name] ?? Number.NaN),
      0.5,
    ),
  ]);
  return Object.fromEntries(out.sort((a, b) => a[1] - b[1]));
}

const uptime = (): string => execFileSync('uptime', { encoding: 'utf8' }).trim();
const uptimeAtStart = uptime();
console.log(`uptime: ${uptimeAtStart}`);
const cycles = Number(process.env.LEAK_CYCLES ?? 100);
const joins = Number(process.env.JOINS ?? 20);
// Full stack (dev stack + UI), when available; first, before the media rig adds its own load.
const stack = await stackBench(joins).catch(
  (error: unknown) =>
    `failed: ${error instanceof Error ? error.message.split('\n')[0] : JSON.stringify(error)}`,
);
if (typeof stack === 'string') console.log(`full stack: not measured (${stack})`);
else
  console.log(
    `full stack: join to first remote frame p50 ${q(stack.joinToFirstFrameMs, 0.5)} ms, p95 ${q(stack.joinToFirstFrameMs, 0.95)} ms (${stack.joinToFirstFrameMs.length} joins); glass-to-glass p50 ${q(stack.glassToGlassMs, 0.5)} ms, p95 ${q(stack.glassToGlassMs, 0.95)} ms; A/V offset p50 ${q(stack.avOffsetMs, 0.5)} ms, p95 |offset| ${q(stack.avOffsetMs.map(Math.abs), 0.95)} ms\nbreakdown (p50, ms after click): ${JSON.stringify(breakdown(stack.breakdowns))}`,
  );
const uptimeAfterStack = uptime();

await using rig = await MediaRig.start({ MH_AUDIO_AS_DATAGRAMS: '1' });
const alice = await rig.register('alice');
const viewer = await rig.register('viewer');
await rig.route(alice, viewer);
const alicePage = await rig.newPage();
await rig.startIn(alicePage, alice);

// Glass-to-glass, steady state.
const viewerPage = await rig.newPage();
await rig.startIn(viewerPage, viewer);
await MediaRig.waitFor(viewerPage, 'frames', (s) => (s.videos[0]?.framesDrawn ?? 0) > 20);
await new Promise((r) => setTimeout(r, 3_000)); // past encoder start-up
const g2g: number[] = [];
const transit: number[] = [];
for (let i = 0; i < 5; i++) {
  await new Promise((r) => setTimeout(r, 2_000));
  const s = await MediaRig.stats(viewerPage);
  g2g.push(...(s.videos[0]?.glassToGlassMs.slice(-40) ?? []));
  transit.push(...(s.videos[0]?.transitMs.slice(-40) ?? []));
}
await MediaRig.stop(viewerPage);
console.log(`glass-to-glass 640x480: p50 ${q(g2g, 0.5)} ms, p95 ${q(g2g, 0.95)} ms (${g2g.length} frames)`);

// Join to first remote frame (media path).
async function joinOnce(page: Page): Promise<number> {
  const p = await rig.register('joiner');
  await rig.route(alice, p);
  await rig.startIn(page, p);
  const s = await MediaRig.waitFor(page, 'first frame', (x) => x.videos[0]?.firstFrameMs !== undefined);
  await MediaRig.stop(page);
  return s.videos[0]?.firstFrameMs ?? Number.NaN;
}
const joinPage = await rig.newPage();
const joinMs: number[] = [];
let joinFailures = 0;
for (let i = 0; i < joins; i++) {
  try {
    joinMs.push(await joinOnce(joinPage));
  } catch {
    joinFailures++;
    await MediaRig.stop(joinPage).catch(() => undefined);
  }
}
console.log(
  `media join to first remote frame: p50 ${q(joinMs, 0.5)} ms, p95 ${q(joinMs, 0.95)} ms (${joins} joins)`,
);

// Leak check.
const leakPage = await rig.newPage();
const warnings: string[] = [];
leakPage.on('console', (m) => {
  if (/garbage collected|without being closed|not closed/i.test(m.text())) warnings.push(m.text());
});
const cdp = await leakPage.context().newCDPSession(leakPage);
await joinOnce(leakPage);
const heapBefore = await heapMb(cdp);
let cycleFailures = 0;
for (let i = 0; i < cycles; i++) {
  try {
    await joinOnce(leakPage);
  } catch {
    cycleFailures++;
    await MediaRig.stop(leakPage).catch(() => undefined);
  }
}
const heapAfter = await heapMb(cdp);
const unclosed = await leakPage.evaluate(() =>
  (window as unknown as { __unclosed: () => Record<string, number> }).__unclosed(),
);
console.log(
  `${cycles} join/leave cycles: heap ${heapBefore} -> ${heapAfter} MB, unclosed-object warnings: ${warnings.length}`,
);

const result = {
  name: 'web',
  environment:
    'headless Chromium (Debian) on loopback, real Media Handler process, 2-core machine shared with other work',
  glass_to_glass_640x480_ms: { p50: q(g2g, 0.5), p95: q(g2g, 0.95), samples: g2g.length },
  capture_to_arrival_ms: { p50: q(transit, 0.5), p95: q(transit, 0.95) },
  media_join_to_first_remote_frame_ms: {
    p50: q(joinMs, 0.5),
    p95: q(joinMs, 0.95),
    joins,
    failures: joinFailures,
  },
  full_stack:
    typeof stack === 'string'
      ? { measured: false, reason: stack }
      : {
          join_to_first_remote_frame_ms: {
            p50: q(stack.joinToFirstFrameMs, 0.5),
            p95: q(stack.joinToFirstFrameMs, 0.95),
            joins: stack.joinToFirstFrameMs.length,
          },
          join_breakdown_p50_ms_after_click: breakdown(stack.breakdowns),
          joins: stack.breakdowns,
          glass_to_glass_640x480_ms: {
            p50: q(stack.glassToGlassMs, 0.5),
            p95: q(stack.glassToGlassMs, 0.95),
            samples: stack.glassToGlassMs.length,
          },
          av_sync: {
            what: 'video capture-to-draw minus audio capture-to-playout (decoded audio handed to the track generator) for frames captured within 10 ms of each other, in the last joined page; negative: video ahead',
            offset_ms: {
              p50: q(stack.avOffsetMs, 0.5),
              p5: q(stack.avOffsetMs, 0.05),
              p95: q(stack.avOffsetMs, 0.95),
            },
            abs_offset_p95_ms: q(stack.avOffsetMs.map(Math.abs), 0.95),
            pairs: stack.avOffsetMs.length,
            video_transit_ms: { p50: q(stack.videoTransitMs, 0.5), p95: q(stack.videoTransitMs, 0.95) },
            audio_transit_ms: { p50: q(stack.audioTransitMs, 0.5), p95: q(stack.audioTransitMs, 0.95) },
            audio_capture_to_playout_ms: {
              p50: q(stack.audioPlayoutMs, 0.5),
              p95: q(stack.audioPlayoutMs, 0.95),
            },
          },
          uptime_after: uptimeAfterStack,
        },
  load_average: loadavg().map((x) => Math.round(x * 10) / 10),
  uptime_at_start: uptimeAtStart,
  uptime_at_end: uptime(),
  leak: {
    cycles,
    heap_mb_before: heapBefore,
    heap_mb_after: heapAfter,
    unclosed_warnings: warnings.length,
    failed_cycles: cycleFailures,
    frames_received_not_closed: unclosed,
    examples: warnings.slice(0, 3),
  },
  measured_at: new Date().toISOString(),
};
const dir = new URL('../../../../bench/results/', import.meta.url).pathname;
mkdirSync(dir, { recursive: true });
writeFileSync(`${dir}web.json`, `${JSON.stringify(result, null, 2)}\n`);
