// Failure drills on a running cluster. Each breaks one thing the way production breaks it (SIGKILL, a Redis
// restart, PostgreSQL unreachable), measures how long recovery took, and checks that nothing durable was lost:
// meeting metadata readable and unchanged, no table's row count (audit log included) went down, every bot still in
// its meeting under the participant id it joined with.
import { botConnector } from '../bot/bot-connector.js';
import { errorText } from '../bot/bot-fleet.js';
import { percentilesOf } from '../bot/stats.js';
import { createMeeting, durableCounts, fleetOn, getMeeting, lostRows } from './cluster-client.js';
import { UdpRelay } from './udp-relay.js';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** The meeting controller a meeting was placed on (by its WebTransport port). */
export function controllerOf(cluster, meeting) {
  const port = new URL(meeting.controllerUrl).port;
  const mc = cluster.byKind('meeting').find((s) => s.process.spec.env.MC_PORT === port);
  if (mc === undefined) throw new Error(`no meeting controller serves ${meeting.controllerUrl}`);
  return mc;
}
/** API traffic while something breaks: GET the meeting every `everyMs`, counting answers by status. */
class ApiLoad {
  statuses = new Map();
  failures = [];
  #stop = new AbortController();
  #done = Promise.resolve();
  total = 0;
  start(ctx, code, everyMs, ok) {
    this.#done = (async () => {
      while (!this.#stop.signal.aborted) {
        const at = Date.now();
        let status;
        try {
          const r = await getMeeting(ctx.cluster, ctx.host, code, AbortSignal.timeout(5_000));
          status = String(r.status);
        } catch (error) {
          status = error instanceof Error ? error.name : 'error';
        }
        this.total++;
        this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
        if (!ok(Number(status))) this.failures.push(`${new Date(at).toISOString()} ${status}`);
        await sleep(Math.max(0, everyMs - (Date.now() - at)));
      }
    })();
  }
  async stop() {
    this.#stop.abort();
    await this.#done;
  }
}
async function setUp(ctx, name, bots, publish = 'none') {
  const meeting = await createMeeting(ctx.cluster, ctx.host, name);
  // After an earlier drill restarted a controller, its media handlers take a few seconds to register again:
  // joins are refused with UNAVAILABLE until then, so the scene is retried for up to 30 s.
  const deadline = Date.now() + 30_000;
  let fleet;
  for (;;) {
    fleet = fleetOn(ctx.cluster, {
      meetings: [meeting.code],
      count: bots,
      publish,
      videoFps: 15,
      audioFps: 50,
      namePrefix: name,
      // One at a time: with concurrent joins some bots' rosters miss a peer (see the README).
      joinConcurrency: 1,
      reconnectAttempts: 120,
      reconnectDelayMs: 250,
    });
    await fleet.join();
    const joined = fleet.progress().joined;
    if (joined === bots) break;
    const errors = fleet.summary().errors.join('; ');
    await fleet.close();
    if (Date.now() > deadline)
      throw new Error(`${name}: only ${String(joined)}/${String(bots)} bots joined: ${errors}`);
    await sleep(1_000);
  }
  const ids = new Map(fleet.bots.map((b) => [b.name, b.participantId]));
  return { meeting, fleet, ids, counts: await durableCounts(ctx.cluster) };
}
/** The "nothing lost" checks after a drill. */
async function verify(ctx, scene, problems) {
  const m = await getMeeting(ctx.cluster, ctx.host, scene.meeting.code);
  if (
    m.status !== 200 ||
    m.displayName !== scene.meeting.displayName ||
    m.meetingId !== scene.meeting.meetingId
  )
    problems.push(`meeting metadata: status ${String(m.status)}, name "${m.displayName}"`);
  for (const row of lostRows(scene.counts, await durableCounts(ctx.cluster)))
    problems.push(`rows lost: ${row}`);
  for (const b of scene.fleet.bots) {
    if (b.phase !== 'joined')
      problems.push(`${b.name} is ${b.phase} (${b.leftReason}: ${errorText(b.error)})`);
    if (b.participantId !== scene.ids.get(b.name))
      problems.push(`${b.name} has a new participant id (${b.participantId})`);
    const seen = b.meeting?.participants.length ?? 0;
    if (seen !== scene.fleet.bots.length - 1)
      problems.push(`${b.name} sees ${String(seen)} others, not ${String(scene.fleet.bots.length - 1)}`);
  }
}
async function settleRoster(scene, timeoutMs) {
  await scene.fleet
    .until(
      (f) =>
        f.bots.every(
          (b) => b.phase === 'joined' && (b.meeting?.participants.length ?? 0) === f.bots.length - 1,
        ),
      timeoutMs,
      'rosters to settle',
    )
    .catch(() => undefined);
}
/** Kill a Global Controller under API load: zero failed requests (the front retries on the other instance). */
export async function killGlobalController(ctx) {
  const problems = [];
  const meeting = await createMeeting(ctx.cluster, ctx.host, 'drill-gc');
  const counts = await durableCounts(ctx.cluster);
  const load = new ApiLoad();
  load.start(ctx, meeting.code, 50, (s) => s === 200);
  await sleep(1_000);
  const victim = ctx.cluster.byKind('global')[0];
  if (victim === undefined) throw new Error('no global controller');
  const killedAt = Date.now();
  await victim.process.kill();
  ctx.log?.(`killed ${victim.name}`);
  await sleep(ctx.scale === 'full' ? 10_000 : 3_000);
  await victim.process.start();
  const recoveryMs = Date.now() - killedAt;
  await sleep(1_000);
  await load.stop();
  if (load.failures.length > 0)
    problems.push(
      `${String(load.failures.length)} failed API requests: ${load.failures.slice(0, 5).join(', ')}`,
    );
  for (const row of lostRows(counts, await durableCounts(ctx.cluster))) problems.push(`rows lost: ${row}`);
  const m = await getMeeting(ctx.cluster, ctx.host, meeting.code);
  if (m.displayName !== meeting.displayName) problems.push('meeting metadata changed');
  if (recoveryMs > 30_000) problems.push(`recovery ${String(recoveryMs)} ms > 30 s`);
  return {
    name: 'kill a Global Controller',
    targetMs: 30_000,
    recoveryMs,
    details: {
      requests: load.total,
      failed: load.failures.length,
      statuses: Object.fromEntries(load.statuses),
      frontRetries: ctx.cluster.proxy.stats.retried,
      note: 'recovery = kill until the instance is back and ready; the API stayed up throughout',
    },
    problems,
  };
}
/** Kill the Meeting Controller hosting a meeting: every bot resumes (same participant id) on a controller. */
export async function killMeetingController(ctx) {
  const problems = [];
  const scene = await setUp(ctx, 'drill-mc', ctx.scale === 'full' ? 20 : 4);
  try {
    const victim = controllerOf(ctx.cluster, scene.meeting);
    const killedAt = Date.now();
    await victim.process.kill();
    ctx.log?.(`killed ${victim.name} (hosting ${scene.meeting.code})`);
    const waited = await scene.fleet
      .until(
        // Done when every bot is back, or has given up (the SDK stops resuming after SESSION_EXPIRED/NOT_FOUND).
        (f) => f.bots.every((b) => (b.recoveries.length > 0 && b.phase === 'joined') || b.phase === 'failed'),
        ctx.scale === 'full' ? 60_000 : 30_000,
        'every bot to resume',
      )
      .catch((error) => {
        problems.push(String(error));
        return -1;
      });
    const times = scene.fleet.bots
      .map((b) => b.recoveries[0])
      .filter((r) => r !== undefined)
      .map((r) => r.startedAtMs + r.durationMs - killedAt);
    const p = percentilesOf(times);
    await settleRoster(scene, 5_000);
    await verify(ctx, scene, problems);
    await victim.process.start();
    if (waited >= 0 && p.p95 > 10_000) problems.push(`p95 reconnection ${String(p.p95)} ms > 10 s`);
    return {
      name: 'kill a Meeting Controller mid-meeting',
      targetMs: 10_000,
      recoveryMs: p.p95,
      details: { bots: scene.fleet.bots.length, resumed: times.length, recoveryMs: p, killed: victim.name },
      problems,
    };
  } finally {
    await scene.fleet.close();
  }
}
/** Restart Redis (SIGKILL, start again on the same port and data): meetings continue, nobody is lost. */
export async function restartRedis(ctx) {
  const problems = [];
  const scene = await setUp(ctx, 'drill-redis', ctx.scale === 'full' ? 10 : 3);
  try {
    const killedAt = Date.now();
    await ctx.cluster.redis.kill();
    await sleep(ctx.scale === 'full' ? 5_000 : 1_000);
    await ctx.cluster.redis.start();
    // Recovered when a new participant can join a meeting again (GC and MC both use Redis on that path).
    let recoveryMs = -1;
    {
      while (Date.now() - killedAt < 30_000) {
        const bot = fleetOn(ctx.cluster, {
          meetings: [scene.meeting.code],
          count: 1,
          publish: 'none',
          namePrefix: 'probe',
        });
        await bot.join();
        const ok = bot.progress().joined === 1;
        await bot.close();
        if (ok) {
          recoveryMs = Date.now() - killedAt;
          break;
        }
        await sleep(250);
      }
    }
    if (recoveryMs < 0) problems.push('no new participant could join within 30 s');
    await settleRoster(scene, 5_000);
    await verify(ctx, scene, problems);
    if (recoveryMs > 10_000) problems.push(`recovery ${String(recoveryMs)} ms > 10 s`);
    return {
      name: 'restart Redis',
      targetMs: 10_000,
      recoveryMs,
      details: { bots: scene.fleet.bots.length, reconnects: scene.fleet.summary().recoveries },
      problems,
    };
  } finally {
    await scene.fleet.close();
  }
}
/** PostgreSQL unreachable (the relay cut) then back: in-flight meetings unaffected, the API 503s then recovers. */
export async function restartPostgres(ctx) {
  const problems = [];
  const scene = await setUp(ctx, 'drill-pg', ctx.scale === 'full' ? 10 : 3);
  try {
    const outage = new ApiLoad();
    ctx.cluster.pgRelay.cut();
    const cutAt = Date.now();
    // The meeting lookup may be cached; creating a meeting always writes.
    const during = new Map();
    outage.start(ctx, scene.meeting.code, 200, () => true);
    while (Date.now() - cutAt < (ctx.scale === 'full' ? 20_000 : 4_000)) {
      const status = await createMeeting(ctx.cluster, ctx.host, 'during-outage').then(
        () => 201,
        (error) => Number(/\((\d+)\)/.exec(String(error))?.[1] ?? 0),
      );
      during.set(status, (during.get(status) ?? 0) + 1);
      await sleep(250);
    }
    await outage.stop();
    ctx.cluster.pgRelay.restore();
    const restoredAt = Date.now();
    let recoveryMs = -1;
    while (Date.now() - restoredAt < 60_000) {
      const ok = await createMeeting(ctx.cluster, ctx.host, 'after-outage').then(
        () => true,
        () => false,
      );
      if (ok) {
        recoveryMs = Date.now() - restoredAt;
        break;
      }
      await sleep(250);
    }
    if (recoveryMs < 0) problems.push('the API did not recover within 60 s');
    const nonUnavailable = [...during.keys()].filter((s) => s !== 503);
    if (nonUnavailable.length > 0)
      problems.push(`during the outage writes answered ${nonUnavailable.join(', ')} (expected 503)`);
    await verify(ctx, scene, problems);
    if (recoveryMs > 60_000) problems.push(`recovery ${String(recoveryMs)} ms > 60 s`);
    return {
      name: 'PostgreSQL unreachable, then back',
      targetMs: 60_000,
      recoveryMs,
      details: {
        outageMs: restoredAt - cutAt,
        createDuringOutage: Object.fromEntries(during),
        getDuringOutage: Object.fromEntries(outage.statuses),
        bots: scene.fleet.bots.length,
        note: 'PostgreSQL itself is shared with other tests; the drill cuts a TCP relay in front of it',
      },
      problems,
    };
  } finally {
    ctx.cluster.pgRelay.restore();
    await scene.fleet.close();
  }
}
/**
 * Kill the Media Handler that carries a meeting's media: streams should fail over to another handler. Recovery is
 * from the kill until every bot receives frames again from every other bot; frames lost are the gaps in the
 * frame numbers over the run.
 */
export async function killMediaHandler(ctx) {
  const problems = [];
  const scene = await setUp(ctx, 'drill-mh', ctx.scale === 'full' ? 10 : 3, 'both');
  try {
    const others = scene.fleet.bots.length - 1;
    await scene.fleet.until(
      (f) => f.bots.every((b) => b.streamCounts.streams === others * 2 && b.lastFrameAtMs > 0),
      15_000,
      'media to flow before the kill',
    );
    // The handler with the most participants of this meeting: ask each for its stats is not exposed, so kill the
    // handlers registered with the meeting's controller one at a time would be unfair; take the first of them.
    const mc = controllerOf(ctx.cluster, scene.meeting);
    const victim = ctx.cluster
      .byKind('media')
      .find((h) => h.process.spec.env.MH_MEETING_CONTROLLER_URL === mc.baseUrl);
    if (victim === undefined) throw new Error(`no media handler registered with ${mc.name}`);
    const before = scene.fleet.summary();
    const killedAt = Date.now();
    await victim.process.kill();
    ctx.log?.(`killed ${victim.name}`);
    const resumedAt = new Map();
    const waited = await scene.fleet
      .until(
        (f) => {
          for (const b of f.bots)
            if (!resumedAt.has(b.name) && b.lastFrameAtMs > killedAt + 200)
              resumedAt.set(b.name, b.lastFrameAtMs);
          return resumedAt.size === f.bots.length;
        },
        30_000,
        'media to resume for every bot',
      )
      .catch((error) => {
        problems.push(String(error));
        return -1;
      });
    const times = [...resumedAt.values()].map((t) => t - killedAt);
    const p = percentilesOf(times);
    await sleep(1_000);
    const after = scene.fleet.summary();
    await verify(ctx, scene, problems);
    await victim.process.start();
    if (waited >= 0 && p.p95 > 1_000) problems.push(`p95 media failover ${String(p.p95)} ms > 1 s`);
    return {
      name: 'kill a Media Handler',
      targetMs: 1_000,
      recoveryMs: waited < 0 ? -1 : p.p95,
      details: {
        bots: scene.fleet.bots.length,
        killed: victim.name,
        resumed: times.length,
        failoverMs: p,
        framesLost:
          after.framesExpected - before.framesExpected - (after.framesReceived - before.framesReceived),
        lossOverRun: after.loss,
      },
      problems,
    };
  } finally {
    await scene.fleet.close();
  }
}
/**
 * One participant's network drops (every packet to and from it vanishes) for 15 s (short: 6 s), then comes back:
 * it resumes with the same participant id and receives every other participant's streams again.
 */
export async function clientNetworkDrop(ctx) {
  const problems = [];
  const scene = await setUp(ctx, 'drill-net', ctx.scale === 'full' ? 4 : 2, 'both');
  const relays = new Map();
  const victim = fleetOn(ctx.cluster, {
    meetings: [scene.meeting.code],
    count: 1,
    publish: 'both',
    videoFps: 15,
    audioFps: 50,
    namePrefix: 'drill-net-victim',
    // A tile for every other bot (the default grid is sized by this fleet, which has one bot).
    layout: { kind: 'grid', rows: 1, columns: scene.fleet.bots.length },
    reconnectAttempts: 120,
    reconnectDelayMs: 500,
    connector: botConnector([ctx.cluster.certificateHash], {
      route: async (url) => {
        const u = new URL(url);
        const key = `${u.hostname}:${u.port}`;
        let relay = relays.get(key);
        if (relay === undefined) {
          relay = await UdpRelay.listen({ host: u.hostname, port: Number(u.port) });
          relays.set(key, relay);
        }
        u.port = String(relay.port);
        return u.toString();
      },
    }),
  });
  try {
    await victim.join();
    const bot = victim.bots[0];
    if (bot?.phase !== 'joined')
      throw new Error(`the victim bot did not join: ${victim.summary().errors.join('; ')}`);
    const id = bot.participantId;
    const others = scene.fleet.bots.length;
    await victim.until(
      (f) => (f.bots[0]?.streamCounts.streams ?? 0) === others * 2,
      15_000,
      'media before the drop',
    );
    for (const r of relays.values()) r.cut();
    const dropMs = ctx.scale === 'full' ? 15_000 : 6_000;
    ctx.log?.(`network of ${bot.name} dropped for ${String(dropMs)} ms`);
    await sleep(dropMs);
    for (const r of relays.values()) r.restore();
    const restoredAt = Date.now();
    const waited = await victim
      .until(
        (f) => {
          const b = f.bots[0];
          return (
            b !== undefined &&
            (b.phase === 'failed' || (b.phase === 'joined' && b.lastFrameAtMs > restoredAt))
          );
        },
        30_000,
        'the participant to be back and receiving',
      )
      .catch((error) => {
        problems.push(String(error));
        return -1;
      });
    if (victim.progress().joined !== 1)
      problems.push(`${bot.name} is ${bot.phase} (${bot.leftReason}: ${errorText(bot.error)})`);
    if (bot.participantId !== id) problems.push(`${bot.name} came back as ${bot.participantId}, not ${id}`);
    const slots = bot.meeting?.layoutSlots.filter((s) => s.kind === 'camera').length ?? 0;
    if (slots !== others)
      problems.push(`${bot.name} has ${String(slots)} camera slots after the resume, not ${String(others)}`);
    await verify(ctx, scene, problems);
    return {
      name: 'client network drop',
      targetMs: 30_000,
      recoveryMs: waited,
      details: {
        dropMs,
        resumes: bot.recoveries.length,
        sameParticipantId: bot.participantId === id,
        packetsDropped: [...relays.values()].reduce((a, r) => a + r.dropped, 0),
        note: 'recovery = from the network coming back until frames arrive again',
      },
      problems,
    };
  } finally {
    await victim.close();
    await scene.fleet.close();
    for (const r of relays.values()) await r.close();
  }
}
export const DRILLS = {
  'kill-gc': killGlobalController,
  'kill-mc': killMeetingController,
  'restart-redis': restartRedis,
  'restart-postgres': restartPostgres,
  'kill-mh': killMediaHandler,
  'network-drop': clientNetworkDrop,
};
export function formatDrill(r) {
  const verdict = r.problems.length === 0 ? 'PASS' : 'FAIL';
  return `${verdict}  ${r.name}: recovery ${String(r.recoveryMs)} ms (target < ${String(r.targetMs / 1000)} s) ${JSON.stringify(r.details)}${r.problems.map((p) => `\n      - ${p}`).join('')}`;
}
//# sourceMappingURL=drills.js.map
