// A private redis-server for the cluster (its own port, append-only file in the cluster folder), so a drill can restart Redis without
// touching the machine's shared instance.
import { ManagedProcess } from './managed-process.js';
/** Append-only file in `dir`, as a production Redis would keep: a restart brings the data back. */
export function redisProcess(port, logFile, dir) {
  return new ManagedProcess({
    name: 'redis',
    command: 'redis-server',
    args: [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'yes',
      '--appendfsync',
      'everysec',
      '--dir',
      dir,
      '--protected-mode',
      'yes',
    ],
    env: {},
    logFile,
  });
}
/** Waits until Redis answers PING on `port`. */
export async function waitForRedis(port, timeoutMs = 10_000) {
  const { connect } = await import('node:net');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.setTimeout(500);
      s.once('connect', () => s.write('PING\r\n'));
      s.once('data', (d) => {
        s.destroy();
        resolve(d.toString().startsWith('+PONG'));
      });
      s.once('error', () => {
        resolve(false);
      });
      s.once('timeout', () => {
        s.destroy();
        resolve(false);
      });
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`redis on port ${String(port)} not ready`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
//# sourceMappingURL=redis-process.js.map
