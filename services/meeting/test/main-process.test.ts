// The real process: `main.ts` starts from environment variables, prints its addresses, serves /health and /ready,
// answers a bot over QUIC, and exits 0 on SIGTERM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ErrorCode } from '@darktower/protocol';
import { connectWebTransport } from '@darktower/transport';
import { JoinTokenIssuer, TEST_ISSUER } from '../src/testing/join-tokens.ts';
import { SignalingClient, expectKind } from '../src/testing/signaling-client.ts';

test('main.ts runs as a process and shuts down cleanly', async () => {
  await using issuer = await JoinTokenIssuer.start();
  const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', main], {
    env: {
      ...process.env,
      MC_PORT: '0',
      MC_WS_PORT: '0',
      MC_RPC_PORT: '0',
      MC_OPS_PORT: '0',
      JOIN_TOKEN_JWKS_URL: issuer.jwks.url,
      JOIN_TOKEN_ISSUERS: TEST_ISSUER,
      LOG_LEVEL: 'warn',
      REDIS_URL: '',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  try {
    let ready: { signaling: string; certificateHash: string; ops: string } | undefined;
    for await (const line of createInterface({ input: child.stdout })) {
      if (line.startsWith('{"ready":true')) {
        ready = JSON.parse(line) as typeof ready;
        break;
      }
    }
    assert.ok(ready !== undefined, 'no ready line');
    assert.equal((await fetch(`${ready.ops}/health`)).status, 200);
    assert.equal((await fetch(`${ready.ops}/ready`)).status, 200);

    const session = await connectWebTransport(ready.signaling, {
      serverCertificateHashes: [Buffer.from(ready.certificateHash, 'base64')],
    });
    const bot = await SignalingClient.open(session);
    // No media handler has registered with this controller: the join is refused as UNAVAILABLE, not a crash.
    const meeting = randomUUID();
    const reply = await bot.request({
      case: 'join',
      value: { meetingId: meeting, joinToken: await issuer.sign({ meetingId: meeting, sub: 'bot' }) },
    });
    assert.equal(expectKind(reply, 'error').code, ErrorCode.UNAVAILABLE);
    await bot.ended;
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0);
});
