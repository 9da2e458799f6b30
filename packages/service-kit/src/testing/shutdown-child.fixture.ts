// A small service run as a child process by graceful-shutdown.test.ts: ops server + HTTP app + scope,
// shut down by signals. Usage: shutdown-child.fixture.ts <graceful|hang> <timeoutMs>
import { createInterface } from 'node:readline';
import { installGracefulShutdown } from '../graceful-shutdown.ts';
import { createHttpApp } from '../http-app.ts';
import { createLogger } from '../logger.ts';
import { createMetrics } from '../metrics.ts';
import { createOpsServer } from '../ops-server.ts';
import { Scope } from '../scope.ts';

const mode = process.argv[2] ?? 'graceful';
const timeoutMs = Number(process.argv[3] ?? '10000');

const logger = createLogger({ component: 'shutdown-child' });
const metrics = createMetrics({ prefix: 'child_' });
const scope = new Scope({
  name: 'service',
  onError: (err) => {
    logger.error({ err }, 'cleanup failed');
  },
});
scope.defer(() => {
  logger.info('scope cleanup ran');
});
const ops = createOpsServer({ port: 0, logger, metrics, checks: { self: () => Promise.resolve() } });
const app = createHttpApp({ logger, metrics, logRequests: false });
app.get('/hello', () => ({ hello: 'world' }));

// The parent writes "continue" once it has seen /ready go 503, standing in for the readiness period a real
// service waits so that load balancers stop sending traffic.
const lines = createInterface({ input: process.stdin });
const parentSaysContinue = (signal: AbortSignal): Promise<void> =>
  new Promise<void>((resolve, reject) => {
    lines.once('line', () => {
      resolve();
    });
    if (mode !== 'hang') {
      signal.addEventListener('abort', () => {
        reject(signal.reason as Error);
      });
    }
  });

installGracefulShutdown({
  logger,
  timeoutMs,
  steps: [
    {
      name: 'not-ready',
      run: () => {
        ops.drain();
      },
    },
    { name: 'wait-for-parent', run: parentSaysContinue },
    { name: 'close-http', run: () => app.close() },
    { name: 'close-scope', run: () => scope.close('shutdown') },
    { name: 'close-ops', run: () => ops.close('shutdown') },
  ],
});

const opsAddress = await ops.listen();
await app.listen({ host: '127.0.0.1', port: 0 });
const appAddress = app.server.address();
const appPort = typeof appAddress === 'object' && appAddress !== null ? appAddress.port : 0;
logger.info({ ops_url: opsAddress.url, app_url: `http://127.0.0.1:${appPort}` }, 'child ready');
