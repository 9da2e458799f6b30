import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkPassword } from './password-policy.ts';
import { OWASP_ARGON2ID, PasswordHasher } from './password-hasher.ts';

test('length, deny-list (with suffixes) and username checks', () => {
  const o = { minLength: 12 };
  assert.equal(checkPassword('short', 'bob', o), 'too_short');
  assert.equal(checkPassword('🔑🔑🔑🔑🔑🔑', 'bob', o), 'too_short', 'code points, not UTF-16 units');
  assert.equal(checkPassword('x'.repeat(300), 'bob', o), 'too_long');
  assert.equal(checkPassword('1234567890', 'bob', { minLength: 8 }), 'common');
  assert.equal(checkPassword('Password123!', 'bob', { minLength: 8 }), 'common');
  assert.equal(checkPassword('qwertyuiop', 'bob', { minLength: 8 }), 'common');
  assert.equal(checkPassword('i-am-robert-smith', 'robert', o), 'contains_username');
  assert.equal(checkPassword('correct horse battery staple', 'bob', o), undefined);
  fc.assert(
    fc.property(fc.string({ maxLength: 400 }), fc.string({ maxLength: 40 }), (p, u) => {
      const r = checkPassword(p, u, o);
      return r === undefined || ['too_short', 'too_long', 'common', 'contains_username'].includes(r);
    }),
  );
});

test('argon2id hashes carry the configured parameters and verify; garbage hashes are false', async () => {
  const hasher = new PasswordHasher({ memoryCostKiB: 1024, timeCost: 1, parallelism: 1 });
  const h = await hasher.hash('a long enough passphrase');
  assert.match(h, /^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
  assert.equal(await hasher.verify(h, 'a long enough passphrase'), true);
  assert.equal(await hasher.verify(h, 'another passphrase'), false);
  assert.equal(await hasher.verify('not-a-hash', 'x'), false);
  assert.equal(await hasher.verify(h, 'x'.repeat(1000)), false);
  assert.equal(await hasher.verifyDummy('anything'), false);
  assert.deepEqual(OWASP_ARGON2ID, { memoryCostKiB: 19_456, timeCost: 2, parallelism: 1 });
});
