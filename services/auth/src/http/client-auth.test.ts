import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientCredentials } from './client-auth.ts';
import { isOAuthError } from './oauth-error.ts';

const basic = (id: string, secret: string): string =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

test('RFC 6749 2.3.1 client authentication: Basic or body, not both', () => {
  assert.deepEqual(clientCredentials(basic('svc_a', 's:e/c+r%t'), {}), {
    clientId: 'svc_a',
    clientSecret: 's:e/c+r%t',
    usedBasic: true,
  });
  assert.deepEqual(clientCredentials(undefined, { client_id: 'svc_a', client_secret: 's' }), {
    clientId: 'svc_a',
    clientSecret: 's',
    usedBasic: false,
  });
  const code = (f: () => unknown): string => {
    try {
      f();
      return 'none';
    } catch (e) {
      assert.ok(isOAuthError(e));
      return `${e.code}:${e.status}`;
    }
  };
  assert.equal(
    code(() => clientCredentials(basic('a', 'b'), { client_id: 'a' })),
    'invalid_request:400',
  );
  assert.equal(
    code(() => clientCredentials(undefined, {})),
    'invalid_client:401',
  );
  assert.equal(
    code(() => clientCredentials(undefined, { client_id: 1, client_secret: 2 })),
    'invalid_client:401',
  );
  assert.equal(
    code(() => clientCredentials('Basic bm9jb2xvbg==', {})),
    'invalid_client:401',
  );
  assert.equal(
    code(() => clientCredentials(`Basic ${Buffer.from('%E0%A4%A:x').toString('base64')}`, {})),
    'invalid_client:401',
  );
  assert.equal(
    code(() => clientCredentials(`Basic ${'A'.repeat(5000)}`, {})),
    'invalid_client:401',
  );
});
