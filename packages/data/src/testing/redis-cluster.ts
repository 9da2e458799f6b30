// A real Redis Cluster for tests: three redis-server masters with --cluster-enabled on free ports of loopback,
// joined by `redis-cli --cluster create` (no replicas), in a temporary folder removed on close.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';

export interface LocalRedisCluster {
  readonly urls: readonly string[];
  close(): Promise<void>;
}

/** Whether redis-server and redis-cli are installed (the cluster needs both). */
export function redisClusterAvailable(): boolean {
  const ok = (cmd: string): boolean => spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
  return ok('redis-server') && ok('redis-cli');
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => { resolve(); }));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function clusterInfo(url: string): Promise<string> {
  const c = createClient({ url, socket: { reconnectStrategy: false } });
  c.on('error', () => undefined);
  await c.connect();
  try {
    return await c.clusterInfo();
  } finally {
    c.destroy();
  }
}

export async function startRedisCluster(nodes = 3): Promise<LocalRedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'dt-redis-cluster-'));
  const children: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) {
              resolve();
              return;
            }
            c.once('exit', () => { resolve(); });
            c.kill('SIGTERM');
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const ports: number[] = [];
    for (let i = 0; i < nodes; i++) {
      const port = await freePort();
      const bus = await freePort();
      ports.push(port);
      const child = spawn(
        'redis-server',
        [
          '--port', String(port),
          '--cluster-port', String(bus),
          '--bind', '127.0.0.1',
          '--cluster-enabled', 'yes',
          '--cluster-config-file', `nodes-${String(port)}.conf`,
          '--cluster-node-timeout', '5000',
          '--dir', dir,
          '--save', '',
          '--appendonly', 'no',
          '--protected-mode', 'yes',
        ],
        { stdio: 'ignore' },
      );
      children.push(child);
    }
    const urls = ports.map((p) => `redis://127.0.0.1:${String(p)}`);
    for (const url of urls) await until(`${url} to answer`, async () => (await clusterInfo(url)).length > 0);
    const create = spawnSync(
      'redis-cli',
      ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${String(p)}`), '--cluster-replicas', '0', '--cluster-yes'],
      { encoding: 'utf8', timeout: 60_000 },
    );
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
    for (const url of urls) {
      await until(`${url} to see the cluster ok`, async () => {
        const info = await clusterInfo(url);
        return info.includes('cluster_state:ok') && info.includes(`cluster_known_nodes:${String(nodes)}`);
      });
    }
    return { urls, close: stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
