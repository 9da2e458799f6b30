import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { createTokenVerifier, type TokenVerifierOptions } from './token-verifier.ts';
import { isAuthError, type AuthErrorReason } from './errors.ts';
import type { Scope } from './scope.ts';
import { JwksServer, makeTestKey, signTestToken } from './testing/index.ts';

const ISS = 'https://auth.eu.example';
const AUD = 'darktower';

async function rejectsWith(
  p: Promise<unknown>,
  reason: AuthErrorReason,
  code = 'UNAUTHORIZED',
): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(isAuthError(err), `expected AuthError, got ${String(err)}`);
    assert.equal(err.reason, reason);
    assert.equal(err.code, code);
    return true;
  });
}

function b64(v: unknown): string {
  return Buffer.from(JSON.stringify(v)).toString('base64url');
}

describe('createTokenVerifier against a real JWKS endpoint', () => {
  let jwks: JwksServer;
  const k1 = makeTestKey('k1');
  let clock = Date.now();
  const opts = (): TokenVerifierOptions => ({
    jwksUrls: [jwks.url],
    issuer: ISS,
    audience: AUD,
    unknownKidRefetchMinIntervalMs: 10_000,
    now: () => clock,
  });

  before(async () => {
    jwks = await JwksServer.start();
    jwks.keys = [k1];
  });
  after(async () => {
    await jwks.close();
  });

  test('accepts a valid token and returns typed claims', async () => {
    const v = createTokenVerifier(opts());
    const token = await signTestToken(k1, {
      issuer: ISS,
      audience: AUD,
      scope: 'service.write.mh service.read.gc',
    });
    const claims = await v.verify(token, { requiredScopes: ['service.read.mh' as Scope] });
    assert.equal(claims.issuer, ISS);
    assert.equal(claims.subject, 'svc-1');
    assert.deepEqual(claims.audience, [AUD]);
    assert.equal(claims.principal, 'service');
    assert.deepEqual(claims.scopes, ['service.write.mh', 'service.read.gc']);
    assert.equal(claims.keyId, 'k1');
    assert.ok(claims.expiresAt > claims.issuedAt);
  });

  test('FORBIDDEN insufficient_scope when a required scope is missing', async () => {
    const v = createTokenVerifier(opts());
    const token = await signTestToken(k1, { issuer: ISS, audience: AUD, scope: 'service.read.mh' });
    await rejectsWith(
      v.verify(token, { requiredScopes: ['service.write.mh' as Scope] }),
      'insufficient_scope',
      'FORBIDDEN',
    );
  });

  test('refuses alg none', async () => {
    const v = createTokenVerifier(opts());
    const now = Math.floor(clock / 1000);
    const token = `${b64({ alg: 'none', kid: 'k1' })}.${b64({ iss: ISS, aud: AUD, sub: 'x', exp: now + 60, iat: now, nbf: now, jti: 'j', principal: 'service', scope: '' })}.`;
    await rejectsWith(v.verify(token), 'malformed'); // empty signature segment
    const token2 = `${b64({ alg: 'none', kid: 'k1' })}.${b64({ sub: 'x' })}.AAAA`;
    await rejectsWith(v.verify(token2), 'alg_not_allowed');
  });

  test('refuses HS256 signed with the public key (key confusion)', async () => {
    const v = createTokenVerifier(opts());
    const now = Math.floor(clock / 1000);
    const signingInput = `${b64({ alg: 'HS256', kid: 'k1', typ: 'JWT' })}.${b64({ iss: ISS, aud: AUD, sub: 'x', exp: now + 60, iat: now, nbf: now, jti: 'j', principal: 'service', scope: 'service.admin.ac' })}`;
    const pub = String(k1.publicJwk.x);
    const sig = createHmac('sha256', Buffer.from(pub, 'base64url')).update(signingInput).digest('base64url');
    await rejectsWith(v.verify(`${signingInput}.${sig}`), 'alg_not_allowed');
    const sig2 = createHmac('sha256', JSON.stringify(k1.publicJwk)).update(signingInput).digest('base64url');
    await rejectsWith(v.verify(`${signingInput}.${sig2}`), 'alg_not_allowed');
  });

  test('refuses a kid with path or SQL characters without fetching', async () => {
    const v = createTokenVerifier(opts());
    for (const kid of [
      '../../etc/passwd',
      "k1' OR '1'='1",
      'k1;DROP TABLE signing_keys',
      'a/b',
      '',
      'x'.repeat(200),
    ]) {
      const before = jwks.requests;
      const token = `${b64({ alg: 'EdDSA', kid })}.${b64({ sub: 'x' })}.AAAA`;
      await rejectsWith(v.verify(token), 'malformed');
      assert.equal(jwks.requests, before, `kid ${kid} must not reach the JWKS endpoint`);
    }
  });

  test('unknown kid: refused, refetched at most once per interval', async () => {
    const v = createTokenVerifier(opts());
    const stranger = makeTestKey('stranger');
    const token = await signTestToken(stranger, { issuer: ISS, audience: AUD });
    const before = jwks.requests;
    await rejectsWith(v.verify(token), 'unknown_kid');
    for (let i = 0; i < 20; i++) await rejectsWith(v.verify(token), 'unknown_kid');
    assert.equal(jwks.requests - before, 1, 'a flood of unknown kids fetches the JWKS once per interval');
    clock += 10_001;
    await rejectsWith(v.verify(token), 'unknown_kid');
    assert.equal(jwks.requests - before, 2);
  });

  test('a forged token under a known kid fails the signature check', async () => {
    const v = createTokenVerifier(opts());
    const forger = makeTestKey('k1');
    const token = await signTestToken(k1, { issuer: ISS, audience: AUD, privateKey: forger.privateKey });
    await rejectsWith(v.verify(token), 'bad_signature');
    const good = await signTestToken(k1, { issuer: ISS, audience: AUD, scope: 'service.read.mh' });
    const [h, , s] = good.split('.');
    const tampered = `${h ?? ''}.${b64({ iss: ISS, aud: AUD, sub: 'admin', principal: 'service', scope: 'service.admin.ac' })}.${s ?? ''}`;
    await rejectsWith(v.verify(tampered), 'bad_signature');
  });

  test('expired, not yet valid, wrong audience, wrong issuer', async () => {
    const v = createTokenVerifier(opts());
    const now = Math.floor(clock / 1000);
    await rejectsWith(
      v.verify(await signTestToken(k1, { issuer: ISS, audience: AUD, nowSec: now - 7200, ttlSec: 3600 })),
      'expired',
    );
    await rejectsWith(
      v.verify(await signTestToken(k1, { issuer: ISS, audience: AUD, nbfSec: now + 600 })),
      'not_yet_valid',
    );
    await rejectsWith(
      v.verify(await signTestToken(k1, { issuer: ISS, audience: 'someone-else' })),
      'wrong_audience',
    );
    await rejectsWith(
      v.verify(await signTestToken(k1, { issuer: 'https://evil.example', audience: AUD })),
      'wrong_issuer',
    );
  });

  test('oversized and malformed tokens', async () => {
    const v = createTokenVerifier(opts());
    await rejectsWith(v.verify('a'.repeat(8193)), 'oversized');
    await rejectsWith(v.verify(`${b64({ alg: 'EdDSA', kid: 'k1' })}.${'A'.repeat(9000)}.AAAA`), 'oversized');
    await rejectsWith(v.verify('é'.repeat(5000)), 'oversized');
    await rejectsWith(v.verify('abc.de!f.ghi'), 'malformed');
    await rejectsWith(v.verify('abc.def'), 'malformed');
    await rejectsWith(v.verify('a.b.c.d'), 'malformed');
    await rejectsWith(v.verify(`${Buffer.from('not json').toString('base64url')}.e30.AAAA`), 'malformed');
    await rejectsWith(v.verify(`${b64([1, 2])}.e30.AAAA`), 'malformed');
    await rejectsWith(v.verify(''), 'missing');
    // Valid header, payload not JSON: the signature is checked before the payload is ever parsed.
    await rejectsWith(v.verify(`${b64({ alg: 'EdDSA', kid: 'k1' })}.bm90anNvbg.AAAA`), 'bad_signature');
  });

  test('claims with foreign scopes or principal are refused', async () => {
    const v = createTokenVerifier(opts());
    await rejectsWith(
      v.verify(
        await signTestToken(k1, { issuer: ISS, audience: AUD, principal: 'user', scope: 'service.admin.ac' }),
      ),
      'malformed',
    );
    await rejectsWith(
      v.verify(await signTestToken(k1, { issuer: ISS, audience: AUD, scope: 'service.root.everything' })),
      'malformed',
    );
    await rejectsWith(
      v.verify(await signTestToken(k1, { issuer: ISS, audience: AUD, extra: { principal: 'admin' } })),
      'malformed',
    );
  });

  test('rotation: a new kid is picked up; a retired key stops working after the cache TTL', async () => {
    const v = createTokenVerifier(opts());
    const k2 = makeTestKey('k2');
    const t1 = await signTestToken(k1, { issuer: ISS, audience: AUD });
    await v.verify(t1);
    clock += 10_001;
    jwks.keys = [k2, k1];
    await v.verify(await signTestToken(k2, { issuer: ISS, audience: AUD, nowSec: Math.floor(clock / 1000) }));
    jwks.keys = [k2]; // k1 retired
    const t1b = await signTestToken(k1, { issuer: ISS, audience: AUD, nowSec: Math.floor(clock / 1000) });
    await v.verify(t1b); // still cached
    clock += 3_600_001;
    const t1c = await signTestToken(k1, { issuer: ISS, audience: AUD, nowSec: Math.floor(clock / 1000) });
    await rejectsWith(v.verify(t1c), 'unknown_kid');
    jwks.keys = [k1];
  });

  test('garbage or huge JWKS documents are survived', async () => {
    const v = createTokenVerifier({ ...opts(), maxJwksBytes: 4096 });
    const token = await signTestToken(k1, { issuer: ISS, audience: AUD, nowSec: Math.floor(clock / 1000) });
    jwks.rawBody = 'not json';
    await rejectsWith(v.verify(token), 'jwks_unavailable');
    jwks.rawBody = JSON.stringify({ keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'A'.repeat(5000), kid: 'k1' }] });
    clock += 10_001;
    await rejectsWith(v.verify(token), 'jwks_unavailable');
    jwks.rawBody = JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 'k1' }, { kid: 7 }, null] });
    clock += 10_001;
    await rejectsWith(v.verify(token), 'unknown_kid');
    jwks.rawBody = undefined;
    clock += 10_001;
    await v.verify(token);
  });

  test('property: arbitrary strings never produce anything but an AuthError', async () => {
    const v = createTokenVerifier(opts());
    const seg = fc.string({ unit: fc.constantFrom(...'AZaz09-_.'.split('')), maxLength: 60 });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          seg,
          fc.tuple(seg, seg, seg).map((p) => p.join('.')),
        ),
        async (s) => {
          try {
            await v.verify(s);
            return false;
          } catch (err) {
            return isAuthError(err);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('federation', () => {
  test('trusts tokens of every configured cluster; survives one cluster being down', async () => {
    await using eu = await JwksServer.start();
    await using us = await JwksServer.start();
    const ke = makeTestKey('eu-1');
    const ku = makeTestKey('us-1');
    eu.keys = [ke];
    us.keys = [ku];
    const v = createTokenVerifier({
      jwksUrls: [eu.url, us.url],
      issuer: ['https://auth.eu', 'https://auth.us'],
      audience: AUD,
      unknownKidRefetchMinIntervalMs: 0,
    });
    assert.deepEqual(await v.warm(), []);
    assert.equal(
      (await v.verify(await signTestToken(ke, { issuer: 'https://auth.eu', audience: AUD }))).issuer,
      'https://auth.eu',
    );
    assert.equal(
      (await v.verify(await signTestToken(ku, { issuer: 'https://auth.us', audience: AUD }))).issuer,
      'https://auth.us',
    );
    await rejectsWith(
      v.verify(await signTestToken(ku, { issuer: 'https://auth.ap', audience: AUD })),
      'wrong_issuer',
    );
    us.status = 503;
    // A cluster that goes down keeps its cached keys for a while: US tokens verify, unknown kids stay unknown.
    await v.verify(await signTestToken(ku, { issuer: 'https://auth.us', audience: AUD }));
    const kx = makeTestKey('ap-1');
    await rejectsWith(
      v.verify(await signTestToken(kx, { issuer: 'https://auth.eu', audience: AUD })),
      'unknown_kid',
    );
    // A verifier that never reached the US cluster says the keys are unavailable rather than unknown...
    const cold = createTokenVerifier({
      jwksUrls: [eu.url, us.url],
      issuer: ['https://auth.eu', 'https://auth.us'],
      audience: AUD,
    });
    await rejectsWith(
      cold.verify(await signTestToken(ku, { issuer: 'https://auth.us', audience: AUD })),
      'jwks_unavailable',
    );
    // ...and still trusts the EU cluster.
    await cold.verify(await signTestToken(ke, { issuer: 'https://auth.eu', audience: AUD }));
    assert.deepEqual(await v.warm(), [us.url]);
  });

  test('configuration refuses unsafe algorithms', () => {
    assert.throws(() =>
      createTokenVerifier({
        jwksUrls: ['http://127.0.0.1:1/'],
        issuer: ISS,
        audience: AUD,
        algorithms: ['HS256'],
      }),
    );
    assert.throws(() =>
      createTokenVerifier({
        jwksUrls: ['http://127.0.0.1:1/'],
        issuer: ISS,
        audience: AUD,
        algorithms: ['none'],
      }),
    );
    assert.throws(() => createTokenVerifier({ jwksUrls: [], issuer: ISS, audience: AUD }));
  });
});
