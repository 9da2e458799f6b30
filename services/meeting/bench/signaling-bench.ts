// Numbers for the signaling core over in-memory sessions (no network): join latency (token verification against a
// real loopback JWKS included), request/response throughput per participant, and fan-out of a publish to a meeting.
// Writes bench/results/meeting-signaling.json at the repository root.
import { mkdirSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { StreamType } from '@darktower/protocol';
import { MemoryMeetingStore } from '../src/state/memory-meeting-store.ts';
import { Harness } from '../src/testing/harness.ts';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function main(): Promise<void> {
  await using h = await Harness.start((clock) => Promise.resolve(new MemoryMeetingStore(clock)), {
    connectionOptions: { rateLimit: 1_000_000 },
  });
  const meeting = randomUUID();
  const joins: number[] = [];
  const members = [];
  for (let i = 0; i < 50; i++) {
    const t0 = performance.now();
    members.push(await h.join(meeting, `user-${i}`));
    joins.push(performance.now() - t0);
  }
  joins.sort((a, b) => a - b);

  const first = members[0];
  if (first === undefined) throw new Error('no members');
  const n = 5000;
  const t1 = performance.now();
  for (let i = 0; i < n; i++) await first.client.request({ case: 'heartbeat', value: {} });
  const rtt = (performance.now() - t1) / n;

  const t2 = performance.now();
  const streamId = randomUUID();
  await first.client.request({ case: 'publish', value: { streamId, streamType: StreamType.VIDEO_CAMERA } });
  await Promise.all(
    members
      .slice(1)
      .map((m) =>
        m.client.waitFor(
          (x) => x.kind.case === 'streamPublished' && x.kind.value.stream?.streamId === streamId,
          10_000,
          'fan-out',
          true,
        ),
      ),
  );
  const fanout = performance.now() - t2;

  const result = {
    name: 'meeting-signaling',
    date: new Date().toISOString(),
    transport: 'memory sessions, memory store, media handler RPC test double',
    joinMs: {
      p50: percentile(joins, 50),
      p95: percentile(joins, 95),
      max: joins.at(-1) ?? 0,
      count: joins.length,
    },
    heartbeatRoundTripMs: rtt,
    heartbeatsPerSecond: 1000 / rtt,
    publishFanOutTo49Ms: fanout,
  };
  console.log(JSON.stringify(result, null, 2));
  const dir = new URL('../../../bench/results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  writeFileSync(new URL('meeting-signaling.json', dir), `${JSON.stringify(result, null, 2)}\n`);
}

await main();
