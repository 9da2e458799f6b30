import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { MeetingControllerService } from '@darktower/protocol';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, testRedisUrl, uniquePrefix, type TestDatabase } from '@darktower/data/testing';
import { TestIdentity, AUDIENCE, ISSUER } from './support/identity.ts';
import { call } from './support/http.ts';
import { startGc, type StartedGc } from './support/start-gc.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => {
        resolve(port);
      });
    });
  });
}

// The Global Controller with the real Meeting Controller (services/meeting) as its own process: registration and
// heartbeats from it, AssignMeeting / GetMeetingState / EndMeeting to it, service tokens both ways.
describe('Global Controller with the real Meeting Controller process', () => {
  let db: TestDatabase;
  let identity: TestIdentity;
  let gc: StartedGc;
  let mc: ChildProcess | undefined;
  let rpcUrl = '';
  let output = '';
  const gcLog: string[] = [];

  before(async () => {
    db = await createTestDatabase({ prefix: 'gc_realmc' });
    identity = await TestIdentity.start();
    gc = await startGc(
      identity,
      {
        DATABASE_URL: db.url,
        REDIS_URL: testRedisUrl(),
        GC_REDIS_PREFIX: uniquePrefix('gcr'),
        GC_MC_SERVICE_TOKEN: await identity.service('svc-global', 'service.write.mc'),
      },
      { logLines: gcLog },
    );
    const [port, wsPort, rpcPort, opsPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    rpcUrl = `http://127.0.0.1:${rpcPort}`;
    mc = spawn(
      join(root, 'node_modules/.bin/node'),
      ['--conditions=source', '--import', 'tsx', join(root, 'services/meeting/src/main.ts')],
      {
        cwd: root,
        env: {
          ...process.env,
          MC_ID: 'mc-real',
          REGION: 'test-region',
          MC_PORT: String(port),
          MC_WS_PORT: String(wsPort),
          MC_RPC_PORT: String(rpcPort),
          MC_OPS_PORT: String(opsPort),
          REDIS_URL: testRedisUrl(),
          MC_REDIS_PREFIX: uniquePrefix('mcr'),
          GC_RPC_URL: gc.url,
          MC_GC_SERVICE_TOKEN: await identity.service('svc-meeting', 'service.write.gc'),
          JOIN_TOKEN_JWKS_URL: `${gc.url}/api/v1/join-keys.json`,
          JOIN_TOKEN_ISSUERS: 'http://localhost:8080',
          AUTH_JWKS_URLS: identity.jwks.url,
          AUTH_ISSUERS: ISSUER,
          AUTH_AUDIENCE: AUDIENCE,
          MC_HEARTBEAT_INTERVAL: '1s',
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    mc.stdout?.on('data', (c: Buffer) => (output += c.toString()));
    mc.stderr?.on('data', (c: Buffer) => (output += c.toString()));
    const alice = await identity.user('alice');
    for (let i = 0; ; i++) {
      const r = await call(gc.url, 'GET', '/api/v1/meetings', { token: alice });
      assert.equal(r.status, 200);
      if ((await gc.gc.module.registry.activeCount()) > 0) break;
      if (i > 300 || mc.exitCode !== null) throw new Error(`meeting controller did not register:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });

  after(async () => {
    const child = mc;
    if (child?.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await gc.gc.close();
    await identity[Symbol.asyncDispose]();
    await db.drop();
  });

  test('create -> get (live participant count from the controller) -> end', async () => {
    const alice = await identity.user('alice');
    const views = await gc.gc.module.registry.list();
    assert.equal(views[0]?.record.rpcEndpoint.replace(/\/$/, ''), rpcUrl);
    const created = await call(gc.url, 'POST', '/api/v1/meetings', {
      token: alice,
      body: { display_name: 'Real', max_participants: 5 },
    });
    assert.equal(created.status, 201, `${JSON.stringify(created.body)}\n${output}`);
    assert.match(created.body.meeting_controller_url as string, /^https:\/\//);
    const got = await call(gc.url, 'GET', `/api/v1/meetings/${created.body.meeting_id as string}`, {
      token: alice,
    });
    assert.equal(got.status, 200);
    assert.equal(got.body.participant_count, 0);
    assert.equal(got.body.meeting_controller_url, created.body.meeting_controller_url);
    // The controller itself holds the meeting (AssignMeeting reached it) ...
    const direct = createClient(
      MeetingControllerService,
      createConnectTransport({ baseUrl: rpcUrl, httpVersion: '1.1' }),
    );
    const headers = { authorization: `Bearer ${await identity.service('svc-probe', 'service.write.mc')}` };
    const state = await direct.getMeetingState({ meetingId: created.body.meeting_id as string }, { headers });
    assert.equal(state.meetingId, created.body.meeting_id);
    assert.equal(state.config?.maxParticipants, 5);
    const ended = await call(gc.url, 'DELETE', `/api/v1/meetings/${created.body.meeting_id as string}`, {
      token: alice,
    });
    assert.equal(ended.status, 200, JSON.stringify(ended.body));
    // ... and EndMeeting reached it (the Global Controller warns when it cannot tell the controller).
    assert.deepEqual(
      gcLog.filter((line) => line.includes('meeting controller')),
      [],
    );
  });
});
