// A real Meeting Controller process (services/meeting/src/main.ts, started by path: services never import each other)
// in development mode, and join tokens for it signed by a loopback JWKS, for tests that need the controller and the
// client SDK around real media handler processes.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { SignJWT } from 'jose';
import type { TestKey } from '@darktower/auth-verifier/testing';

const MC_MAIN = fileURLToPath(new URL('../../meeting/src/main.ts', import.meta.url));
export const ISSUER = 'https://gc.failover.test';

export interface ControllerProcess {
  proc: ChildProcess;
  rpc: string;
  signaling: string;
  hash: Uint8Array;
}

export async function startController(env: Record<string, string>): Promise<ControllerProcess> {
  const proc = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', MC_MAIN], {
    env: { ...process.env, MC_PORT: '0', MC_WS_PORT: '0', MC_RPC_PORT: '0', MC_OPS_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: proc.stdout as NodeJS.ReadableStream });
  const ready = await new Promise<{ rpc: string; signaling: string; certificateHash: string }>(
    (resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error('meeting controller did not start'));
      }, 30_000);
      proc.once('exit', (code) => {
        reject(new Error(`meeting controller exited with ${String(code)}`));
      });
      lines.on('line', (line) => {
        if (!line.startsWith('{"ready":true')) return;
        clearTimeout(timer);
        resolve(JSON.parse(line) as { rpc: string; signaling: string; certificateHash: string });
      });
    },
  );
  return {
    proc,
    rpc: ready.rpc,
    signaling: ready.signaling,
    hash: new Uint8Array(Buffer.from(ready.certificateHash, 'base64')),
  };
}

export async function eventually(
  check: () => boolean | Promise<boolean>,
  what: string,
  ms = 30_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function joinToken(key: TestKey, meetingId: string, sub: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ meeting_id: meetingId, display_name: sub, role: 'participant' })
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'JWT' })
    .setIssuer(ISSUER)
    .setAudience('darktower-mc')
    .setSubject(sub)
    .setIssuedAt(now)
    .setExpirationTime(now + 300)
    .setJti(randomUUID())
    .sign(key.privateKey);
}
