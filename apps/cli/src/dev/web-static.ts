// Serves the built web app (apps/web/dist) on the dev origin. Client-side routes (deep links such as
// /m/abc-defg-hij) get index.html; everything else is a file or the API.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** Path prefixes of the single-page app's own routes. */
export const APP_ROUTES = ['/m/', '/join/', '/signin', '/register', '/new'];

export async function mountWebApp(app: FastifyInstance, distDir: string): Promise<boolean> {
  if (!existsSync(join(distDir, 'index.html'))) return false;
  await app.register(fastifyStatic, { root: distDir, prefix: '/', wildcard: true, index: ['index.html'] });
  for (const route of APP_ROUTES) {
    const pattern = route.endsWith('/') ? `${route}*` : route;
    app.get(pattern, (_request, reply) => reply.type('text/html; charset=utf-8').sendFile('index.html'));
  }
  return true;
}
