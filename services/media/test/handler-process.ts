import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createClient, type Client } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { MediaHandlerService } from '@darktower/protocol';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

export interface HandlerProcess {
  proc: ChildProcess;
  media: string;
  rpc: string;
  ops: string;
  hash: Uint8Array;
  client: Client<typeof MediaHandlerService>;
  stop(): Promise<number | null>;
}

/** Starts `src/main.ts` as a real process on ephemeral ports and waits for its ready line. */
export async function startHandler(
  handlerId: string,
  secret: string,
  extraEnv: Record<string, string> = {},
): Promise<HandlerProcess> {
  const proc = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', MAIN], {
    env: {
      ...process.env,
      MH_HANDLER_ID: handlerId,
      MH_MEDIA_PORT: '0',
      MH_RPC_PORT: '0',
      MH_OPS_PORT: '0',
      MH_SERVICE_SECRET: secret,
      MH_LOG_LEVEL: 'warn',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: proc.stdout as NodeJS.ReadableStream });
  const ready = await new Promise<{ media: string; rpc: string; ops: string; certificateHash: string }>(
    (resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`${handlerId} did not start`));
      }, 20_000);
      proc.once('exit', (code) => {
        reject(new Error(`${handlerId} exited with ${code}`));
      });
      lines.on('line', (line) => {
        if (!line.startsWith('{"ready":true')) return;
        clearTimeout(timer);
        resolve(JSON.parse(line) as { media: string; rpc: string; ops: string; certificateHash: string });
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
    proc,
    media: ready.media,
    rpc: ready.rpc,
    ops: ready.ops,
    hash: new Uint8Array(Buffer.from(ready.certificateHash, 'base64')),
    client,
    stop: () =>
      new Promise((resolve) => {
        // Already gone (also by a signal: exitCode stays null then, and 'exit' will not fire again).
        if (proc.exitCode !== null || proc.signalCode !== null) {
          resolve(proc.exitCode);
          return;
        }
        proc.once('exit', (code) => {
          resolve(code);
        });
        proc.kill('SIGTERM');
      }),
  };
}
