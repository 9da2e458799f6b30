// Against the real Global Controller process: the Meeting Controller registers over Connect with a service token,
// heartbeats, and reports ready only once registered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { JwksServer, makeTestKey, signTestToken } from '@darktower/auth-verifier/testing';
import { loadMeetingConfig } from '../src/config.ts';
import { buildMeetingController } from '../src/meeting-controller.ts';
import { JoinTokenIssuer, TEST_ISSUER } from '../src/testing/join-tokens.ts';

const AUTH_ISSUER = 'http://auth.darktower.test';

test('registers with the real Global Controller and becomes ready', async () => {
  await using auth = await JwksServer.start();
  const key = makeTestKey('ac-key-1');
  auth.keys = [key];
  await using joinKeys = await JoinTokenIssuer.start();
  const mcToken = await signTestToken(key, {
    issuer: AUTH_ISSUER,
    audience: 'darktower',
    principal: 'service',
    scope: 'service.write.gc service.write.mc',
    subject: 'mc-service',
  });
  const gcMain = fileURLToPath(new URL('../../global/src/main.ts', import.meta.url));
  const gc = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', gcMain], {
    env: {
      ...process.env,
      GC_PORT: '0',
      GC_OPS_PORT: '0',
      AUTH_JWKS_URLS: auth.url,
      AUTH_ISSUERS: AUTH_ISSUER,
      DATABASE_URL: '',
      REDIS_URL: '',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const gcExited = new Promise<number | null>((resolve) => gc.once('exit', resolve));
  try {
    let api: string | undefined;
    for await (const line of createInterface({ input: gc.stdout })) {
      if (line.includes('global controller listening')) {
        api = (JSON.parse(line) as { api: string }).api;
        break;
      }
    }
    assert.ok(api !== undefined, 'the global controller did not start');
    gc.stdout.resume();

    const config = loadMeetingConfig({
      env: {
        MC_ID: 'mc-it-1',
        MC_PORT: '0',
        MC_WS_PORT: '0',
        MC_RPC_PORT: '0',
        MC_OPS_PORT: '0',
        GC_RPC_URL: api,
        MC_GC_SERVICE_TOKEN: mcToken,
        JOIN_TOKEN_JWKS_URL: joinKeys.jwks.url,
        JOIN_TOKEN_ISSUERS: TEST_ISSUER,
        AUTH_JWKS_URLS: auth.url,
        AUTH_ISSUERS: AUTH_ISSUER,
        LOG_LEVEL: 'silent',
      },
    });
    await using mc = await buildMeetingController(config);
    const addresses = await mc.listen();
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      status = (await fetch(`${addresses.ops.url}/ready`)).status;
      if (status !== 200) await sleep(100);
    }
    assert.equal(status, 200, 'not ready: not registered with the global controller');
    const metrics = await (await fetch(`${addresses.ops.url}/metrics`)).text();
    assert.match(metrics, /dt_mc_active_meetings/);
    assert.match(metrics, /dt_mc_store_latency_seconds/);
  } finally {
    gc.kill('SIGTERM');
  }
  assert.equal(await gcExited, 0);
});
