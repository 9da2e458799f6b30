import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { KeyManager } from '../keys/key-manager.ts';

/**
 * Verifiers cache the set for up to an hour and refetch on an unknown kid; HTTP caches may keep it 5 minutes, so a
 * rotated-in key is visible everywhere within minutes while the previous key stays published for a whole period.
 */
export const JWKS_CACHE_CONTROL = 'public, max-age=300, stale-while-revalidate=60, stale-if-error=3600';

export function registerJwksRoute(app: FastifyInstance, keys: KeyManager): void {
  app.get('/.well-known/jwks.json', (request, reply) => {
    const body = JSON.stringify(keys.jwks());
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    void reply
      .header('cache-control', JWKS_CACHE_CONTROL)
      .header('etag', etag)
      .header('access-control-allow-origin', '*');
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    return reply.type('application/json').send(body);
  });
}
