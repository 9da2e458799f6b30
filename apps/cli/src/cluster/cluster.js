// A Dark Tower cluster on one machine: 1 Auth Controller, 2 Global Controllers, 2 Meeting Controllers and 3 Media
// Handlers, each its own `darktower serve <service>` process, against real PostgreSQL (a fresh database, reached
// through a cuttable TCP relay) and a private redis-server, behind a round-robin HTTP front. Service credentials
// are registered in the Auth Controller with the bootstrap admin client and used as client credentials.
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createTestDatabase } from '@darktower/data/testing';
import { mintDevCertificate } from '@darktower/transport';
import { ManagedProcess } from './managed-process.js';
import { freeTcpPort, freeUdpPort } from './ports.js';
import { redisProcess, waitForRedis } from './redis-process.js';
import { RoundRobinProxy } from './round-robin-proxy.js';
import { CuttableTcpProxy } from './tcp-proxy.js';
const SCOPES = {
  meeting: ['service.write.gc', 'service.read.gc', 'service.write.mh', 'service.read.mh'],
  media: ['service.write.mc', 'service.read.mc', 'service.write.mh', 'service.read.mh'],
  global: ['service.write.mc', 'service.read.mc'],
};
const REPO = resolve(new URL('../../../..', import.meta.url).pathname);
const MAIN = resolve(REPO, 'apps/cli/src/main.ts');
export class Cluster {
  dir;
  services = [];
  redis;
  redisPort;
  proxy;
  pgRelay;
  database;
  certificateHash;
  redisPrefix;
  #closing;
  constructor(init) {
    this.dir = init.dir;
    this.redis = init.redis;
    this.redisPort = init.redisPort;
    this.proxy = init.proxy;
    this.pgRelay = init.pgRelay;
    this.database = init.database;
    this.certificateHash = init.certificateHash;
    this.redisPrefix = init.redisPrefix;
  }
  /** The public origin (REST APIs, /api/v1/dev/transport). */
  get url() {
    return this.proxy.url;
  }
  byKind(kind) {
    return this.services.filter((s) => s.kind === kind);
  }
  service(name) {
    const s = this.services.find((x) => x.name === name);
    if (s === undefined) throw new Error(`no service ${name}`);
    return s;
  }
  static async start(options) {
    const progress = options.onProgress ?? (() => undefined);
    const dir = resolve(options.dir);
    const logs = join(dir, 'logs');
    mkdirSync(logs, { recursive: true });
    const level = options.logLevel ?? 'info';
    const tag = randomBytes(4).toString('hex');
    const database = await createTestDatabase({ prefix: 'dt_cluster' });
    const dbUrl = new URL(database.url);
    const pgRelay = await CuttableTcpProxy.listen({
      host: dbUrl.hostname,
      port: Number(dbUrl.port === '' ? 5432 : dbUrl.port),
    });
    dbUrl.hostname = '127.0.0.1';
    dbUrl.port = String(pgRelay.port);
    const databaseUrl = dbUrl.toString();
    const redisPort = await freeTcpPort();
    const redisDir = join(dir, 'redis');
    rmSync(redisDir, { recursive: true, force: true });
    mkdirSync(redisDir, { recursive: true });
    const redis = redisProcess(redisPort, join(logs, 'redis.log'), redisDir);
    await redis.start();
    await waitForRedis(redisPort);
    const redisUrl = `redis://127.0.0.1:${String(redisPort)}`;
    const redisPrefix = `dtc-${tag}:`;
    const cert = await mintDevCertificate();
    const certFile = join(dir, 'cert.pem');
    const keyFile = join(dir, 'key.pem');
    writeFileSync(certFile, cert.certPem);
    writeFileSync(keyFile, cert.keyPem, { mode: 0o600 });
    const services = [];
    const proxy = await RoundRobinProxy.listen({
      ...(options.port === undefined ? {} : { port: options.port }),
      global: () => services.filter((s) => s.kind === 'global').map((s) => s.baseUrl),
      auth: () => services.filter((s) => s.kind === 'auth').map((s) => s.baseUrl),
      devTransport: () => ({
        signaling: { certificateHash: Buffer.from(cert.sha256).toString('base64') },
        certificateHashes: [Buffer.from(cert.sha256).toString('base64')],
      }),
    });
    const cluster = new Cluster({
      dir,
      redis,
      redisPort,
      proxy,
      pgRelay,
      database,
      certificateHash: cert.sha256,
      redisPrefix,
    });
    const origin = proxy.url;
    const common = {
      NODE_ENV: 'development',
      LOG_LEVEL: level,
      AUTH_AUDIENCE: 'darktower',
      AUTH_ISSUERS: origin,
      AUTH_JWKS_URLS: `${origin}/.well-known/jwks.json`,
      AUTH_TOKEN_URL: `${origin}/v1/auth/service/token`,
    };
    const spawnService = (name, kind, env, apiPort, opsPort) => {
      const p = new ManagedProcess({
        name,
        command: process.execPath,
        args: ['--conditions=source', '--import', 'tsx', MAIN, 'serve', kind],
        env: { ...common, ...env },
        readyUrl: `http://127.0.0.1:${String(opsPort)}/ready`,
        logFile: join(logs, `${name}.log`),
        cwd: REPO,
      });
      const s = {
        name,
        kind,
        process: p,
        baseUrl: `http://127.0.0.1:${String(apiPort)}`,
        opsUrl: `http://127.0.0.1:${String(opsPort)}`,
      };
      services.push(s);
      cluster.services.push(s);
      return s;
    };
    try {
      // Auth Controller with a bootstrap admin client.
      const adminId = `svc_cluster_admin_${tag}`;
      const adminSecret = randomBytes(24).toString('base64url');
      const acPort = await freeTcpPort();
      const acOps = await freeTcpPort();
      const ac = spawnService(
        'ac-1',
        'auth',
        {
          AUTH_HOST: '127.0.0.1',
          AUTH_PORT: String(acPort),
          AUTH_OPS_PORT: String(acOps),
          DATABASE_URL: databaseUrl,
          REDIS_URL: redisUrl,
          DATA_DIR: dir,
          AUTH_ISSUER: origin,
          AUTH_SERVICE_TOKEN_TTL: '1h',
          AUTH_BOOTSTRAP_ADMIN_CLIENT_ID: adminId,
          AUTH_BOOTSTRAP_ADMIN_CLIENT_SECRET: adminSecret,
        },
        acPort,
        acOps,
      );
      progress('starting the Auth Controller');
      await ac.process.start();
      const admin = await clientToken(origin, adminId, adminSecret);
      const creds = async (name) => {
        const res = await fetch(`${origin}/v1/admin/services/register`, {
          method: 'POST',
          headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name: `cluster-${name}-${tag}`, scopes: SCOPES[name] }),
        });
        const body = await res.json();
        if (!res.ok || body.client_id === undefined || body.client_secret === undefined)
          throw new Error(`registering the ${name} service client failed (${String(res.status)})`);
        return { id: body.client_id, secret: body.client_secret };
      };
      const gcCreds = await creds('global');
      const mcCreds = await creds('meeting');
      const mhCreds = await creds('media');
      progress('starting the Global Controllers');
      const gcs = [];
      for (let i = 1; i <= (options.globalControllers ?? 2); i++) {
        const port = await freeTcpPort();
        const ops = await freeTcpPort();
        gcs.push(
          spawnService(
            `gc-${String(i)}`,
            'global',
            {
              GC_HOST: '127.0.0.1',
              GC_PORT: String(port),
              GC_OPS_PORT: String(ops),
              DATABASE_URL: databaseUrl,
              REDIS_URL: redisUrl,
              GC_REDIS_PREFIX: `${redisPrefix}gc:`,
              PUBLIC_BASE_URL: origin,
              GC_CLIENT_ID: gcCreds.id,
              GC_CLIENT_SECRET: gcCreds.secret,
              // Dead controllers leave the pool within seconds (the drills measure recovery, not detection defaults).
              MC_HEARTBEAT_TIMEOUT: '5s',
              GC_SWEEP_INTERVAL: '1s',
              // Everything arrives from 127.0.0.1 through the front: per-IP limits would throttle the bots.
              RATE_LIMIT_PER_MINUTE: '1000000',
            },
            port,
            ops,
          ),
        );
      }
      // Sequential: both run migrations against the same database.
      for (const gc of gcs) await gc.process.start();
      progress('starting the Meeting Controllers');
      const mcs = [];
      for (let i = 1; i <= (options.meetingControllers ?? 2); i++) {
        const rpcPort = await freeTcpPort();
        const ops = await freeTcpPort();
        mcs.push(
          spawnService(
            `mc-${String(i)}`,
            'meeting',
            {
              MC_ID: `mc-${String(i)}`,
              MC_HOST: '127.0.0.1',
              MC_PORT: String(await freeUdpPort()),
              MC_WS_PORT: String(await freeTcpPort()),
              MC_RPC_PORT: String(rpcPort),
              MC_OPS_PORT: String(ops),
              MC_TLS_CERT_FILE: certFile,
              MC_TLS_KEY_FILE: keyFile,
              REDIS_URL: redisUrl,
              MC_REDIS_PREFIX: `${redisPrefix}mc:`,
              GC_RPC_URL: origin,
              MC_CLIENT_ID: mcCreds.id,
              MC_CLIENT_SECRET: mcCreds.secret,
              JOIN_TOKEN_JWKS_URL: `${origin}/api/v1/join-keys.json`,
              JOIN_TOKEN_ISSUERS: origin,
              MC_RATE_LIMIT_PER_MINUTE: '1000000',
              MC_HANDLER_TIMEOUT: '5s',
              // Clients heartbeat every 2 s.
              MC_HEARTBEAT_INTERVAL: '2s',
              MC_SWEEP_INTERVAL: '1s',
            },
            rpcPort,
            ops,
          ),
        );
      }
      await Promise.all(mcs.map((mc) => mc.process.start()));
      progress('starting the Media Handlers');
      const mhs = [];
      for (let i = 1; i <= (options.mediaHandlers ?? 3); i++) {
        const rpcPort = await freeTcpPort();
        const ops = await freeTcpPort();
        const mc = mcs[(i - 1) % mcs.length];
        if (mc === undefined) throw new Error('media handlers need a meeting controller');
        mhs.push(
          spawnService(
            `mh-${String(i)}`,
            'media',
            {
              MH_LOG_LEVEL: level,
              MH_HANDLER_ID: `mh-${String(i)}`,
              MH_HOST: '127.0.0.1',
              MH_PUBLIC_HOST: '127.0.0.1',
              MH_MEDIA_PORT: String(await freeUdpPort()),
              MH_RPC_PORT: String(rpcPort),
              MH_OPS_PORT: String(ops),
              MH_CERT_PEM: cert.certPem,
              MH_KEY_PEM: cert.keyPem,
              MH_MEETING_CONTROLLER_URL: mc.baseUrl,
              MH_CLIENT_ID: mhCreds.id,
              MH_CLIENT_SECRET: mhCreds.secret,
            },
            rpcPort,
            ops,
          ),
        );
      }
      await Promise.all(mhs.map((mh) => mh.process.start()));
      progress(`cluster ready at ${origin}`);
      return cluster;
    } catch (error) {
      await cluster.close();
      throw error;
    }
  }
  /** Stops every process, the front and the relay, and drops the database. Idempotent. */
  close() {
    this.#closing ??= (async () => {
      const order = ['media', 'meeting', 'global', 'auth'];
      for (const kind of order) await Promise.allSettled(this.byKind(kind).map((s) => s.process.close()));
      await this.redis.close();
      await this.proxy.close();
      await this.pgRelay.close();
      await this.database.drop().catch(() => undefined);
    })();
    return this.#closing;
  }
  [Symbol.asyncDispose]() {
    return this.close();
  }
}
/** A client-credentials access token from the cluster's Auth Controller. */
export async function clientToken(origin, clientId, clientSecret) {
  const res = await fetch(`${origin}/v1/auth/service/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
    }),
  });
  const body = await res.json();
  if (!res.ok || body.access_token === undefined)
    throw new Error(`client credentials refused (${String(res.status)}): ${JSON.stringify(body)}`);
  return body.access_token;
}
//# sourceMappingURL=cluster.js.map
