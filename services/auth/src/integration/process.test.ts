import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createTokenVerifier, type Scope } from '@darktower/auth-verifier';
import { createTestDatabase } from '@darktower/data/testing';

const MAIN = new URL('../main.ts', import.meta.url).pathname;

function startProcess(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', MAIN], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const listening = new Promise<{ http: string; ops: string }>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout });
    rl.on('line', (line) => {
      lines.push(line);
      try {
        const entry = JSON.parse(line) as { message?: string; http?: string; ops?: string };
        if (
          entry.message === 'auth controller listening' &&
          entry.http !== undefined &&
          entry.ops !== undefined
        ) {
          resolve({ http: entry.http, ops: entry.ops });
        }
      } catch {
        // not a log line
      }
    });
    child.once('exit', (code) => {
      reject(new Error(`exited with ${String(code)} before listening: ${stderr} ${lines.join('\n')}`));
    });
  });
  return { child, listening, lines, stderr: () => stderr };
}

test('main.ts as a real process on PostgreSQL: curl flow, JWKS over HTTP, ops endpoints, graceful SIGTERM', async () => {
  await using db = await createTestDatabase({ prefix: 'dt_auth_proc' });
  const adminSecret = randomBytes(32).toString('base64url');
  const dataDir = mkdtempSync(join(tmpdir(), 'dt-auth-proc-'));
  const proc = startProcess({
    NODE_ENV: 'production',
    AUTH_MASTER_KEY: randomBytes(32).toString('base64'),
    DATABASE_URL: db.url,
    DATA_DIR: dataDir,
    AUTH_PORT: '0',
    AUTH_OPS_PORT: '0',
    AUTH_ISSUER: 'https://auth.proc.test',
    AUTH_AUDIENCE: 'darktower',
    AUTH_ARGON2_MEMORY_KIB: '1024',
    AUTH_ARGON2_TIME_COST: '1',
    AUTH_BOOTSTRAP_ADMIN_CLIENT_ID: 'svc_bootstrap_admin_proc',
    AUTH_BOOTSTRAP_ADMIN_CLIENT_SECRET: adminSecret,
  });
  try {
    const { http, ops } = await proc.listening;
    const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
      const res = await fetch(`${http}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const admin = await post('/api/v1/auth/token', {
      grant_type: 'client_credentials',
      client_id: 'svc_bootstrap_admin_proc',
      client_secret: adminSecret,
    });
    assert.equal(admin.status, 200);
    const reg = await post(
      '/v1/admin/services/register',
      { name: 'meeting-controller', scopes: ['service.write.mc'] },
      { authorization: `Bearer ${String(admin.body.access_token)}` },
    );
    assert.equal(reg.status, 201);
    const basic = Buffer.from(`${String(reg.body.client_id)}:${String(reg.body.client_secret)}`).toString(
      'base64',
    );
    const tokenRes = await fetch(`${http}/v1/auth/service/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    assert.equal(tokenRes.status, 200);
    const token = ((await tokenRes.json()) as { access_token: string }).access_token;

    const verifier = createTokenVerifier({
      jwksUrls: [`${http}/.well-known/jwks.json`],
      issuer: 'https://auth.proc.test',
      audience: 'darktower',
    });
    const claims = await verifier.verify(token, { requiredScopes: ['service.write.mc' as Scope] });
    assert.equal(claims.subject, reg.body.client_id);

    assert.equal((await fetch(`${ops}/health`)).status, 200);
    const ready = await fetch(`${ops}/ready`);
    assert.equal(ready.status, 200);
    const readyBody = (await ready.json()) as { checks: Record<string, { status: string }> };
    assert.equal(readyBody.checks.database?.status, 'ok');
    assert.equal(readyBody.checks.signing_key?.status, 'ok');
    const metrics = await (await fetch(`${ops}/metrics`)).text();
    assert.match(metrics, /dt_auth_tokens_issued_total\{[^}]*kind="service"[^}]*\} [1-9]/);
    assert.match(metrics, /dt_auth_token_issue_duration_seconds_bucket/);
    assert.ok(!proc.lines.join('\n').includes(adminSecret), 'the admin secret never reaches the logs');
    assert.ok(
      !proc.lines.join('\n').includes(String(reg.body.client_secret)),
      'client secrets never reach the logs',
    );

    proc.child.kill('SIGTERM');
    const [code] = (await once(proc.child, 'exit')) as [number | null];
    assert.equal(code, 0, proc.stderr());
  } finally {
    if (proc.child.exitCode === null) proc.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('main.ts in production mode without a master key exits 1 with a clear message', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'dt-auth-proc-'));
  try {
    const proc = startProcess({
      NODE_ENV: 'production',
      DATA_DIR: dataDir,
      AUTH_PORT: '0',
      AUTH_OPS_PORT: '0',
    });
    proc.listening.catch(() => undefined);
    const [code] = (await once(proc.child, 'exit')) as [number | null];
    assert.equal(code, 1);
    assert.match(proc.lines.join('\n'), /AUTH_MASTER_KEY/);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
