import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { startHarness, type Harness } from './harness.ts';
import { adminToken, injector, type Inject } from './http-helpers.ts';
import { algNoneToken, b64json, hs256WithPublicKey, signWith } from './forge.ts';
import { freshIp, type SuiteTarget } from './suite-target.ts';

/** Hostile input: each is refused with a stable code and the service stays up. */
export function hostileSuite(target: SuiteTarget): void {
  describe(`hostile input (${target.name})`, () => {
    let h: Harness;
    let inject: Inject;
    let cleanup: (() => Promise<void>) | undefined;

    before(async () => {
      const opts = await target.setup();
      cleanup = opts.cleanup;
      h = await startHarness({ ...opts, overrides: { maxBodyBytes: '4096', ...opts.overrides } });
      inject = injector(h.controller);
    });
    after(async () => {
      await h.close();
      await cleanup?.();
    });

    const stillUp = async (): Promise<void> => {
      assert.equal((await inject({ method: 'GET', url: '/.well-known/jwks.json' })).statusCode, 200);
    };
    const adminCall = (authorization: string) =>
      inject({
        method: 'POST',
        url: '/v1/admin/services/register',
        headers: { authorization },
        payload: { name: 'evil', scopes: ['service.admin.ac'] },
      });

    test('forged and broken bearer tokens are refused with their reason', async () => {
      const nowSec = Math.floor(h.clock.now / 1000);
      const { kid, privateKey } = h.controller.keys.signingKey();
      const jwk = h.controller.keys.jwks().keys.find((k) => k.kid === kid);
      assert.ok(jwk);
      const stranger = generateKeyPairSync('ed25519').privateKey;
      const valid = await signWith({ kid, key: privateKey, nowSec });
      const cases: [string, string][] = [
        [algNoneToken(kid, nowSec), 'malformed'],
        [`${algNoneToken(kid, nowSec)}c2ln`, 'alg_not_allowed'],
        [hs256WithPublicKey(kid, jwk.x, nowSec), 'alg_not_allowed'],
        [await signWith({ kid: 'no-such-kid', key: stranger, nowSec }), 'unknown_kid'],
        [await signWith({ kid, key: stranger, nowSec }), 'bad_signature'],
        [await signWith({ kid: '../../etc/passwd', key: privateKey, nowSec }), 'malformed'],
        [await signWith({ kid: "x' OR '1'='1", key: privateKey, nowSec }), 'malformed'],
        [await signWith({ kid: 'k;DROP TABLE auth_signing_keys;--', key: privateKey, nowSec }), 'malformed'],
        [await signWith({ kid, key: privateKey, nowSec: nowSec - 7200, ttlSec: 600 }), 'expired'],
        [await signWith({ kid, key: privateKey, nowSec, nbfSec: nowSec + 3600 }), 'not_yet_valid'],
        [await signWith({ kid, key: privateKey, nowSec, aud: 'another-audience' }), 'wrong_audience'],
        [await signWith({ kid, key: privateKey, nowSec, iss: 'https://evil.example' }), 'wrong_issuer'],
        [`${valid.split('.')[0] ?? ''}.${'A'.repeat(9000)}.${valid.split('.')[2] ?? ''}`, 'oversized'],
        [`${valid.slice(0, 20)}!!!${valid.slice(23)}`, 'malformed'],
        [`${b64json({ alg: 'EdDSA', kid })}.%%%%.AAAA`, 'malformed'],
        ['', 'missing'],
      ];
      for (const [token, reason] of cases) {
        const res = await adminCall(`Bearer ${token}`);
        assert.equal(res.statusCode, 401, `${reason}: ${res.body}`);
        const body = res.json<{ error: { code: string; details: { reason: string } } }>();
        assert.equal(body.error.code, 'UNAUTHORIZED');
        assert.equal(body.error.details.reason, reason, token.slice(0, 60));
      }
      assert.equal((await adminCall(`Bearer ${valid}`)).statusCode, 201, 'the control token works');
      const admin = await adminToken(inject, h.adminSecret);
      assert.equal((await adminCall(`Basic ${Buffer.from('a:b').toString('base64')}`)).statusCode, 401);
      assert.equal((await adminCall(`Bearer ${admin}`)).statusCode, 201);
      await stillUp();
    });

    test('malformed bodies, wrong content types and huge bodies are refused', async () => {
      const post = (url: string, payload: string, contentType: string) =>
        inject({
          method: 'POST',
          url,
          payload,
          headers: { 'content-type': contentType },
          remoteAddress: freshIp(),
        });
      for (const url of ['/api/v1/auth/token', '/v1/auth/service/token', '/v1/auth/user/token']) {
        for (const [payload, type, status] of [
          ['{"grant_type":', 'application/json', 400],
          ['[1,2,3]', 'application/json', 400],
          ['"just a string"', 'application/json', 400],
          ['{"__proto__":{"admin":true},"grant_type":"client_credentials"}', 'application/json', 400],
          ['grant_type=client_credentials&grant_type=password', 'application/x-www-form-urlencoded', 400],
          ['grant_type=client_credentials', 'text/plain', 415],
          ['<xml/>', 'application/xml', 415],
          [`grant_type=${'a'.repeat(10_000)}`, 'application/x-www-form-urlencoded', 413],
          [JSON.stringify({ grant_type: 'x'.repeat(10_000) }), 'application/json', 413],
          [`{"grant_type":"client_credentials","client_id":${'['.repeat(1500)}`, 'application/json', 400],
        ] as const) {
          const res = await post(url, payload, type);
          assert.equal(res.statusCode, status, `${url} ${type} ${payload.slice(0, 40)}`);
          const body = res.json<{ error: string }>();
          assert.equal(typeof body.error, 'string');
          assert.ok(['invalid_request', 'unsupported_grant_type'].includes(body.error), body.error);
        }
      }
      for (const [payload, type, status] of [
        ['{"username":', 'application/json', 400],
        [
          '{"username":"mallory","password":"long enough password","display_name":"M","admin":true}',
          'application/json',
          400,
        ],
        ['{"username":123,"password":"long enough password","display_name":"M"}', 'application/json', 400],
        ['username=mallory', 'application/x-www-form-urlencoded', 415],
        ['hello', 'text/plain', 415],
        [
          JSON.stringify({ username: 'mallory', password: 'p'.repeat(10_000), display_name: 'M' }),
          'application/json',
          413,
        ],
      ] as const) {
        const res = await post('/api/v1/users', payload, type);
        assert.equal(res.statusCode, status, `${type} ${payload.slice(0, 40)}`);
        const body = res.json<{ error: { code: string; message: string } }>();
        assert.equal(body.error.code, 'INVALID_REQUEST');
      }
      await stillUp();
    });

    test('property: arbitrary token-endpoint bodies never cause a 5xx', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.dictionary(
              fc.constantFrom(
                'grant_type',
                'client_id',
                'client_secret',
                'scope',
                'username',
                'password',
                'x',
              ),
              fc.oneof(fc.string({ maxLength: 80 }), fc.integer(), fc.constant(null), fc.array(fc.string())),
            ),
            fc.string({ maxLength: 200 }),
          ),
          fc.constantFrom('/api/v1/auth/token', '/v1/auth/user/token', '/api/v1/users'),
          fc.constantFrom('application/json', 'application/x-www-form-urlencoded'),
          async (body, url, type) => {
            const payload =
              typeof body === 'string'
                ? body
                : type === 'application/json'
                  ? JSON.stringify(body)
                  : new URLSearchParams(Object.entries(body).map(([k, v]) => [k, String(v)])).toString();
            const res = await inject({
              method: 'POST',
              url,
              payload,
              headers: { 'content-type': type },
              remoteAddress: freshIp(),
            });
            return res.statusCode >= 400 && res.statusCode < 500 && res.statusCode !== 404;
          },
        ),
        { numRuns: 60 },
      );
      await stillUp();
    });
  });
}
