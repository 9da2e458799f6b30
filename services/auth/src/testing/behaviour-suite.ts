import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { createVerifier } from 'fast-jwt';
import { createTokenVerifier, type Scope } from '@darktower/auth-verifier';
import { isAuthControllerError } from '../errors.ts';
import { buildAuthController } from '../auth-controller.ts';
import { authConfig } from '../config.ts';
import { startHarness, TEST_AUDIENCE, TEST_ISSUER, type Harness } from './harness.ts';
import { freshIp, type SuiteTarget } from './suite-target.ts';
import {
  adminToken,
  injectFetch,
  injector,
  registerService,
  serviceToken,
  type Inject,
} from './http-helpers.ts';

/** Users (registration, login, throttling) and the audit log: run against PGlite and PostgreSQL. */
export function authBehaviourSuite(target: SuiteTarget): void {
  describe(`auth controller behaviour (${target.name})`, () => {
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

    test('registration: 201, 409 on a taken name (case-insensitive), password policy', async () => {
      const ip = freshIp();
      const ok = await inject({
        method: 'POST',
        url: '/api/v1/users',
        remoteAddress: ip,
        payload: { username: 'Alice', password: 'correct horse battery', display_name: 'Alice A.' },
      });
      assert.equal(ok.statusCode, 201);
      const created = ok.json<{ id: string; username: string; display_name: string }>();
      assert.equal(created.username, 'alice');
      assert.equal(created.display_name, 'Alice A.');
      assert.match(created.id, /^[0-9a-f-]{36}$/);
      const dup = await inject({
        method: 'POST',
        url: '/api/v1/users',
        remoteAddress: ip,
        payload: { username: 'ALICE', password: 'another long passphrase', display_name: 'x' },
      });
      assert.equal(dup.statusCode, 409);
      assert.equal(dup.json<{ error: { code: string } }>().error.code, 'CONFLICT');
      for (const [password, reason] of [
        ['short1', 'too_short'],
        ['password1234', 'common'],
        ['qwertyuiop!!', 'common'],
        ['bob-is-the-best-bob', 'contains_username'],
      ] as const) {
        const weak = await inject({
          method: 'POST',
          url: '/api/v1/users',
          remoteAddress: ip,
          payload: { username: 'bob', password, display_name: 'Bob' },
        });
        assert.equal(weak.statusCode, 400, password);
        const body = weak.json<{ error: { code: string; details: { reason: string } } }>();
        assert.equal(body.error.code, 'INVALID_REQUEST');
        assert.equal(body.error.details.reason, reason);
      }
      const badName = await inject({
        method: 'POST',
        url: '/api/v1/users',
        remoteAddress: ip,
        payload: { username: '../admin', password: 'correct horse battery', display_name: 'x' },
      });
      assert.equal(badName.statusCode, 400);
      const stored = await h.controller.database.db
        .selectFrom('auth_users')
        .select(['password_hash'])
        .where('username', '=', 'alice')
        .executeTakeFirstOrThrow();
      assert.match(stored.password_hash, /^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
    });

    test('login: 1-hour user token verifiable by our verifier and by fast-jwt; same error for wrong password and unknown user', async () => {
      const ip = freshIp();
      await inject({
        method: 'POST',
        url: '/api/v1/users',
        remoteAddress: ip,
        payload: { username: 'carol', password: 'likes long passphrases a lot', display_name: 'Carol' },
      });
      const res = await inject({
        method: 'POST',
        url: '/v1/auth/user/token',
        remoteAddress: ip,
        payload: { username: 'Carol', password: 'likes long passphrases a lot' },
      });
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['cache-control'], 'no-store');
      const body = res.json<{
        access_token: string;
        token_type: string;
        expires_in: number;
        scope: string;
      }>();
      assert.equal(body.token_type, 'Bearer');
      assert.equal(body.expires_in, 3600);
      const verifier = createTokenVerifier({
        jwksUrls: ['http://auth.invalid/.well-known/jwks.json'],
        issuer: TEST_ISSUER,
        audience: TEST_AUDIENCE,
        fetch: injectFetch(inject),
        now: () => h.clock.now,
      });
      const claims = await verifier.verify(body.access_token, { requiredScopes: ['user.write.gc' as Scope] });
      assert.equal(claims.principal, 'user');
      assert.equal(claims.username, 'carol');
      assert.equal(claims.expiresAt - claims.issuedAt, 3600);

      // Independent implementation: fast-jwt with the PEM of the published JWK.
      const jwks = (await inject({ method: 'GET', url: '/.well-known/jwks.json' })).json<{
        keys: { kid: string }[];
      }>();
      const jwk = jwks.keys.find((k) => k.kid === claims.keyId);
      assert.ok(jwk);
      const pem = createPublicKey({ key: jwk, format: 'jwk' })
        .export({ type: 'spki', format: 'pem' })
        .toString();
      const fj = createVerifier({
        key: pem,
        algorithms: ['EdDSA'],
        allowedIss: TEST_ISSUER,
        allowedAud: TEST_AUDIENCE,
        clockTimestamp: h.clock.now,
        complete: true,
      });
      const decoded = fj(body.access_token) as {
        header: Record<string, unknown>;
        payload: Record<string, unknown>;
      };
      assert.equal(decoded.header.alg, 'EdDSA');
      assert.equal(decoded.header.kid, claims.keyId);
      for (const c of ['iss', 'sub', 'aud', 'exp', 'iat', 'nbf', 'jti'])
        assert.ok(decoded.payload[c] !== undefined, c);
      assert.equal(decoded.payload.sub, claims.subject);

      const wrong = await inject({
        method: 'POST',
        url: '/v1/auth/user/token',
        remoteAddress: ip,
        payload: { username: 'carol', password: 'not the password at all' },
      });
      const nobody = await inject({
        method: 'POST',
        url: '/v1/auth/user/token',
        remoteAddress: ip,
        payload: { username: 'nobody-here', password: 'not the password at all' },
      });
      assert.equal(wrong.statusCode, 400);
      assert.equal(nobody.statusCode, 400);
      assert.deepEqual(wrong.json(), {
        error: 'invalid_grant',
        error_description: 'invalid username or password',
      });
      assert.deepEqual(nobody.json(), wrong.json());
      const form = await inject({
        method: 'POST',
        url: '/v1/auth/user/token',
        remoteAddress: freshIp(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'grant_type=password&username=carol&password=likes+long+passphrases+a+lot',
      });
      assert.equal(form.statusCode, 200);
    });

    test('credential stuffing: account lockout without revealing existence; per-IP limit', async () => {
      await inject({
        method: 'POST',
        url: '/api/v1/users',
        remoteAddress: freshIp(),
        payload: { username: 'dave', password: 'he has a long passphrase', display_name: 'Dave' },
      });
      const attempt = (username: string, password: string, ip = freshIp()) =>
        inject({
          method: 'POST',
          url: '/v1/auth/user/token',
          remoteAddress: ip,
          payload: { username, password },
        });
      // Three failures from three addresses lock the account (loginAccountFailures = 3)...
      for (let i = 0; i < 3; i++) assert.equal((await attempt('dave', `wrong guess ${i}`)).statusCode, 400);
      const locked = await attempt('dave', 'he has a long passphrase');
      assert.equal(locked.statusCode, 429, 'the right password is refused while locked');
      assert.equal(locked.json<{ error: string }>().error, 'temporarily_unavailable');
      assert.ok(Number(locked.headers['retry-after']) > 0);
      // ...and a name that does not exist locks the same way, with the same answer.
      for (let i = 0; i < 3; i++)
        assert.equal((await attempt('ghost-user', `wrong guess ${i}`)).statusCode, 400);
      const ghost = await attempt('ghost-user', 'anything at all');
      assert.equal(ghost.statusCode, 429);
      assert.deepEqual(ghost.json(), locked.json());
      // One address spraying many accounts hits the per-IP limit (loginIpAttempts = 8).
      const ip = freshIp();
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++)
        statuses.push((await attempt(`spray-${i}`, 'password guess', ip)).statusCode);
      assert.deepEqual(statuses.slice(0, 8), Array(8).fill(400));
      assert.deepEqual(statuses.slice(8), Array(4).fill(429));
      // The service is still up.
      assert.equal((await inject({ method: 'GET', url: '/.well-known/jwks.json' })).statusCode, 200);
    });

    test('provisioned service client: fixed id, a fresh secret each time, the old secret refused, audited', async () => {
      const scopes = ['service.read.mc'] as Scope[];
      const first = await h.controller.service.provisionService(
        'svc_provisioned-test',
        'prov',
        scopes,
        'test',
        '127.0.0.1',
      );
      const second = await h.controller.service.provisionService(
        'svc_provisioned-test',
        'prov',
        scopes,
        'test',
        '127.0.0.1',
      );
      assert.equal(first.clientId, second.clientId);
      assert.notEqual(first.clientSecret, second.clientSecret);
      const token = (secret: string) =>
        inject({
          method: 'POST',
          url: '/api/v1/auth/token',
          payload: { grant_type: 'client_credentials', client_id: first.clientId, client_secret: secret },
        });
      assert.equal((await token(first.clientSecret)).statusCode, 401);
      assert.equal((await token(second.clientSecret)).statusCode, 200);
      const entries = await h.controller.audit.recent(500);
      const provisioned = entries.filter((e) => e.event === 'service.provisioned' && e.actor === 'test');
      assert.equal(provisioned.length, 2);
      assert.ok(!JSON.stringify(provisioned).includes(second.clientSecret));
    });

    test('audit log: every event recorded, append-only, never a secret or password', async () => {
      const ip = freshIp();
      const password = 'her-secret-passphrase-xyz';
      await inject({
        method: 'POST',
        url: '/api/v1/users',
        remoteAddress: ip,
        payload: { username: 'erin', password, display_name: 'Erin' },
      });
      await inject({
        method: 'POST',
        url: '/v1/auth/user/token',
        remoteAddress: ip,
        payload: { username: 'erin', password },
      });
      await inject({
        method: 'POST',
        url: '/v1/auth/user/token',
        remoteAddress: ip,
        payload: { username: 'erin', password: `${password}-wrong` },
      });
      const admin = await adminToken(inject, h.adminSecret);
      const svc = await registerService(inject, admin, 'audited', ['service.read.mc']);
      await serviceToken(inject, svc.client_id, svc.client_secret);
      const entries = await h.controller.audit.recent(500);
      const kinds = new Set(entries.map((e) => `${e.event}:${e.outcome}`));
      for (const k of [
        'user.registered:ok',
        'user.login:ok',
        'user.login:fail',
        'service.registered:ok',
        'token.issued:ok',
        'key.rotated:ok',
      ]) {
        assert.ok(kinds.has(k), `missing ${k}`);
      }
      const login = entries.find((e) => e.event === 'user.login' && e.outcome === 'fail' && e.ip === ip);
      assert.equal(login?.actor, 'erin');
      const everything = JSON.stringify(
        await h.controller.database.db.selectFrom('auth_audit_log').selectAll().execute(),
      );
      for (const secret of [password, `${password}-wrong`, svc.client_secret, h.adminSecret, admin]) {
        assert.ok(!everything.includes(secret), 'audit log must not contain secrets');
      }
      await assert.rejects(
        h.controller.database.db.updateTable('auth_audit_log').set({ outcome: 'ok' }).execute(),
        /append-only/,
      );
      await assert.rejects(h.controller.database.db.deleteFrom('auth_audit_log').execute(), /append-only/);
    });
  });
}

/** Start-up refusals that need no database. */
export function startupSuite(): void {
  test('production mode refuses to start without a master key', async () => {
    const config = authConfig({ mode: 'production', logLevel: 'silent' });
    await assert.rejects(
      buildAuthController(config),
      (err: unknown) => isAuthControllerError(err) && err.code === 'MASTER_KEY_INVALID',
    );
  });
}
