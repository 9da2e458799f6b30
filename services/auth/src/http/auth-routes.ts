import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { toErrorReply } from '@darktower/service-kit';
import { registerAdminRoutes } from './admin-routes.ts';
import { registerJwksRoute } from './jwks-route.ts';
import type { AuthRouteDeps } from './route-deps.ts';
import { registerTokenRoutes } from './token-routes.ts';
import { registerUserRoutes } from './user-routes.ts';

/**
 * All Auth Controller routes as one fastify plugin, so the one-origin mode can mount them on its own app:
 * `await app.register(authRoutes(deps))`. Each group runs in its own encapsulated scope with its own error shape.
 */
export function authRoutes(deps: AuthRouteDeps): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    await app.register((scope, _opts, done) => {
      scope.removeContentTypeParser('text/plain');
      scope.setErrorHandler((error, request, reply) => {
        const answer = toErrorReply(error);
        if (answer.internal) request.log.error({ err: error }, 'request failed');
        return reply.code(answer.status).headers(answer.headers).send(answer.body);
      });
      registerUserRoutes(scope, deps);
      registerAdminRoutes(scope, deps);
      registerJwksRoute(scope, deps.keys);
      done();
    });
    await app.register((scope, _opts, done) => {
      registerTokenRoutes(scope, deps);
      done();
    });
  };
}
