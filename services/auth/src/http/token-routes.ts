import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseScopeList } from '@darktower/auth-verifier';
import type { IssuedToken } from '../tokens/token-issuer.ts';
import { clientCredentials } from './client-auth.ts';
import { registerFormParser } from './form-body.ts';
import { isOAuthError, OAuthError } from './oauth-error.ts';
import type { AuthRouteDeps } from './route-deps.ts';

const MAX_FIELD = 1024;

function bodyOf(request: FastifyRequest): Readonly<Record<string, unknown>> {
  const body = request.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw OAuthError.invalidRequest('body must be a JSON object or a form');
  }
  for (const value of Object.values(body)) {
    if (typeof value === 'string' && value.length > MAX_FIELD)
      throw OAuthError.invalidRequest('parameter too long');
  }
  return body as Record<string, unknown>;
}

function optionalString(body: Readonly<Record<string, unknown>>, key: string): string | undefined {
  const value = body[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw OAuthError.invalidRequest(`${key} must be a string`);
  return value;
}

function sendToken(reply: FastifyReply, token: IssuedToken): FastifyReply {
  return reply
    .header('cache-control', 'no-store')
    .header('pragma', 'no-cache')
    .send({
      access_token: token.accessToken,
      token_type: token.tokenType,
      expires_in: token.expiresIn,
      scope: token.scopes.join(' '),
    });
}

/**
 * The token endpoints, in their own encapsulated scope so that every refusal (including a bad body the framework
 * rejects) is an RFC 6749 JSON error.
 */
export function registerTokenRoutes(app: FastifyInstance, deps: AuthRouteDeps): void {
  app.removeContentTypeParser('text/plain');
  registerFormParser(app, deps.bodyLimit);

  app.setErrorHandler((error, request, reply) => {
    if (isOAuthError(error)) {
      deps.metrics.failures.inc({ endpoint: request.routeOptions.url ?? 'unknown', reason: error.code });
      return reply
        .code(error.status)
        .headers(error.headers)
        .header('cache-control', 'no-store')
        .send(error.toBody());
    }
    const status = (error as { statusCode?: unknown }).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      deps.metrics.failures.inc({
        endpoint: request.routeOptions.url ?? 'unknown',
        reason: 'invalid_request',
      });
      const description =
        status === 413
          ? 'request body too large'
          : status === 415
            ? 'unsupported content type'
            : 'malformed request body';
      return reply
        .code(status)
        .header('cache-control', 'no-store')
        .send({ error: 'invalid_request', error_description: description });
    }
    request.log.error({ err: error }, 'token endpoint failed');
    return reply.code(500).send({ error: 'server_error', error_description: 'internal error' });
  });

  const clientCredentialsHandler = async (
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<FastifyReply> => {
    const budget = await deps.tokenLimiter.take(request.ip);
    if (!budget.allowed) throw OAuthError.rateLimited(budget.retryAfterSec);
    const body = bodyOf(request);
    const grantType = optionalString(body, 'grant_type');
    if (grantType === undefined) throw OAuthError.invalidRequest('grant_type is required');
    if (grantType !== 'client_credentials') throw OAuthError.unsupportedGrantType();
    const creds = clientCredentials(request.headers.authorization, body);
    const scopeText = optionalString(body, 'scope');
    const requested = scopeText === undefined ? undefined : parseScopeList(scopeText);
    if (requested === undefined && scopeText !== undefined) throw OAuthError.invalidScope();
    const result = await deps.service.serviceToken(creds.clientId, creds.clientSecret, requested, request.ip);
    if (!result.ok)
      throw result.reason === 'invalid_client'
        ? OAuthError.invalidClient(creds.usedBasic)
        : OAuthError.invalidScope();
    return sendToken(reply, result.token);
  };

  app.post('/v1/auth/service/token', clientCredentialsHandler);
  app.post('/api/v1/auth/token', clientCredentialsHandler);

  app.post('/v1/auth/user/token', async (request, reply) => {
    const body = bodyOf(request);
    const grantType = optionalString(body, 'grant_type');
    if (grantType !== undefined && grantType !== 'password') throw OAuthError.unsupportedGrantType();
    const username = optionalString(body, 'username');
    const password = optionalString(body, 'password');
    if (
      username === undefined ||
      password === undefined ||
      username.length === 0 ||
      username.length > 64 ||
      password.length > 256
    ) {
      throw OAuthError.invalidRequest('username and password are required');
    }
    const result = await deps.service.loginUser({ username, password }, request.ip);
    if (!result.ok) {
      // The same answer for a wrong password and for an account that does not exist.
      if (result.reason === 'rate_limited') throw OAuthError.rateLimited(result.retryAfterSec);
      throw OAuthError.invalidGrant();
    }
    return sendToken(reply, result.token);
  });
}
