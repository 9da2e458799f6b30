import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTokenVerifier } from '@darktower/auth-verifier';
import { createHttpApp, createLogger, createMetrics } from '@darktower/service-kit';
import { startHarness, TEST_AUDIENCE, TEST_ISSUER, type Harness } from './harness.ts';
import type { SuiteTarget } from './suite-target.ts';
import { verifyWithFastJwt } from './independent-verify.ts';
import {
  adminToken,
  injectFetch,
  injector,
  registerService,
  serviceToken,
  type Inject,
} from './http-helpers.ts';

/** Service credentials, JWKS, key storage, mounting, metrics: run against PGlite and PostgreSQL. */
export function serviceCredentialsSuite(target: SuiteTarget): void {
  describe(`service credentials, JWKS, keys (${target.name})`, () => {
    let h: Harness;
    let inject: Inject;
    let cleanup: (() => Promise<void>) | undefined;

    before(async () => {
      const opts = await target.setup();
      cleanup = opts.cleanup;
      h = await startHarness({
        ...opts,
        overrides: { loginAccountFailures: '3', loginIpAttempts: '8', ...opts.overrides },
      });
      inject = injector(h.controller);
    });
    after(async () => {
      await h.close();
      await cleanup?.();
    });

    test('service credentials: register (admin only), client_credentials via JSON, form and Basic, scopes', async () => {
      const admin = await adminToken(inject, h.adminSecret);
      const noAuth = await inject({
        method: 'POST',
        url: '/v1/admin/services/register',
        payload: { name: 'mh', scopes: ['service.read.mh'] },
      });
      assert.equal(noAuth.statusCode, 401);
      assert.equal(noAuth.json<{ error: { code: string } }>().error.code, 'UNAUTHORIZED');
      const svc = await registerService(inject, admin, 'media-handler', [
        'service.write.mh',
        'service.read.gc',
      ]);
      assert.match(svc.client_id, /^svc_/);
      assert.ok(svc.client_secret.length >= 43);
      const stored = await h.controller.database.db
        .selectFrom('auth_service_clients')
        .selectAll()
        .where('client_id', '=', svc.client_id)
        .executeTakeFirstOrThrow();
      assert.ok(!JSON.stringify(stored).includes(svc.client_secret), 'the secret is not stored');

      // Not an admin: 403.
      const plain = await serviceToken(inject, svc.client_id, svc.client_secret);
      const forbidden = await inject({
        method: 'POST',
        url: '/v1/admin/services/register',
        headers: { authorization: `Bearer ${plain}` },
        payload: { name: 'x', scopes: ['service.read.mh'] },
      });
      assert.equal(forbidden.statusCode, 403);
      assert.equal(forbidden.json<{ error: { code: string } }>().error.code, 'FORBIDDEN');

      const verifier = createTokenVerifier({
        jwksUrls: ['http://auth.invalid/.well-known/jwks.json'],
        issuer: TEST_ISSUER,
        audience: TEST_AUDIENCE,
        fetch: injectFetch(inject),
        now: () => h.clock.now,
      });
      const claims = await verifier.verify(plain);
      assert.equal(claims.principal, 'service');
      assert.equal(claims.subject, svc.client_id);
      assert.deepEqual([...claims.scopes].sort(), ['service.read.gc', 'service.write.mh']);
      assert.equal(claims.expiresAt - claims.issuedAt, 7200);
      const independent = await verifyWithFastJwt(inject, plain, h.clock.now);
      assert.equal(independent.header.alg, 'EdDSA');
      assert.equal(independent.payload.sub, svc.client_id);

      const form = await inject({
        method: 'POST',
        url: '/v1/auth/service/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: svc.client_id,
          client_secret: svc.client_secret,
          scope: 'service.write.mh',
        }).toString(),
      });
      assert.equal(form.statusCode, 200);
      assert.equal(form.json<{ scope: string }>().scope, 'service.write.mh');
      const basicHeader = `Basic ${Buffer.from(`${encodeURIComponent(svc.client_id)}:${encodeURIComponent(svc.client_secret)}`).toString('base64')}`;
      const basic = await inject({
        method: 'POST',
        url: '/api/v1/auth/token',
        headers: { authorization: basicHeader, 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'grant_type=client_credentials',
      });
      assert.equal(basic.statusCode, 200);

      const cases: [Record<string, string>, Record<string, string>, number, string][] = [
        [
          { grant_type: 'client_credentials', client_id: svc.client_id, client_secret: 'wrong' },
          {},
          401,
          'invalid_client',
        ],
        [
          {
            grant_type: 'client_credentials',
            client_id: 'svc_doesnotexist12345',
            client_secret: svc.client_secret,
          },
          {},
          401,
          'invalid_client',
        ],
        [
          {
            grant_type: 'client_credentials',
            client_id: svc.client_id,
            client_secret: svc.client_secret,
            scope: 'service.admin.ac',
          },
          {},
          400,
          'invalid_scope',
        ],
        [
          {
            grant_type: 'client_credentials',
            client_id: svc.client_id,
            client_secret: svc.client_secret,
            scope: 'root',
          },
          {},
          400,
          'invalid_scope',
        ],
        [
          { grant_type: 'password', client_id: svc.client_id, client_secret: svc.client_secret },
          {},
          400,
          'unsupported_grant_type',
        ],
        [{ client_id: svc.client_id, client_secret: svc.client_secret }, {}, 400, 'invalid_request'],
        [
          { grant_type: 'client_credentials', client_id: svc.client_id, client_secret: svc.client_secret },
          { authorization: basicHeader },
          400,
          'invalid_request',
        ],
      ];
      for (const [payload, headers, status, error] of cases) {
        const res = await inject({ method: 'POST', url: '/api/v1/auth/token', headers, payload });
        assert.equal(res.statusCode, status, JSON.stringify(payload));
        assert.equal(res.json<{ error: string }>().error, error);
      }
      const badBasic = await inject({
        method: 'POST',
        url: '/api/v1/auth/token',
        headers: {
          authorization: 'Basic bm90LWEtcGFpcg==',
          'content-type': 'application/x-www-form-urlencoded',
        },
        payload: 'grant_type=client_credentials',
      });
      assert.equal(badBasic.statusCode, 401);
      assert.match(String(badBasic.headers['www-authenticate']), /^Basic/);
    });

    test('JWKS: public keys only, cache headers, ETag revalidation', async () => {
      const res = await inject({ method: 'GET', url: '/.well-known/jwks.json' });
      assert.equal(res.statusCode, 200);
      assert.match(String(res.headers['cache-control']), /public, max-age=\d+/);
      const body = res.json<{ keys: Record<string, unknown>[] }>();
      assert.ok(body.keys.length >= 1);
      for (const k of body.keys) {
        assert.equal(k.kty, 'OKP');
        assert.equal(k.crv, 'Ed25519');
        assert.equal(k.alg, 'EdDSA');
        assert.equal(k.d, undefined, 'no private part');
      }
      const again = await inject({
        method: 'GET',
        url: '/.well-known/jwks.json',
        headers: { 'if-none-match': String(res.headers.etag) },
      });
      assert.equal(again.statusCode, 304);
      await h.controller.ready();
    });

    test('private keys are encrypted at rest under the master key', async () => {
      const rows = await h.controller.database.db.selectFrom('auth_signing_keys').selectAll().execute();
      assert.ok(rows.length >= 1);
      const { privateKey, kid } = h.controller.keys.signingKey();
      const der = privateKey.export({ format: 'der', type: 'pkcs8' });
      const raw = der.subarray(der.length - 32).toString('base64');
      const row = rows.find((r) => r.kid === kid);
      assert.ok(row);
      assert.ok(!row.private_key_enc.includes(raw));
      assert.ok(!Buffer.from(row.private_key_enc, 'base64').includes(der.subarray(der.length - 32)));
    });

    test('the routes mount on another fastify app (one-origin mode)', async () => {
      const host = createHttpApp({
        logger: createLogger({ component: 'host', level: 'silent' }),
        metrics: createMetrics(),
      });
      host.get('/api/v1/other', () => ({ ok: true }));
      await host.register(h.controller.routes);
      try {
        assert.equal((await host.inject({ method: 'GET', url: '/api/v1/other' })).statusCode, 200);
        const jwks = await host.inject({ method: 'GET', url: '/.well-known/jwks.json' });
        assert.equal(jwks.statusCode, 200);
        const token = await adminToken((o) => host.inject(o), h.adminSecret);
        assert.ok(token.length > 0);
        const bad = await host.inject({
          method: 'POST',
          url: '/api/v1/auth/token',
          payload: 'x=1',
          headers: { 'content-type': 'text/plain' },
        });
        assert.equal(bad.statusCode, 415);
        assert.equal(bad.json<{ error: string }>().error, 'invalid_request');
      } finally {
        await host.close();
      }
    });

    test('metrics count tokens and failures', async () => {
      const text = await h.controller.app
        .inject({ method: 'GET', url: '/metrics' })
        .then((r) => r.statusCode);
      assert.equal(text, 404, 'metrics are on the ops port, not the API');
      const metrics = await h.controller.metrics.tokensIssued.get();
      assert.ok(metrics.values.some((v) => v.labels.kind === 'service' && v.value > 0));
      const failures = await h.controller.metrics.failures.get();
      assert.ok(failures.values.some((v) => v.labels.reason === 'invalid_client' && v.value > 0));
    });
  });
}
