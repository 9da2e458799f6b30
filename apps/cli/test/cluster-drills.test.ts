// The failure drills, short versions (CI): one cluster of real processes (1 AC, 2 GC, 2 MC, 3 MH, PostgreSQL,
// a private Redis), each drill breaking one thing and measuring recovery. Recovery times are printed, never
// asserted on (timing); what is asserted is that nothing failed and nothing was lost. The full versions:
// `npx darktower cluster drills --full`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster } from '../src/cluster/cluster.ts';
import { signUpHost, type HostSession } from '../src/cluster/cluster-client.ts';
import { DRILLS, formatDrill, type DrillResult } from '../src/cluster/drills.ts';

describe('cluster drills (short)', { timeout: 600_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'dt-drills-'));
  let cluster: Cluster | undefined;
  let host: HostSession | undefined;

  before(async () => {
    cluster = await Cluster.start({ dir, logLevel: 'warn' });
    host = await signUpHost(cluster);
  });

  let keepLogs = false;
  after(async () => {
    await cluster?.close();
    if (!keepLogs) rmSync(dir, { recursive: true, force: true });
  });

  const run = async (name: keyof typeof DRILLS): Promise<DrillResult> => {
    assert.ok(cluster !== undefined && host !== undefined, 'cluster started');
    const result = await DRILLS[name]({ cluster, host, scale: 'short' });
    console.log(formatDrill(result));
    return result;
  };

  test('kill a Global Controller under API load: no failed request, nothing lost', async () => {
    const r = await run('kill-gc');
    assert.deepEqual(r.problems, []);
    assert.ok((r.details.requests as number) > 20);
  });

  test('restart Redis: meetings continue, no participant lost, new joins work again', async () => {
    const r = await run('restart-redis');
    assert.deepEqual(r.problems, []);
    assert.ok(r.recoveryMs > 0);
  });

  test('PostgreSQL unreachable then back: meetings unaffected, API 503 then recovers', async () => {
    const r = await run('restart-postgres');
    assert.deepEqual(r.problems, []);
  });

  test('kill a Meeting Controller mid-meeting: every bot resumes with the same participant id', async () => {
    const r = await run('kill-mc');
    assert.deepEqual(r.problems, []);
    assert.equal(r.details.resumed, r.details.bots);
  });

  test('kill a Media Handler: every stream resumes on the standby handler', async () => {
    const r = await run('kill-mh');
    assert.deepEqual(r.problems, []);
    assert.ok((r.details.carried as number) > 0, 'the killed handler carried media');
  });

  test('kill a Media Handler of a meeting spread over two handlers (cascade links)', async () => {
    assert.ok(cluster !== undefined && host !== undefined, 'cluster started');
    const r = await DRILLS['kill-mh']({ cluster, host, scale: 'short', bots: 5 });
    console.log(formatDrill(r));
    assert.ok((r.details.handlers as number) >= 2, 'the meeting spanned handlers (media crossed a cascade)');
    // A failure keeps the cluster's logs for the diagnosis (the problem names the bots and streams that waited).
    if (r.problems.length > 0) keepLogs = true;
    assert.deepEqual(r.problems, []);
  });

  test('client network drop: the participant resumes with the same id and its subscriptions', async () => {
    const r = await run('network-drop');
    assert.deepEqual(r.problems, []);
    assert.equal(r.details.sameParticipantId, true);
  });
});
