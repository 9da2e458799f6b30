// Starts the real Media Handler (services/media/src/main.ts) as its own process on ephemeral ports, and a Connect
// client for its MediaHandlerService (what a Meeting Controller calls), authenticated with a development secret.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createClient, type Client } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { MediaHandlerService } from '@darktower/protocol';

const MAIN = new URL('../../../../services/media/src/main.ts', import.meta.url).pathname;

export interface MediaHandlerProcess extends AsyncDisposable {
  readonly media: string;
  /** MediaHandlerService base URL; its /media path is the WebSocket fallback. */
  readonly rpc: string;
  /** Development service secret: MediaHandlerService accepts `Bearer svc.<caller>.<secret>`. */
  readonly secret: string;
  readonly certificateHash: string;
  readonly client: Client<typeof MediaHandlerService>;
}

export async function startMediaHandler(env: Record<string, string> = {}): Promise<MediaHandlerProcess> {
  const secret = 'web-test-secret';
  const proc: ChildProcess = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', MAIN], {
    env: {
      ...process.env,
      MH_HANDLER_ID: 'mh-web-test',
      MH_MEDIA_PORT: '0',
      MH_RPC_PORT: '0',
      MH_OPS_PORT: '0',
      MH_SERVICE_SECRET: secret,
      MH_LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: proc.stdout as NodeJS.ReadableStream });
  const ready = await new Promise<{ media: string; rpc: string; certificateHash: string }>(
    (resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error('media handler did not start'));
      }, 30_000);
      proc.once('exit', (code) => {
        reject(new Error(`media handler exited with ${code}`));
      });
      lines.on('line', (line) => {
        if (!line.startsWith('{"ready":true')) return;
        clearTimeout(timer);
        resolve(JSON.parse(line) as { media: string; rpc: string; certificateHash: string });
      });
    },
  );
  const client = createClient(
    MediaHandlerService,
    createConnectTransport({
      baseUrl: ready.rpc,
      httpVersion: '1.1',
      interceptors: [
        (next) => (req) => {
          req.header.set('authorization', `Bearer svc.controller.${secret}`);
          return next(req);
        },
      ],
    }),
  );
  return {
    media: ready.media,
    rpc: ready.rpc,
    secret,
    certificateHash: ready.certificateHash,
    client,
    [Symbol.asyncDispose]: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) {
          resolve();
          return;
        }
        // SIGTERM lets it close gracefully; one that has not exited 10 s later is killed (a test file waits for
        // every child it started).
        const kill = setTimeout(() => proc.kill('SIGKILL'), 10_000);
        proc.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        proc.kill('SIGTERM');
      }),
  };
}
