import { createClient, createCluster, ErrorReply } from 'redis';
import { DataError } from '../errors.ts';
import type { DataLogger } from '../logger.ts';
import {
  DEFAULT_KEY_VALUE_LIMITS,
  type KeyValueLimits,
  type KeyValueStore,
  type MessageHandler,
  type TtlOptions,
  type Unsubscribe,
} from './key-value-store.ts';
import { KeyValueValidator } from './validate.ts';
import { reconnectDelay } from './reconnect-delay.ts';

export interface RedisKeyValueStoreOptions {
  /**
   * redis:// or rediss:// URL. Several, comma-separated (`redis://a:7000,redis://b:7001`), name the seed nodes of
   * a Redis Cluster.
   */
  readonly url: string;
  /** A Redis Cluster even when `url` names one node (REDIS_CLUSTER=true); several URLs always mean a cluster. */
  readonly cluster?: boolean;
  /** Namespace for keys and channels, e.g. "meeting:". */
  readonly prefix?: string;
  readonly limits?: Partial<KeyValueLimits>;
  readonly logger?: DataLogger;
  /** A command not answered within this fails with DATA_KV_COMMAND_FAILED (default 5 000 ms). */
  readonly commandTimeoutMs?: number;
  /** Connecting gives up after this (default 5 000 ms). */
  readonly connectTimeoutMs?: number;
  /**
   * Reconnect backoff ceiling (default 1 000 ms: a restarted Redis is used again within a second); the delay doubles
   * from 50 ms with jitter.
   */
  readonly maxReconnectDelayMs?: number;
  /** Failed attempts before the first connection is declared failed (default 3). Later outages retry forever. */
  readonly initialConnectAttempts?: number;
  /** close() waits this long for pending replies before dropping the connections (default 1 000 ms). */
  readonly closeTimeoutMs?: number;
  /** Connection name (CLIENT SETNAME) shown by CLIENT LIST, e.g. "meeting-controller". */
  readonly name?: string;
  readonly signal?: AbortSignal;
}

type Client = ReturnType<typeof makeClient>;
type Cluster = ReturnType<typeof makeCluster>;
/** The commands a single node and a cluster share (a cluster routes each by its key's slot). */
type Commands = Pick<
  Client,
  | 'get'
  | 'set'
  | 'pExpire'
  | 'pTTL'
  | 'incrBy'
  | 'eval'
  | 'getDel'
  | 'hSet'
  | 'hGet'
  | 'hGetAll'
  | 'hDel'
  | 'sAdd'
  | 'sRem'
  | 'sMembers'
  | 'publish'
>;
type Connection = { readonly kind: 'node'; readonly client: Client } | { readonly kind: 'cluster'; readonly cluster: Cluster };

const SCAN_COUNT = 250;

/** INCRBY, then a TTL only if the key has none (PEXPIRE NX, Redis 7); atomic, one round trip. */
const INCR_WITH_TTL = `
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2], 'NX')
return value`;

/**
 * KeyValueStore on Redis (node-redis 6). One connection for commands, a second one (opened on the
 * first subscribe) for pub/sub. Both reconnect with capped exponential backoff; connection errors
 * are logged (never an unhandled 'error' event) and commands fail with typed errors.
 *
 * On a Redis Cluster (several seed URLs, or `cluster: true`) node-redis's cluster client routes each command to
 * the master of its key's slot and follows MOVED/ASK; multi-key DEL is split per key (keys of one call may live
 * in different slots), SCAN walks every master, and pub/sub uses the cluster's own connection.
 */
export class RedisKeyValueStore implements KeyValueStore {
  readonly kind = 'redis' as const;
  readonly prefix: string;
  readonly closed: Promise<void>;
  readonly #conn: Connection;
  readonly #client: Commands;
  readonly #check: KeyValueValidator;
  readonly #logger: DataLogger | undefined;
  readonly #options: RedisKeyValueStoreOptions;
  #subscriber: Promise<Client> | undefined;
  #closing: Promise<void> | undefined;
  #resolveClosed!: () => void;

  private constructor(options: RedisKeyValueStoreOptions, conn: Connection) {
    this.#options = options;
    this.prefix = options.prefix ?? '';
    this.#check = new KeyValueValidator(this.prefix, { ...DEFAULT_KEY_VALUE_LIMITS, ...options.limits });
    this.#logger = options.logger;
    this.#conn = conn;
    this.#client = conn.kind === 'node' ? conn.client : conn.cluster;
    this.closed = new Promise<void>((resolve) => {
      this.#resolveClosed = resolve;
    });
  }

  /** Connects (failing with DATA_CONNECTION_FAILED when the server cannot be reached). */
  static async connect(options: RedisKeyValueStoreOptions): Promise<RedisKeyValueStore> {
    const urls = options.url.split(',').map((u) => u.trim());
    for (const url of urls) validateRedisUrl(url);
    options.signal?.throwIfAborted();
    const conn: Connection =
      urls.length > 1 || options.cluster === true
        ? { kind: 'cluster', cluster: makeCluster(options, urls) }
        : { kind: 'node', client: makeClient(options, 'commands') };
    const client = conn.kind === 'node' ? conn.client : conn.cluster;
    const store = new RedisKeyValueStore(options, conn);
    const onAbort = (): void => {
      client.destroy();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await client.connect();
    } catch (error) {
      client.destroy();
      if (options.signal?.aborted === true) throw DataError.aborted('connecting to Redis', error);
      throw DataError.connectionFailed('connecting to Redis', error);
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
    return store;
  }

  get(key: string): Promise<string | undefined> {
    return this.#run('GET', async () => orUndefined(await this.#client.get(this.#check.key(key))));
  }

  set(key: string, value: string, options: TtlOptions = {}): Promise<void> {
    return this.#run('SET', async () => {
      const ttl = this.#check.ttl(options.ttlMs);
      await this.#client.set(
        this.#check.key(key),
        this.#check.value(value),
        ttl === undefined ? undefined : { expiration: { type: 'PX', value: ttl } },
      );
    });
  }

  setIfAbsent(key: string, value: string, options: TtlOptions = {}): Promise<boolean> {
    return this.#run('SET NX', async () => {
      const ttl = this.#check.ttl(options.ttlMs);
      const reply = await this.#client.set(this.#check.key(key), this.#check.value(value), {
        condition: 'NX',
        ...(ttl === undefined ? {} : { expiration: { type: 'PX', value: ttl } }),
      });
      return reply === 'OK';
    });
  }

  del(...keys: string[]): Promise<number> {
    return this.#run('DEL', async () => {
      const full = this.#check.keys(keys);
      const conn = this.#conn;
      if (conn.kind === 'node') return conn.client.del(full);
      // A cluster refuses a DEL whose keys hash to different slots (CROSSSLOT): one DEL per key.
      const counts = await Promise.all(full.map((k) => conn.cluster.del(k)));
      return counts.reduce((a, b) => a + b, 0);
    });
  }

  expire(key: string, ttlMs: number): Promise<boolean> {
    return this.#run(
      'PEXPIRE',
      async () => (await this.#client.pExpire(this.#check.key(key), this.#check.requiredTtl(ttlMs))) === 1,
    );
  }

  ttl(key: string): Promise<number | undefined> {
    return this.#run('PTTL', async () => {
      const ms = await this.#client.pTTL(this.#check.key(key));
      return ms < 0 ? undefined : ms;
    });
  }

  incrBy(key: string, by: number, options: TtlOptions = {}): Promise<number> {
    return this.#run('INCRBY', async () => {
      const full = this.#check.key(key);
      const amount = this.#check.increment(by);
      const ttl = this.#check.ttl(options.ttlMs);
      if (ttl === undefined) return this.#client.incrBy(full, amount);
      // A script, not MULTI: if INCRBY fails (wrong type), MULTI would still run the PEXPIRE.
      const reply = await this.#client.eval(INCR_WITH_TTL, {
        keys: [full],
        arguments: [String(amount), String(ttl)],
      });
      return Number(reply);
    });
  }

  getDel(key: string): Promise<string | undefined> {
    return this.#run('GETDEL', async () => orUndefined(await this.#client.getDel(this.#check.key(key))));
  }

  hset(key: string, fields: Readonly<Record<string, string>>): Promise<number> {
    return this.#run('HSET', () =>
      this.#client.hSet(this.#check.key(key), Object.fromEntries(this.#check.fields(fields))),
    );
  }

  hget(key: string, field: string): Promise<string | undefined> {
    return this.#run('HGET', async () =>
      orUndefined(await this.#client.hGet(this.#check.key(key), this.#check.value(field))),
    );
  }

  hgetall(key: string): Promise<Record<string, string>> {
    return this.#run('HGETALL', async () => {
      const reply = await this.#client.hGetAll(this.#check.key(key));
      return { ...reply };
    });
  }

  hdel(key: string, ...fields: string[]): Promise<number> {
    return this.#run('HDEL', () => this.#client.hDel(this.#check.key(key), this.#check.values(fields, 'field')));
  }

  sadd(key: string, ...members: string[]): Promise<number> {
    return this.#run('SADD', () => this.#client.sAdd(this.#check.key(key), this.#check.values(members, 'member')));
  }

  srem(key: string, ...members: string[]): Promise<number> {
    return this.#run('SREM', () => this.#client.sRem(this.#check.key(key), this.#check.values(members, 'member')));
  }

  smembers(key: string): Promise<string[]> {
    return this.#run('SMEMBERS', () => this.#client.sMembers(this.#check.key(key)));
  }

  keys(prefix: string, options: { limit?: number; signal?: AbortSignal } = {}): Promise<string[]> {
    return this.#run('SCAN', async () => {
      const limit = this.#check.limit(options.limit);
      const match = `${escapeGlob(this.#check.keyPrefix(prefix))}*`;
      const found = new Set<string>();
      // SCAN may return a key twice; the Set dedupes. Stop as soon as we have enough.
      for (const node of await this.#scanClients()) {
        for await (const batch of node.scanIterator({ MATCH: match, COUNT: SCAN_COUNT })) {
          options.signal?.throwIfAborted();
          for (const key of batch) {
            found.add(this.#check.strip(key));
            if (found.size >= limit) return [...found];
          }
        }
      }
      return [...found];
    });
  }

  publish(channel: string, message: Uint8Array | string): Promise<void> {
    return this.#run('PUBLISH', async () => {
      const key = this.#check.key(channel);
      const body = this.#check.message(message);
      // On a cluster, sharded pub/sub: the channel's slot picks one node, so one channel's messages keep their
      // order (plain PUBLISH goes to any node and is relayed over the bus: two messages could cross).
      if (this.#conn.kind === 'cluster') await this.#conn.cluster.sPublish(key, body);
      else await this.#client.publish(key, body);
    });
  }

  subscribe(channel: string, handler: MessageHandler): Promise<Unsubscribe> {
    return this.#run('SUBSCRIBE', async () => {
      const full = this.#check.key(channel);
      const subscriber = this.#conn.kind === 'cluster' ? this.#conn.cluster : await this.#subscriberClient();
      const listener = (message: Buffer | string): void => {
        try {
          handler(typeof message === 'string' ? Buffer.from(message) : message, channel);
        } catch (error) {
          this.#logger?.error({ err: error, channel }, 'key-value subscription handler threw');
        }
      };
      const cluster = this.#conn.kind === 'cluster' ? this.#conn.cluster : undefined;
      if (cluster !== undefined) await cluster.sSubscribe(full, listener, true);
      else await subscriber.subscribe(full, listener, true);
      let active = true;
      return async () => {
        if (!active || this.#closing !== undefined) return;
        active = false;
        try {
          if (cluster !== undefined) await cluster.sUnsubscribe(full, listener, true);
          else await subscriber.unsubscribe(full, listener, true);
        } catch (error) {
          throw mapError('UNSUBSCRIBE', error);
        }
      };
    });
  }

  ping(signal?: AbortSignal): Promise<void> {
    return this.#run('PING', async () => {
      signal?.throwIfAborted();
      const options = signal === undefined ? {} : { abortSignal: signal };
      // A cluster is up when every master answers (a missing one leaves slots without an owner).
      const nodes = await this.#scanClients();
      await Promise.all(nodes.map((n) => n.withCommandOptions(options).ping()));
    });
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      const subscriber = this.#subscriber;
      const grace = this.#options.closeTimeoutMs ?? 1_000;
      const close = (client: Client | Cluster): Promise<void> => shutdown(client, grace, this.#logger);
      const conn = this.#conn;
      await Promise.all([
        close(conn.kind === 'node' ? conn.client : conn.cluster),
        subscriber?.then(close, () => undefined),
      ]);
      this.#resolveClosed();
    })();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** The single node, or a connection to every master of the cluster. */
  async #scanClients(): Promise<Client[]> {
    const conn = this.#conn;
    if (conn.kind === 'node') return [conn.client];
    return Promise.all(conn.cluster.masters.map((m) => conn.cluster.nodeClient(m)));
  }

  #subscriberClient(): Promise<Client> {
    this.#subscriber ??= (async () => {
      const subscriber = makeClient(this.#options, 'subscriber');
      try {
        await subscriber.connect();
      } catch (error) {
        subscriber.destroy();
        this.#subscriber = undefined;
        throw error;
      }
      return subscriber;
    })();
    return this.#subscriber;
  }

  async #run<T>(command: string, fn: () => Promise<T>): Promise<T> {
    if (this.#closing !== undefined) throw DataError.closed('key-value store');
    try {
      return await fn();
    } catch (error) {
      throw mapError(command, error);
    }
  }
}

function makeClient(options: RedisKeyValueStoreOptions, role: string) {
  const maxDelay = options.maxReconnectDelayMs ?? 1_000;
  const initialAttempts = options.initialConnectAttempts ?? 3;
  let everReady = false;
  const client = createClient({
    url: options.url,
    socket: {
      connectTimeout: options.connectTimeoutMs ?? 5_000,
      reconnectStrategy: (retries: number, cause: Error) => {
        if (!everReady && retries >= initialAttempts) return cause;
        return reconnectDelay(retries, maxDelay);
      },
    },
    commandOptions: { timeout: options.commandTimeoutMs ?? 5_000 },
    ...(options.name === undefined ? {} : { name: options.name }),
  });
  client.on('ready', () => {
    everReady = true;
  });
  // Without a listener, node-redis would crash the process on a dropped connection.
  client.on('error', (error: unknown) => {
    options.logger?.warn({ err: error, role }, 'Redis connection error (reconnecting)');
  });
  return client;
}

function makeCluster(options: RedisKeyValueStoreOptions, urls: readonly string[]) {
  const maxDelay = options.maxReconnectDelayMs ?? 1_000;
  const initialAttempts = options.initialConnectAttempts ?? 3;
  let everReady = false;
  const cluster = createCluster({
    rootNodes: urls.map((url) => ({ url })),
    // Every connection to a discovered node is made from these (credentials and TLS come from the first URL).
    defaults: {
      ...credentialsOf(urls[0] ?? ''),
      socket: {
        ...(urls[0]?.startsWith('rediss:') === true ? { tls: true as const } : {}),
        connectTimeout: options.connectTimeoutMs ?? 5_000,
        reconnectStrategy: (retries: number, cause: Error) => {
          if (!everReady && retries >= initialAttempts) return cause;
          return reconnectDelay(retries, maxDelay);
        },
      },
      ...(options.name === undefined ? {} : { name: options.name }),
    },
    commandOptions: { timeout: options.commandTimeoutMs ?? 5_000 },
  });
  cluster.on('connect', () => {
    everReady = true;
  });
  cluster.on('error', (error: unknown) => {
    options.logger?.warn({ err: error, role: 'cluster' }, 'Redis Cluster connection error (reconnecting)');
  });
  return cluster;
}

/** Username, password and TLS of a redis(s):// URL, for the cluster's connections to discovered nodes. */
function credentialsOf(url: string): { username?: string; password?: string } {
  if (url === '') return {};
  const u = new URL(url);
  return {
    ...(u.username === '' ? {} : { username: decodeURIComponent(u.username) }),
    ...(u.password === '' ? {} : { password: decodeURIComponent(u.password) }),
  };
}

/**
 * Graceful close (waits for pending replies), but never longer than `graceMs`: on a connection that
 * died without the client noticing yet, node-redis's close() would wait forever. Then destroy().
 */
async function shutdown(client: Client | Cluster, graceMs: number, logger: DataLogger | undefined): Promise<void> {
  if ('isOpen' in client && !client.isOpen) return;
  if ('isReady' in client && !client.isReady) {
    client.destroy();
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => {
      resolve('timeout');
    }, graceMs);
  });
  const graceful = client.close().then(
    () => 'closed' as const,
    (error: unknown) => {
      logger?.warn({ err: error }, 'Redis close failed; destroying the connection');
      return 'failed' as const;
    },
  );
  try {
    const outcome = await Promise.race([graceful, deadline]);
    if (outcome !== 'closed') client.destroy();
  } finally {
    clearTimeout(timer);
  }
}

function mapError(command: string, error: unknown): DataError {
  if (error instanceof DataError) return error;
  if (error instanceof ErrorReply) {
    if (error.message.includes('WRONGTYPE') || error.message.includes('not an integer')) {
      return new DataError('DATA_KV_WRONG_TYPE', `${command}: ${error.message}`, { cause: error });
    }
  }
  return DataError.kvCommandFailed(command, error);
}

function orUndefined<T>(value: T | null): T | undefined {
  return value ?? undefined;
}

/** Escapes Redis glob metacharacters so a prefix matches literally. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\^-]/g, (c) => `\\${c}`);
}

function validateRedisUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw DataError.invalidArgument('redis url is not a valid URL');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw DataError.invalidArgument(`redis url must start with redis:// or rediss:// (got ${parsed.protocol}//)`);
  }
}
