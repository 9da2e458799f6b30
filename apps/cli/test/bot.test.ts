// `darktower bot` against the real services (the one-process dev stack): two bots in one meeting join over QUIC,
// publish synthetic video and audio, and receive each other's frames intact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { callApi } from '../src/api-client.ts';
import { startDevStack } from '../src/dev/dev-stack.ts';
import { BotFleet } from '../src/bot/bot-fleet.ts';
import { ProcessFleet } from '../src/bot/fleet-processes.ts';
import { botConnector, devCertificateHashes } from '../src/bot/bot-connector.ts';
import { parseBotArgs } from '../src/bot/bot-args.ts';

const password = 'correct horse battery staple';

async function createMeeting(url: string): Promise<string> {
  await callApi(url, {
    method: 'POST',
    path: '/api/v1/users',
    json: { username: 'host', password, display_name: 'Host' },
  });
  const login = await callApi<{ access_token: string }>(url, {
    method: 'POST',
    path: '/v1/auth/user/token',
    json: { username: 'host', password },
  });
  const created = await callApi<{ meeting_url: string }>(url, {
    method: 'POST',
    path: '/api/v1/meetings',
    token: login.access_token,
    json: { display_name: 'Bots', max_participants: 10, settings: { require_auth: false } },
  });
  return created.meeting_url.split('/').at(-1) ?? '';
}

async function withTwoBots(fn: (fleet: BotFleet) => Promise<void>): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'dt-bot-'));
  try {
    await using stack = await startDevStack({ port: 0, dataDir, logLevel: 'silent' });
    const code = await createMeeting(stack.url);
    const hashes = await devCertificateHashes(stack.url);
    assert.equal(hashes.length, 1);
    await using fleet = new BotFleet({
      baseUrl: stack.url,
      meetings: [code],
      count: 2,
      connector: botConnector(hashes),
      publish: 'both',
      videoFps: 15,
      audioFps: 25,
      joinConcurrency: 1,
    });
    await fleet.join();
    await fn(fleet);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

test('two bots join one meeting over QUIC, publish, and see each other’s streams in the roster and layout', async () => {
  await withTwoBots(async (fleet) => {
    assert.equal(fleet.progress().joined, 2);
    const [a, b] = fleet.bots;
    assert.ok(a !== undefined && b !== undefined);
    assert.notEqual(a.participantId, b.participantId);
    assert.equal(a.meeting?.transport, 'webtransport');
    await fleet.until(
      (f) =>
        f.bots.every((bot) => {
          const others = bot.meeting?.participants ?? [];
          return others.length === 1 && others[0]?.streams.length === 2;
        }),
      10_000,
      'each bot to see the other with a camera and an audio stream',
    );
    assert.equal(a.meeting.participants.at(0)?.participantId, b.participantId);
    await fleet.until(
      (f) => f.bots.every((bot) => (bot.meeting?.layoutSlots ?? []).some((s) => s.kind === 'camera')),
      10_000,
      'each bot’s layout to show the other’s camera',
    );
    assert.equal(fleet.summary().failedJoins, 0);
  });
});

test('two bots receive each other’s video and audio frames intact', async () => {
  await withTwoBots(async (fleet) => {
    await fleet.until(
      (f) => f.bots.every((bot) => bot.streamCounts.streams === 2 && bot.streamCounts.received >= 40),
      15_000,
      'both bots to receive both of the other’s streams',
    );
    const s = fleet.summary();
    assert.equal(s.corruptFrames, 0);
    assert.ok(s.framesReceived >= 80);
    assert.ok(s.latencyMs.count >= 80);
    assert.ok(s.latencyMs.p50 <= s.latencyMs.p99);
    assert.deepEqual(s.errors, []);
  });
});

test('bot arguments are validated', () => {
  assert.throws(() => parseBotArgs([], {}), /--meeting is required/);
  assert.throws(() => parseBotArgs(['--meeting', 'a/b'], {}), /not a meeting code/);
  assert.throws(() => parseBotArgs(['--meeting', 'abc', '--count', '0'], {}), /--count/);
  assert.throws(() => parseBotArgs(['--meeting', 'abc', '--publish', 'smell'], {}), /--publish/);
  const ok = parseBotArgs(
    ['--meeting', 'abc-defg-hij', '--count', '3', '--publish', 'audio', '--duration', '5'],
    {
      DARKTOWER_URL: 'http://127.0.0.1:1',
    },
  );
  assert.equal(ok.url, 'http://127.0.0.1:1');
  assert.deepEqual(ok.meetings, ['abc-defg-hij']);
  assert.equal(ok.count, 3);
  assert.equal(ok.publish, 'audio');
  assert.equal(ok.durationS, 5);
});

test('a fleet split over two processes joins, every bot receives, and the summary adds up across processes', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'dt-bot-'));
  try {
    await using stack = await startDevStack({ port: 0, dataDir, logLevel: 'silent' });
    const code = await createMeeting(stack.url);
    const fleet = await ProcessFleet.start({
      baseUrl: stack.url,
      certificateHashes: await devCertificateHashes(stack.url),
      processes: 2,
      meetings: [code],
      count: 3,
      publish: 'both',
      videoFps: 10,
      audioFps: 20,
      joinConcurrency: 1,
    });
    const pids = fleet.pids;
    try {
      assert.equal(pids.length, 2);
      assert.ok(!pids.includes(process.pid));
      await fleet.join();
      const deadline = Date.now() + 30_000;
      let counts = await fleet.counts();
      while (counts.some((c) => c.received < 20 || c.sent < 20) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        counts = await fleet.counts();
      }
      assert.equal(counts.length, 3);
      for (const [i, c] of counts.entries())
        assert.ok(c.sent >= 20 && c.received >= 20, `bot ${String(i + 1)}: ${JSON.stringify(c)}`);
      const progress = await fleet.progress();
      assert.equal(progress.joined, 3);
      const summary = await fleet.summary();
      assert.equal(summary.bots, 3);
      assert.equal(summary.joined, 3);
      assert.deepEqual(summary.errors, []);
      assert.equal(summary.corruptFrames, 0);
      // Merged from both processes: the totals are the per-bot counts summed, the latency reservoir covers them.
      assert.ok(summary.framesReceived >= counts.reduce((a, c) => a + c.received, 0));
      assert.ok(summary.latencyMs.count >= counts.reduce((a, c) => a + c.received, 0) * 0.9);
    } finally {
      await fleet.close();
    }
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), 'the bots process has ended');
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
