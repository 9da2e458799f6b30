// `npm run cluster`: a Dark Tower cluster on this machine (1 Auth, 2 Global, 2 Meeting Controllers, 3 Media
// Handlers as separate processes; real PostgreSQL and a private Redis; a round-robin HTTP front). Runs until
// Ctrl-C. Options: --dir <folder for logs> (default ./data/cluster), --port <front port> (default 8080).
import { parseArgs } from 'node:util';
import { Cluster } from '../apps/cli/src/cluster/cluster.ts';

const { values } = parseArgs({
  options: {
    dir: { type: 'string', default: 'data/cluster' },
    port: { type: 'string', default: '8080' },
    'log-level': { type: 'string', default: 'info' },
  },
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('--port must be a port number');
const started = performance.now();
const cluster = await Cluster.start({
  dir: values.dir,
  port,
  logLevel: values['log-level'],
  onProgress: (line) => {
    process.stdout.write(`${line}\n`);
  },
});
process.stdout.write(
  `\nDark Tower cluster up in ${String(Math.round(performance.now() - started))} ms\n` +
    `  API            ${cluster.url}\n` +
    cluster.services
      .map((s) => `  ${s.name.padEnd(14)} ${s.baseUrl}  (ops ${s.opsUrl}, pid ${String(s.process.pid)})`)
      .join('\n') +
    `\n  redis          127.0.0.1:${String(cluster.redisPort)} (prefix ${cluster.redisPrefix})\n` +
    `  postgres       ${cluster.database.url} (via relay port ${String(cluster.pgRelay.port)})\n` +
    `  logs           ${cluster.dir}/logs\n\n` +
    `Try: darktower bot --url ${cluster.url} --meeting <code> --count 4\nPress Ctrl-C to stop.\n`,
);
let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  process.stdout.write('Stopping...\n');
  void cluster.close().then(() => {
    process.stdout.write('Stopped.\n');
  });
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
