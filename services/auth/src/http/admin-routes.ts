import type { FastifyInstance, FastifyRequest } from 'fastify';
import { bearerToken, hasScope, isAuthError, isScope, type VerifiedClaims } from '@darktower/auth-verifier';
import { HttpError } from '@darktower/service-kit';
import { ADMIN_SCOPES, onlyServiceScopes } from '../scope-policy.ts';
import type { AuthRouteDeps } from './route-deps.ts';

interface RegisterServiceBody {
  name: string;
  scopes: string[];
}

const registerServiceSchema = {
  body: {
    type: 'object',
    required: ['name', 'scopes'],
    additionalProperties: false,
    properties: {
      name: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9 ._-]*$' },
      scopes: {
        type: 'array',
        minItems: 1,
        maxItems: 24,
        uniqueItems: true,
        items: { type: 'string', maxLength: 32 },
      },
    },
  },
} as const;

async function requireAdmin(deps: AuthRouteDeps, request: FastifyRequest): Promise<VerifiedClaims> {
  const token = bearerToken(request.headers.authorization);
  let claims: VerifiedClaims;
  try {
    claims = await deps.verifier.verify(token ?? '');
  } catch (err) {
    if (!isAuthError(err)) throw err;
    deps.metrics.failures.inc({ endpoint: 'admin', reason: err.reason });
    throw new HttpError('UNAUTHORIZED', 'A valid bearer token is required', {
      details: { reason: err.reason },
      headers: { 'www-authenticate': 'Bearer realm="darktower", error="invalid_token"' },
    });
  }
  if (!ADMIN_SCOPES.some((s) => hasScope(claims.scopes, s))) {
    deps.metrics.failures.inc({ endpoint: 'admin', reason: 'insufficient_scope' });
    throw new HttpError('FORBIDDEN', 'Admin scope required', {
      details: { reason: 'insufficient_scope', required: [...ADMIN_SCOPES] },
      headers: {
        'www-authenticate': 'Bearer realm="darktower", error="insufficient_scope", scope="service.admin.ac"',
      },
    });
  }
  return claims;
}

/** `/v1/admin/*`: service registration and key rotation, for holders of `service.admin.ac` / `user.admin.ac`. */
export function registerAdminRoutes(app: FastifyInstance, deps: AuthRouteDeps): void {
  app.post<{ Body: RegisterServiceBody }>(
    '/v1/admin/services/register',
    { schema: registerServiceSchema },
    async (request, reply) => {
      const admin = await requireAdmin(deps, request);
      const scopes = request.body.scopes.filter(isScope);
      if (scopes.length !== request.body.scopes.length || !onlyServiceScopes(scopes)) {
        throw HttpError.invalidRequest('scopes must be service scopes like service.read.mh', {
          field: 'scopes',
        });
      }
      const created = await deps.service.registerService(
        request.body.name,
        scopes,
        admin.subject,
        request.ip,
      );
      return reply.code(201).header('cache-control', 'no-store').send({
        client_id: created.clientId,
        client_secret: created.clientSecret,
        name: created.name,
        scopes: created.scopes,
      });
    },
  );

  app.post('/v1/admin/keys/rotate', async (request, reply) => {
    const admin = await requireAdmin(deps, request);
    const result = await deps.service.rotateKeys(admin.subject);
    if (!result.rotated)
      throw new HttpError('CONFLICT', 'Rotation is already in progress', {
        details: { reason: result.reason },
      });
    return reply.send({ rotated: true, kid: result.kid });
  });
}
