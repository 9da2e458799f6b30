// A Dark Tower cluster on one machine: 1 Auth Controller, 2 Global Controllers, 2 Meeting Controllers and 3 Media
// Handlers, each its own `darktower serve <service>` process, against real PostgreSQL (a fresh database, reached
// through a cuttable TCP relay) and a private redis-server, behind a round-robin HTTP front. Service credentials
// are registered in the Auth Controller with the bootstrap admin client and used as client credentials.
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@darktower/data/testing';
import { mintDevCertificate } from '@darktower/transport';
import { ManagedProcess } from './managed-process.ts';
import { freeTcpPort, freeUdpPort } from './ports.ts';
import { redisProcess, waitForRedis } from './redis-process.ts';
import { FrontThread } from './front-thread.ts';
import { CuttableTcpProxy } from './tcp-proxy.ts';

export interface ClusterOptions {
  /** Folder for logs, the auth master key and certificates (created). */
  readonly dir: string;
  readonly globalControllers?: number;
  readonly meetingControllers?: number;
  readonly mediaHandlers?: number;
  readonly logLevel?: string;
  /** Port of the HTTP front (0 = free one). */
  readonly port?: number;
  /** Stop processes gracefully on close (default true); false kills them. */
  readonly onProgress?: (line: string) => void;
  /** Extra environment of one service process (e.g. OTEL_TRACES_EXPORTER=file and its OTEL_TRACES_FILE). */
  readonly serviceEnv?: (name: string, kind: ServiceProcess['kind']) => Record<string, string>;
}

export interface ServiceProcess {
  readonly name: string;
  readonly kind: 'auth' | 'global' | 'meeting' | 'media';
  readonly process: ManagedProcess;
  /** HTTP base of the service's API / RPC port. */
  readonly baseUrl: string;
  readonly opsUrl: string;
}

const SCOPES = {
  meeting: ['service.write.gc', 'service.read.gc', 'service.write.mh', 'service.read.mh'],
  media: ['service.write.mc', 'service.read.mc', 'service.write.mh', 'service.read.mh'],
  global: ['service.write.mc', 'service.read.mc'],
} as const;

const REPO = resolve(new URL('../../../..', import.meta.url).pathname);
const MAIN = resolve(REPO, 'apps/cli/src/main.ts');

export class Cluster implements AsyncDisposable {
  readonly dir: string;
  readonly services: ServiceProcess[] = [];
  readonly redis: ManagedProcess;
  readonly redisPort: number;
  readonly proxy: FrontThread;
  readonly pgRelay: CuttableTcpProxy;
  readonly database: TestDatabase;
  readonly certificateHash: Uint8Array;
  readonly redisPrefix: string;
  #closing: Promise<void> | undefined;

  private constructor(init: {
    dir: string;
    redis: ManagedProcess;
    redisPort: number;
    proxy: FrontThread;
    pgRelay: CuttableTcpProxy;
    database: TestDatabase;
    certificateHash: Uint8Array;
    redisPrefix: string;
  }) {
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
  get url(): string {
    return this.proxy.url;
  }

  byKind(kind: ServiceProcess['kind']): ServiceProcess[] {
    return this.services.filter((s) => s.kind === kind);
  }

  service(name: string): ServiceProcess {
    const s = this.services.find((x) => x.name === name);
    if (s === undefined) throw new Error(`no service ${name}`);
    return s;
  }

  static async start(options: ClusterOptions): Promise<Cluster> {
    const progress = options.onProgress ?? (() => undefined);
    const dir = resolve(options.dir);
    const logs = join(dir, 'logs');
    mkdirSync(logs, { recursive: true });
    const level = options.logLevel ?? 'info';
    const tag = randomBytes(4).toString('hex');

    // What is acquired before the cluster object exists is released if a later step fails (a front that does not
    // start, say): no Redis, relay or database left behind, and the command exits instead of hanging.
    const undo: (() => Promise<void>)[] = [];
    const acquire = async <T>(get: () => Promise<T>, release: (t: T) => Promise<void>): Promise<T> => {
      const t = await get();
      undo.unshift(() => release(t));
      return t;
    };
    const services: ServiceProcess[] = [];
    const certFile = join(dir, 'cert.pem');
    const keyFile = join(dir, 'key.pem');
    let cluster: Cluster;
    let cert: Awaited<ReturnType<typeof mintDevCertificate>>;
    let databaseUrl: string;
    let redisUrl: string;
    let redisPrefix: string;
    try {
      const database = await acquire(
        () => createTestDatabase({ prefix: 'dt_cluster' }),
        (d) => d.drop(),
      );
      const dbUrl = new URL(database.url);
      const pgRelay = await acquire(
        () =>
          CuttableTcpProxy.listen({
            host: dbUrl.hostname,
            port: Number(dbUrl.port === '' ? 5432 : dbUrl.port),
          }),
        (r) => r.close(),
      );
      dbUrl.hostname = '127.0.0.1';
      dbUrl.port = String(pgRelay.port);
      databaseUrl = dbUrl.toString();

      const redisPort = await freeTcpPort();
      const redisDir = join(dir, 'redis');
      rmSync(redisDir, { recursive: true, force: true });
      mkdirSync(redisDir, { recursive: true });
      const redis = redisProcess(redisPort, join(logs, 'redis.log'), redisDir);
      await acquire(
        () => redis.start(),
        () => redis.close(),
      );
      await waitForRedis(redisPort);
      redisUrl = `redis://127.0.0.1:${String(redisPort)}`;
      redisPrefix = `dtc-${tag}:`;

      const minted = await mintDevCertificate();
      cert = minted;
      writeFileSync(certFile, minted.certPem);
      writeFileSync(keyFile, minted.keyPem, { mode: 0o600 });

      const proxy = await FrontThread.start({
        ...(options.port === undefined ? {} : { port: options.port }),
        global: () => services.filter((s) => s.kind === 'global').map((s) => s.baseUrl),
        auth: () => services.filter((s) => s.kind === 'auth').map((s) => s.baseUrl),
        devTransport: () => ({
          signaling: { certificateHash: Buffer.from(minted.sha256).toString('base64') },
          certificateHashes: [Buffer.from(minted.sha256).toString('base64')],
        }),
      });
      cluster = new Cluster({
        dir,
        redis,
        redisPort,
        proxy,
        pgRelay,
        database,
        certificateHash: minted.sha256,
        redisPrefix,
      });
    } catch (error) {
      for (const release of undo) await release().catch(() => undefined);
      throw error;
    }
    const origin = cluster.proxy.url;
    const common = {
      NODE_ENV: 'development',
      // The services stop when this process dies (a crashed drill or soak leaves no orphans behind).
      DARKTOWER_EXIT_WITH_PARENT: '1',
      LOG_LEVEL: level,
      AUTH_AUDIENCE: 'darktower',
      AUTH_ISSUERS: origin,
      AUTH_JWKS_URLS: `${origin}/.well-known/jwks.json`,
      AUTH_TOKEN_URL: `${origin}/v1/auth/service/token`,
    };
    /**
     * Starts one service and waits until it is ready. Its API and ops ports are picked just before the start (`env`
     * gets them, and may pick more); a port found free can be taken by another process before the service binds it
     * (QUIC clients bind ephemeral UDP ports), so a service that exits on EADDRINUSE is started again on fresh
     * ports (up to three times).
     */
    const startService = async (
      name: string,
      kind: ServiceProcess['kind'],
      env: (apiPort: number, opsPort: number) => Record<string, string> | Promise<Record<string, string>>,
    ): Promise<ServiceProcess> => {
      for (let attempt = 1; ; attempt++) {
        const apiPort = await freeTcpPort();
        const opsPort = await freeTcpPort();
        const own = await env(apiPort, opsPort);
        const p = new ManagedProcess({
          name,
          command: process.execPath,
          args: ['--conditions=source', '--import', 'tsx', MAIN, 'serve', kind],
          env: { ...common, ...own, ...options.serviceEnv?.(name, kind) },
          readyUrl: `http://127.0.0.1:${String(opsPort)}/ready`,
          logFile: join(logs, `${name}.log`),
          cwd: REPO,
        });
        const s: ServiceProcess = {
          name,
          kind,
          process: p,
          baseUrl: `http://127.0.0.1:${String(apiPort)}`,
          opsUrl: `http://127.0.0.1:${String(opsPort)}`,
        };
        services.push(s);
        try {
          await p.start();
        } catch (error) {
          services.splice(services.indexOf(s), 1);
          await p.kill();
          if (attempt < 3 && p.state === 'exited' && p.outputTail.includes('EADDRINUSE')) {
            progress(`${name}: a port was taken before it could bind it; starting again on other ports`);
            continue;
          }
          throw error;
        }
        cluster.services.push(s);
        return s;
      }
    };

    try {
      // Auth Controller with a bootstrap admin client.
      const adminId = `svc_cluster_admin_${tag}`;
      const adminSecret = randomBytes(24).toString('base64url');
      progress('starting the Auth Controller');
      await startService('ac-1', 'auth', (apiPort, opsPort) => ({
        AUTH_HOST: '127.0.0.1',
        AUTH_PORT: String(apiPort),
        AUTH_OPS_PORT: String(opsPort),
        DATABASE_URL: databaseUrl,
        REDIS_URL: redisUrl,
        DATA_DIR: dir,
        AUTH_ISSUER: origin,
        AUTH_SERVICE_TOKEN_TTL: '1h',
        AUTH_BOOTSTRAP_ADMIN_CLIENT_ID: adminId,
        AUTH_BOOTSTRAP_ADMIN_CLIENT_SECRET: adminSecret,
      }));

      const admin = await clientToken(origin, adminId, adminSecret);
      const creds = async (
        name: keyof typeof SCOPES,
        suffix = '',
      ): Promise<{ id: string; secret: string }> => {
        const res = await fetch(`${origin}/v1/admin/services/register`, {
          method: 'POST',
          headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name: `cluster-${name}${suffix}-${tag}`, scopes: SCOPES[name] }),
        });
        const body = (await res.json()) as { client_id?: string; client_secret?: string };
        if (!res.ok || body.client_id === undefined || body.client_secret === undefined)
          throw new Error(`registering the ${name} service client failed (${String(res.status)})`);
        return { id: body.client_id, secret: body.client_secret };
      };
      const gcCreds = await creds('global');
      const mcCreds = await creds('meeting');

      progress('starting the Global Controllers');
      // Sequential: they run migrations against the same database.
      for (let i = 1; i <= (options.globalControllers ?? 2); i++) {
        await startService(`gc-${String(i)}`, 'global', (apiPort, opsPort) => ({
          GC_HOST: '127.0.0.1',
          GC_PORT: String(apiPort),
          GC_OPS_PORT: String(opsPort),
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
        }));
      }

      progress('starting the Meeting Controllers');
      const mcs = await Promise.all(
        Array.from({ length: options.meetingControllers ?? 2 }, (_, k) => {
          const name = `mc-${String(k + 1)}`;
          return startService(name, 'meeting', async (apiPort, opsPort) => ({
            MC_ID: name,
            MC_HOST: '127.0.0.1',
            MC_PORT: String(await freeUdpPort()),
            MC_WS_PORT: String(await freeTcpPort()),
            MC_RPC_PORT: String(apiPort),
            MC_OPS_PORT: String(opsPort),
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
            // Every bot connects from 127.0.0.1 (the default of 64 per address capped the soak at ~96 bots).
            MC_MAX_CONNECTIONS_PER_IP: '100000',
            MC_HANDLER_TIMEOUT: '5s',
            // A meeting of more than four spreads over the handlers: its media crosses cascade links.
            MC_MEETING_PARTICIPANTS_PER_HANDLER: '4',
            // Clients heartbeat every 2 s.
            MC_HEARTBEAT_INTERVAL: '2s',
            MC_SWEEP_INTERVAL: '1s',
          }));
        }),
      );

      progress('starting the Media Handlers');
      if (mcs.length === 0) throw new Error('media handlers need a meeting controller');
      // Each handler its own service client, and its id is the client id: cascade peers check the token's subject.
      const mhCreds: { id: string; secret: string }[] = [];
      for (let i = 1; i <= (options.mediaHandlers ?? 3); i++)
        mhCreds.push(await creds('media', `-${String(i)}`));
      await Promise.all(
        mhCreds.map((c, k) =>
          startService(`mh-${String(k + 1)}`, 'media', async (apiPort, opsPort) => ({
            MH_LOG_LEVEL: level,
            MH_HANDLER_ID: c.id,
            MH_HOST: '127.0.0.1',
            MH_PUBLIC_HOST: '127.0.0.1',
            MH_MEDIA_PORT: String(await freeUdpPort()),
            MH_RPC_PORT: String(apiPort),
            MH_OPS_PORT: String(opsPort),
            MH_CERT_PEM: cert.certPem,
            MH_KEY_PEM: cert.keyPem,
            // Every controller may place a meeting on any handler: a meeting always has a standby.
            MH_MEETING_CONTROLLER_URL: mcs.map((m) => m.baseUrl).join(','),
            MH_CLIENT_ID: c.id,
            MH_CLIENT_SECRET: c.secret,
            MH_MAX_CONNECTIONS_PER_IP: '100000',
          })),
        ),
      );
      // In a stable order (ac-1, gc-1, gc-2, mc-1, ...), whichever of the parallel starts finished first.
      const kinds: ServiceProcess['kind'][] = ['auth', 'global', 'meeting', 'media'];
      cluster.services.sort(
        (a, b) =>
          kinds.indexOf(a.kind) - kinds.indexOf(b.kind) ||
          a.name.localeCompare(b.name, 'en', { numeric: true }),
      );
      progress(`cluster ready at ${origin}`);
      return cluster;
    } catch (error) {
      await cluster.close();
      throw error;
    }
  }

  /** Stops every process, the front and the relay, and drops the database. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const order: ServiceProcess['kind'][] = ['media', 'meeting', 'global', 'auth'];
      for (const kind of order) await Promise.allSettled(this.byKind(kind).map((s) => s.process.close()));
      await this.redis.close();
      await this.proxy.close();
      await this.pgRelay.close();
      await this.database.drop().catch(() => undefined);
    })();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** A client-credentials access token from the cluster's Auth Controller. */
export async function clientToken(origin: string, clientId: string, clientSecret: string): Promise<string> {
  const res = await fetch(`${origin}/v1/auth/service/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
    }),
  });
  const body = (await res.json()) as { access_token?: string };
  if (!res.ok || body.access_token === undefined)
    throw new Error(`client credentials refused (${String(res.status)}): ${JSON.stringify(body)}`);
  return body.access_token;
}
