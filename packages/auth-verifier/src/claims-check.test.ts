import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { SignJWT, jwtVerify, importJWK } from 'jose';
import { checkClaims } from './claims-check.ts';
import { createTokenVerifier } from './token-verifier.ts';
import { isAuthError } from './errors.ts';
import type { KeySource } from './key-source.ts';

const ISS = 'https://auth.a';
const AUD = 'darktower';
const NOW = 1_800_000_000;
const base = { iss: ISS, sub: 's', aud: AUD, exp: NOW + 60, iat: NOW, nbf: NOW, jti: 'j' };
const check = { issuers: [ISS], audiences: [AUD], nowSec: NOW, toleranceSec: 30 };

test('checkClaims: boundaries and types', () => {
  const reason = (p: unknown): string => {
    try {
      checkClaims(p, check);
      return 'ok';
    } catch (e) {
      assert.ok(isAuthError(e));
      return e.reason;
    }
  };
  assert.equal(reason(base), 'ok');
  assert.equal(reason({ ...base, aud: ['x', AUD] }), 'ok');
  assert.equal(reason({ ...base, aud: [] }), 'malformed');
  assert.equal(reason({ ...base, aud: [1] }), 'malformed');
  assert.equal(reason({ ...base, exp: NOW - 30 }), 'expired');
  assert.equal(reason({ ...base, exp: NOW - 29 }), 'ok');
  assert.equal(reason({ ...base, nbf: NOW + 31 }), 'not_yet_valid');
  assert.equal(reason({ ...base, nbf: NOW + 30 }), 'ok');
  assert.equal(reason({ ...base, iat: NOW + 31 }), 'not_yet_valid');
  assert.equal(reason({ ...base, exp: Number.NaN }), 'malformed');
  assert.equal(reason({ ...base, exp: '9999999999' }), 'malformed');
  assert.equal(reason({ ...base, iss: 'https://auth.b' }), 'wrong_issuer');
  assert.equal(reason({ ...base, aud: 'other' }), 'wrong_audience');
  for (const k of Object.keys(base)) {
    const { [k]: _gone, ...rest } = base as Record<string, unknown>;
    assert.equal(reason(rest), 'malformed', `without ${k}`);
  }
  assert.equal(reason([base]), 'malformed');
  assert.equal(reason(null), 'malformed');
});

test('differential: our verifier and jose agree on accept/reject for generated claims', async () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const key = (await importJWK({ ...publicKey.export({ format: 'jwk' }) }, 'EdDSA')) as CryptoKey;
  const source: KeySource = {
    resolve: (kid) => Promise.resolve(kid === 'k' ? [{ kid, key, source: 'test' }] : []),
  };
  const ours = createTokenVerifier({ keySource: source, issuer: ISS, audience: AUD, now: () => NOW * 1000 });
  const time = fc.integer({ min: NOW - 200, max: NOW + 200 });
  await fc.assert(
    fc.asyncProperty(
      fc.record(
        {
          iss: fc.constantFrom(ISS, 'https://auth.b'),
          sub: fc.constantFrom('s'),
          aud: fc.oneof(
            fc.constantFrom(AUD, 'x'),
            fc.array(fc.constantFrom(AUD, 'x', 'y'), { minLength: 1, maxLength: 3 }),
          ),
          exp: time,
          iat: fc.integer({ min: NOW - 200, max: NOW }),
          nbf: time,
          jti: fc.constantFrom('j'),
        },
        { requiredKeys: ['iat'] },
      ),
      async (claims) => {
        const token = await new SignJWT({ ...claims, principal: 'service', scope: 'service.read.mh' })
          .setProtectedHeader({ alg: 'EdDSA', kid: 'k' })
          .sign(privateKey);
        const a = await ours.verify(token).then(
          () => true,
          () => false,
        );
        const b = await jwtVerify(token, key, {
          algorithms: ['EdDSA'],
          issuer: ISS,
          audience: AUD,
          clockTolerance: 30,
          currentDate: new Date(NOW * 1000),
          requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', 'nbf', 'jti'],
        }).then(
          () => true,
          () => false,
        );
        return a === b;
      },
    ),
    { numRuns: 300 },
  );
});
