// `darktower dev` (what `npm start` runs): the whole platform in one process, until Ctrl-C.
import { parseArgs } from 'node:util';
import { startDevStack } from '../dev/dev-stack.ts';

export async function devCommand(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string', default: env.PORT ?? '8080' },
      host: { type: 'string', default: env.HOST ?? '127.0.0.1' },
      'data-dir': { type: 'string', default: env.DATA_DIR ?? 'data' },
      'log-level': { type: 'string', default: env.LOG_LEVEL ?? 'warn' },
    },
    strict: true,
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port must be 0-65535, got ${values.port}`);
  const levels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
  const logLevel = levels.find((l) => l === values['log-level']);
  if (logLevel === undefined) throw new Error(`--log-level must be one of ${levels.join(', ')}`);

  const stack = await startDevStack({ port, host: values.host, dataDir: values['data-dir'], logLevel });
  const lines = [
    '',
    `Dark Tower is running (ready in ${(stack.startupMs / 1000).toFixed(1)} s).`,
    '',
    `  Open ${stack.url}${stack.webApp ? '' : '   (web app not built: run `npm run build -w @darktower/web`)'}`,
    '',
    `  REST APIs        ${stack.url}/api/v1/...  ${stack.url}/v1/auth/...  ${stack.url}/.well-known/jwks.json`,
    `  Signaling        ${stack.signaling.webtransport} (WebTransport, UDP)   ${stack.signaling.websocket} (WebSocket fallback)`,
    ...stack.media.map(
      (m) => `  Media handler    ${m.webtransport} (WebTransport, UDP)   ${m.websocket} (WebSocket fallback)`,
    ),
    `  Data             ${values['data-dir']} (embedded PostgreSQL; in-process state instead of Redis)`,
    '',
    'Press Ctrl-C to stop.',
    '',
  ];
  process.stdout.write(lines.join('\n'));
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.stdout.write('\nStopping...\n');
      void stack.close().then(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  process.stdout.write('Stopped.\n');
  return 0;
}
