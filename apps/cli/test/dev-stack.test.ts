// The one-command mode as a user meets it: the real services in one process, driven over HTTP, and the
// `darktower dev` process stopped with Ctrl-C.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { callApi } from '../src/api-client.ts';
import { startDevStack } from '../src/dev/dev-stack.ts';

const password = 'correct horse battery staple';

test('dev stack: register, sign in, create a meeting, resolve it by code, guest join; data kept across restarts', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'dt-dev-'));
  try {
    let meetingCode: string;
    {
      await using stack = await startDevStack({ port: 0, dataDir, logLevel: 'silent' });
      assert.match(stack.url, /^http:\/\/localhost:\d+$/);
      const jwks = await callApi<{ keys: { kty: string; crv: string }[] }>(stack.url, {
        method: 'GET',
        path: '/.well-known/jwks.json',
      });
      assert.ok(jwks.keys.some((k) => k.kty === 'OKP' && k.crv === 'Ed25519'));

      await callApi(stack.url, {
        method: 'POST',
        path: '/api/v1/users',
        json: { username: 'alice', password, display_name: 'Alice' },
      });
      const login = await callApi<{ access_token: string }>(stack.url, {
        method: 'POST',
        path: '/v1/auth/user/token',
        json: { username: 'alice', password },
      });
      const created = await callApi<{
        meeting_id: string;
        meeting_url: string;
        meeting_controller_url: string;
      }>(stack.url, {
        method: 'POST',
        path: '/api/v1/meetings',
        token: login.access_token,
        json: {
          display_name: 'Standup',
          max_participants: 10,
          settings: { enable_e2e_encryption: true, require_auth: false, recording_enabled: false },
        },
      });
      assert.match(created.meeting_url, new RegExp(`^${stack.url}/m/[a-z]{3}-[a-z]{4}-[a-z]{3}$`));
      assert.equal(created.meeting_controller_url, stack.signaling.webtransport);
      meetingCode = created.meeting_url.split('/').at(-1) ?? '';

      const byCode = await callApi<{ meeting_id: string }>(stack.url, {
        method: 'GET',
        path: `/api/v1/meetings/${meetingCode}`,
        token: login.access_token,
      });
      assert.equal(byCode.meeting_id, created.meeting_id);
      const guest = await callApi<{ join_token: string; meeting_controller_url: string }>(stack.url, {
        method: 'POST',
        path: `/api/v1/meetings/${meetingCode}/join`,
        json: { display_name: 'Bob' },
      });
      assert.ok(guest.join_token.split('.').length === 3);

      const transport = await callApi<{ signaling: { certificateHash: string }; media: unknown[] }>(
        stack.url,
        {
          method: 'GET',
          path: '/api/v1/dev/transport',
        },
      );
      assert.equal(Buffer.from(transport.signaling.certificateHash, 'base64').byteLength, 32);
      assert.equal(transport.media.length, 1);
    }
    // Restarted on the same data folder: the account and the meeting are still there.
    await using again = await startDevStack({ port: 0, dataDir, logLevel: 'silent' });
    const login = await callApi<{ access_token: string }>(again.url, {
      method: 'POST',
      path: '/v1/auth/user/token',
      json: { username: 'alice', password },
    });
    const meeting = await callApi<{ display_name: string }>(again.url, {
      method: 'GET',
      path: `/api/v1/meetings/${meetingCode}`,
      token: login.access_token,
    });
    assert.equal(meeting.display_name, 'Standup');
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('darktower dev prints where it runs and stops cleanly on Ctrl-C', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'dt-dev-'));
  try {
    const child = spawn(
      process.execPath,
      [
        '--conditions=source',
        '--import',
        'tsx',
        new URL('../src/main.ts', import.meta.url).pathname,
        'dev',
        '--port',
        '0',
        '--data-dir',
        dataDir,
        '--log-level',
        'silent',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    while (!out.includes('Press Ctrl-C to stop.')) {
      const early = await Promise.race([exited, new Promise((r) => setTimeout(r, 200, 'waiting'))]);
      if (early !== 'waiting') assert.fail(`darktower dev exited early (${String(early)}):\n${out}`);
    }
    assert.match(out, /Open http:\/\/localhost:\d+/);
    assert.match(out, /Signaling +https:\/\/127\.0\.0\.1:\d+/);
    assert.match(out, /Media handler +https:\/\/127\.0\.0\.1:\d+\/media/);
    const url = /Open (http:\/\/localhost:\d+)/.exec(out)?.[1] ?? '';
    const res = await fetch(`${url}/.well-known/jwks.json`);
    assert.equal(res.status, 200);
    child.kill('SIGINT');
    assert.equal(await exited, 0);
    assert.match(out, /Stopped\./);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
