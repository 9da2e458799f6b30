import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness } from '../testing/harness.ts';
import { injector } from '../testing/http-helpers.ts';
import { postgresTarget } from '../testing/targets.ts';

test('a burst of password work beyond the argon2 gate is shed with 429, never a 5xx', async () => {
  const opts = await postgresTarget.setup();
  const h = await startHarness({
    ...opts,
    overrides: {
      argon2MaxConcurrent: '1',
      argon2MaxQueued: '0',
      argon2MemoryKib: '32768',
      argon2TimeCost: '2',
    },
  });
  const inject = injector(h.controller);
  try {
    const registrations = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        inject({
          method: 'POST',
          url: '/api/v1/users',
          remoteAddress: `10.9.0.${i}`,
          payload: { username: `burst${i}`, password: 'a long enough passphrase', display_name: 'B' },
        }),
      ),
    );
    const codes = registrations.map((r) => r.statusCode);
    assert.ok(codes.includes(201), codes.join(','));
    assert.ok(codes.includes(429), codes.join(','));
    assert.ok(
      codes.every((c) => c === 201 || c === 429),
      codes.join(','),
    );
    const refused = registrations.find((r) => r.statusCode === 429);
    assert.equal(refused?.json<{ error: { code: string } }>().error.code, 'RATE_LIMITED');

    const logins = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        inject({
          method: 'POST',
          url: '/v1/auth/user/token',
          remoteAddress: `10.9.1.${i}`,
          payload: { username: 'burst0', password: 'a long enough passphrase' },
        }),
      ),
    );
    const loginCodes = logins.map((r) => r.statusCode);
    assert.ok(loginCodes.includes(429), loginCodes.join(','));
    assert.ok(
      loginCodes.every((c) => c === 200 || c === 400 || c === 429),
      loginCodes.join(','),
    );
    assert.equal(
      logins.find((r) => r.statusCode === 429)?.json<{ error: string }>().error,
      'temporarily_unavailable',
    );
    assert.equal((await inject({ method: 'GET', url: '/.well-known/jwks.json' })).statusCode, 200);
  } finally {
    await h.close();
    await opts.cleanup?.();
  }
});
