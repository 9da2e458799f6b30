// The real services the controller works with, for end-to-end tests: an Auth Controller (in process, PGlite in
// memory) that registers service clients and serves tokens and JWKS over HTTP, and Media Handler processes
// (services/media/src/main.ts) that fetch their own service tokens with the client credentials grant.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { authConfig, buildAuthController, type AuthController, type AuthDatabase } from '@darktower/auth';
import { toScope, type Scope } from '@darktower/auth-verifier';
import { openDatabase, type Database } from '@darktower/data';
import { createLogger } from '@darktower/service-kit';

export const AUTH_ISSUER = 'https://auth.e2e.darktower';
export const AUTH_AUDIENCE = 'darktower';

export interface ServiceClient {
  readonly clientId: string;
  readonly clientSecret: string;
}

export interface RealAuth extends AsyncDisposable {
  readonly controller: AuthController;
  readonly jwksUrl: string;
  readonly tokenUrl: string;
  register(name: string, scopes: readonly string[]): Promise<ServiceClient>;
  /** AUTH_* settings a service needs to verify this Auth Controller's tokens and fetch its own. */
  readonly env: Readonly<Record<string, string>>;
}

export async function startAuth(): Promise<RealAuth> {
  const database: Database<AuthDatabase> = await openDatabase<AuthDatabase>({});
  const controller = await buildAuthController(
    authConfig({
      masterKey: randomBytes(32).toString('base64'),
      issuer: AUTH_ISSUER,
      audience: AUTH_AUDIENCE,
      host: '127.0.0.1',
      port: '0',
      opsPort: '0',
      logLevel: 'silent',
      argon2MemoryKib: '1024',
      argon2TimeCost: '1',
    }),
    { logger: createLogger({ component: 'ac-e2e', level: 'silent' }), database },
  ).catch(async (error: unknown) => {
    await database.close();
    throw error;
  });
  const { http } = await controller.listen();
  const jwksUrl = `${http.url}/.well-known/jwks.json`;
  const tokenUrl = `${http.url}/v1/auth/service/token`;
  return {
    controller,
    jwksUrl,
    tokenUrl,
    env: {
      AUTH_JWKS_URLS: jwksUrl,
      AUTH_ISSUERS: AUTH_ISSUER,
      AUTH_AUDIENCE,
      AUTH_TOKEN_URL: tokenUrl,
    },
    register: async (name, names) => {
      const scopes = names.map((n) => toScope(n)).filter((s): s is Scope => s !== undefined);
      const c = await controller.service.registerService(name, scopes, 'e2e-test', '127.0.0.1');
      return { clientId: c.clientId, clientSecret: c.clientSecret };
    },
    [Symbol.asyncDispose]: async () => {
      await controller.close();
      await database.close();
    },
  };
}

const MEDIA_MAIN = fileURLToPath(new URL('../../../media/src/main.ts', import.meta.url));

export interface MediaHandlerProcess extends AsyncDisposable {
  readonly handlerId: string;
  readonly media: string;
  readonly rpc: string;
  readonly ops: string;
  /** Exit code after a SIGTERM. */
  stop(): Promise<number | null>;
}

/** Starts a real media handler process on ephemeral ports and waits for its ready line. */
export async function startMediaHandler(
  handlerId: string,
  env: Readonly<Record<string, string>>,
): Promise<MediaHandlerProcess> {
  const proc: ChildProcess = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', MEDIA_MAIN], {
    env: {
      ...process.env,
      MH_HANDLER_ID: handlerId,
      MH_MEDIA_PORT: '0',
      MH_RPC_PORT: '0',
      MH_OPS_PORT: '0',
      MH_LOG_LEVEL: 'warn',
      MH_HEARTBEAT_INTERVAL: '500ms',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', resolve));
  const stop = async (): Promise<number | null> => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    return exited;
  };
  try {
    const ready = await new Promise<{ media: string; rpc: string; ops: string }>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`${handlerId} did not start`));
      }, 30_000);
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`${handlerId} exited with ${String(code)}`));
      });
      const lines = createInterface({ input: proc.stdout as NodeJS.ReadableStream });
      lines.on('line', (line) => {
        if (!line.startsWith('{"ready":true')) return;
        clearTimeout(timer);
        resolve(JSON.parse(line) as { media: string; rpc: string; ops: string });
      });
    });
    return {
      handlerId,
      ...ready,
      stop,
      [Symbol.asyncDispose]: async () => {
        await stop();
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Polls until `check` is true (readiness of processes that report asynchronously). */
export async function eventually(check: () => Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
