import { randomBytes } from 'node:crypto';

export const DEFAULT_TEST_REDIS_URL = 'redis://127.0.0.1:6379';

/** TEST_REDIS_URL, or the local server. */
export function testRedisUrl(): string {
  const fromEnv = process.env.TEST_REDIS_URL;
  return fromEnv === undefined || fromEnv === '' ? DEFAULT_TEST_REDIS_URL : fromEnv;
}

/** A key prefix no other test run uses, e.g. "test:3f9c1a2b7d4e5f60:". */
export function uniquePrefix(label = 'test'): string {
  return `${label}:${randomBytes(8).toString('hex')}:`;
}
