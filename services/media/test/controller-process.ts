// A real Meeting Controller process (services/meeting/src/main.ts, started by path: services never import each other)
// in development mode, and join tokens for it signed by a loopback JWKS, for tests that need the controller and the
// client SDK around real media handler processes.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { SignJWT } from 'jose';
import { JwksServer, makeTestKey, type TestKey } from '@darktower/auth-verifier/testing';
import { startHandler, type HandlerProcess } from './handler-process.ts';

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

/** A loopback JWKS with a join-token key, a controller trusting it, and one handler registered with the controller. */
export interface ControllerWithHandler extends AsyncDisposable {
  readonly key: TestKey;
  readonly mc: ControllerProcess;
  readonly handler: HandlerProcess;
}

export async function startControllerWithHandler(
  keyId: string,
  handlerId: string,
): Promise<ControllerWithHandler> {
  const secret = randomBytes(12).toString('hex');
  const jwks = await JwksServer.start();
  const key = makeTestKey(keyId);
  jwks.keys = [key];
  const mc = await startController({
    JOIN_TOKEN_JWKS_URL: jwks.url,
    JOIN_TOKEN_ISSUERS: ISSUER,
    MC_GC_SERVICE_TOKEN: `svc.controller.${secret}`,
    LOG_LEVEL: 'error',
  });
  const handler = await startHandler(handlerId, secret, {
    MH_MEETING_CONTROLLER_URL: mc.rpc,
    MH_HEARTBEAT_INTERVAL: '500ms',
  });
  await eventually(async () => (await fetch(`${handler.ops}/ready`)).status === 200, 'handler registered');
  return {
    key,
    mc,
    handler,
    async [Symbol.asyncDispose]() {
      await handler.stop();
      mc.proc.kill('SIGTERM');
      await jwks.close();
    },
  };
}
