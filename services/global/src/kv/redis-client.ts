import { createClient } from 'redis';

function create(url: string) {
  return createClient({
    url,
    socket: { connectTimeout: 5000, reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, 3000) },
    // Commands fail fast while disconnected instead of piling up in memory.
    disableOfflineQueue: true,
  });
}

export type RedisClient = ReturnType<typeof create>;

/**
 * One node-redis client for the service (controller liveness, tenant cache, rate-limit counters). Local adapter:
 * rate-limiter-flexible needs the raw client, so this package holds one itself.
 */
export async function connectRedis(url: string, signal?: AbortSignal): Promise<RedisClient> {
  const client = create(url);
  // Without a listener a connection error would crash the process; reconnects are handled by the client.
  client.on('error', () => undefined);
  signal?.throwIfAborted();
  await client.connect();
  return client;
}
