import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  clientCredentialsTokenSource,
  isServiceTokenError,
  MAX_TOKEN_RESPONSE_BYTES,
} from './client-credentials.ts';

interface Seen {
  readonly contentType: string | undefined;
  readonly form: URLSearchParams;
}

/** A token endpoint on loopback whose answers the test decides. */
async function tokenServer(
  answer: (seen: Seen, n: number) => { status?: number; body: string; delayMs?: number },
): Promise<{ url: string; requests: Seen[] } & AsyncDisposable> {
  const requests: Seen[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const seen = {
        contentType: req.headers['content-type'],
        form: new URLSearchParams(Buffer.concat(chunks).toString('utf8')),
      };
      requests.push(seen);
      const a = answer(seen, requests.length);
      setTimeout(() => {
        res.writeHead(a.status ?? 200, { 'content-type': 'application/json' });
        res.end(a.body);
      }, a.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/auth/service/token`,
    requests,
    [Symbol.asyncDispose]: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
    },
  };
}

const ok = (token: string, expiresIn = 3600): { body: string } => ({
  body: JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: expiresIn }),
});

describe('clientCredentialsTokenSource', () => {
  test('posts client_credentials as a form and returns the access token', async () => {
    await using server = await tokenServer((_seen, n) => ok(`tok-${n}`));
    const source = clientCredentialsTokenSource({
      tokenUrl: server.url,
      clientId: 'svc-1',
      clientSecret: 's3cret',
      scope: 'service.write.mh service.read.mh',
    });
    assert.equal(await source(), 'tok-1');
    const seen = server.requests[0];
    assert.ok(seen !== undefined);
    assert.equal(seen.contentType, 'application/x-www-form-urlencoded');
    assert.equal(seen.form.get('grant_type'), 'client_credentials');
    assert.equal(seen.form.get('client_id'), 'svc-1');
    assert.equal(seen.form.get('client_secret'), 's3cret');
    assert.equal(seen.form.get('scope'), 'service.write.mh service.read.mh');
  });

  test('caches until a minute before expiry, then fetches a new token', async () => {
    await using server = await tokenServer((_seen, n) => ok(`tok-${n}`, 600));
    let clock = 1_000_000;
    const source = clientCredentialsTokenSource({
      tokenUrl: server.url,
      clientId: 'a',
      clientSecret: 'b',
      now: () => clock,
    });
    assert.equal(await source(), 'tok-1');
    clock += 539_000; // 9 minutes less one second: still the cached one
    assert.equal(await source(), 'tok-1');
    assert.equal(server.requests.length, 1);
    clock += 2_000; // inside the last minute
    assert.equal(await source(), 'tok-2');
    assert.equal(server.requests.length, 2);
  });

  test('concurrent callers share one request', async () => {
    await using server = await tokenServer((_seen, n) => ({ ...ok(`tok-${n}`), delayMs: 50 }));
    const source = clientCredentialsTokenSource({ tokenUrl: server.url, clientId: 'a', clientSecret: 'b' });
    const tokens = await Promise.all(Array.from({ length: 10 }, () => source()));
    assert.deepEqual(new Set(tokens), new Set(['tok-1']));
    assert.equal(server.requests.length, 1);
  });

  test('a refusal is a typed error with the status, and the next call tries again', async () => {
    await using server = await tokenServer((_seen, n) =>
      n === 1 ? { status: 401, body: '{"error":"invalid_client"}' } : ok('tok-2'),
    );
    const source = clientCredentialsTokenSource({ tokenUrl: server.url, clientId: 'a', clientSecret: 'b' });
    await assert.rejects(source(), (e: unknown) => {
      assert.ok(isServiceTokenError(e));
      assert.equal(e.code, 'TOKEN_REQUEST_REFUSED');
      assert.equal(e.status, 401);
      return true;
    });
    assert.equal(await source(), 'tok-2');
  });

  test('hostile responses are refused with typed errors', async () => {
    const cases: [string, string][] = [
      ['not json', 'TOKEN_RESPONSE_INVALID'],
      ['[]', 'TOKEN_RESPONSE_INVALID'],
      ['{"access_token":42}', 'TOKEN_RESPONSE_INVALID'],
      ['{"access_token":"has space"}', 'TOKEN_RESPONSE_INVALID'],
      ['{"access_token":"x","token_type":"mac"}', 'TOKEN_RESPONSE_INVALID'],
      [JSON.stringify({ access_token: 'x'.repeat(MAX_TOKEN_RESPONSE_BYTES) }), 'TOKEN_RESPONSE_TOO_LARGE'],
    ];
    let i = 0;
    await using server = await tokenServer(() => ({ body: cases[i]?.[0] ?? '' }));
    for (; i < cases.length; i++) {
      const source = clientCredentialsTokenSource({ tokenUrl: server.url, clientId: 'a', clientSecret: 'b' });
      await assert.rejects(source(), (e: unknown) => isServiceTokenError(e) && e.code === cases[i]?.[1]);
    }
  });

  test('an unreachable endpoint is a typed error', async () => {
    let url: string;
    {
      await using server = await tokenServer(() => ok('x'));
      url = server.url;
    }
    const source = clientCredentialsTokenSource({ tokenUrl: url, clientId: 'a', clientSecret: 'b' });
    await assert.rejects(
      source(),
      (e: unknown) => isServiceTokenError(e) && e.code === 'TOKEN_ENDPOINT_UNREACHABLE',
    );
  });

  test('a caller can stop waiting through its AbortSignal', async () => {
    await using server = await tokenServer(() => ({ ...ok('slow'), delayMs: 300 }));
    const source = clientCredentialsTokenSource({ tokenUrl: server.url, clientId: 'a', clientSecret: 'b' });
    const abort = new AbortController();
    const pending = source(abort.signal);
    abort.abort(new Error('gave up'));
    await assert.rejects(pending, /gave up/);
    assert.equal(await source(), 'slow'); // the shared request still completes for others
  });

  test('bad options are refused at construction', () => {
    assert.throws(() =>
      clientCredentialsTokenSource({ tokenUrl: 'ftp://x', clientId: 'a', clientSecret: 'b' }),
    );
    assert.throws(() =>
      clientCredentialsTokenSource({ tokenUrl: 'http://x', clientId: '', clientSecret: 'b' }),
    );
  });
});
