import type { FastifyInstance } from 'fastify';
import { HttpError } from '@darktower/service-kit';
import type { AuthRouteDeps } from './route-deps.ts';

interface RegisterBody {
  username: string;
  password: string;
  display_name: string;
}

const registerSchema = {
  body: {
    type: 'object',
    required: ['username', 'password', 'display_name'],
    additionalProperties: false,
    properties: {
      username: { type: 'string', minLength: 3, maxLength: 32, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{2,31}$' },
      password: { type: 'string', minLength: 1, maxLength: 256 },
      display_name: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[^\\u0000-\\u001f\\u007f]+$' },
    },
  },
} as const;

/** `POST /api/v1/users`: registration (api-contracts error shape). */
export function registerUserRoutes(app: FastifyInstance, deps: AuthRouteDeps): void {
  app.post<{ Body: RegisterBody }>('/api/v1/users', { schema: registerSchema }, async (request, reply) => {
    // Hashing is deliberately expensive: registrations are budgeted per IP so they cannot be a CPU lever.
    const budget = await deps.registerLimiter.take(request.ip);
    if (!budget.allowed) {
      deps.metrics.failures.inc({ endpoint: 'register', reason: 'rate_limited' });
      throw HttpError.rateLimited('Too many registrations from this address', budget.retryAfterSec);
    }
    const { username, password, display_name } = request.body;
    const result = await deps.service.registerUser(
      { username, password, displayName: display_name.trim() || username },
      request.ip,
    );
    if (!result.ok) {
      if (result.reason === 'taken')
        throw HttpError.conflict('Username is already taken', { field: 'username' });
      if (result.reason === 'busy') throw HttpError.rateLimited('Too many registrations right now', 1);
      throw HttpError.invalidRequest('Password does not meet the policy', {
        field: 'password',
        reason: result.problem,
      });
    }
    return reply
      .code(201)
      .header('cache-control', 'no-store')
      .send({ id: result.id, username: result.username, display_name: result.displayName });
  });
}
