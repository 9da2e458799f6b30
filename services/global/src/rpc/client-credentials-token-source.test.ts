import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTracing } from '@darktower/service-kit';
import { clientCredentialsTokenSource } from './client-credentials-token-source.ts';

async function tokenServer(answer: (body: Record<string, string>) => [number, unknown]) {
  const bodies: Record<string, string>[] = [];
  const traceparents: (string | undefined)[] = [];
  const server = createServer((req, res) => {
    traceparents.push(req.headers.traceparent as string | undefined);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString()) as Record<string, string>;
      bodies.push(body);
      const [status, json] = answer(body);
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/auth/service/token`;
  return {
    url,
    bodies,
    traceparents,
    close: () =>
      new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      ),
  };
}

describe('clientCredentialsTokenSource', () => {
  test('asks once, reuses the token until near expiry, shares concurrent requests', async () => {
    let n = 0;
    const srv = await tokenServer(() => [
      200,
      { access_token: `tok-${++n}`, token_type: 'Bearer', expires_in: 3600 },
    ]);
    let now = 0;
    try {
      const source = clientCredentialsTokenSource({
        tokenUrl: srv.url,
        clientId: 'gc',
        clientSecret: 's3cret',
        scope: 'service.write.mc',
        now: () => now,
      });
      const [a, b] = await Promise.all([source(), source()]);
      assert.equal(a, 'tok-1');
      assert.equal(b, 'tok-1');
      now += 3_000_000;
      assert.equal(await source(), 'tok-1');
      now += 600_000;
      assert.equal(await source(), 'tok-2');
      assert.equal(srv.bodies.length, 2);
      assert.deepEqual(srv.bodies[0], {
        grant_type: 'client_credentials',
        client_id: 'gc',
        client_secret: 's3cret',
        scope: 'service.write.mc',
      });
    } finally {
      await srv.close();
    }
  });

  test('refusals and malformed answers reject, and the next call tries again', async () => {
    let mode = 0;
    const srv = await tokenServer(() =>
      mode++ === 0 ? [401, { error: 'invalid_client' }] : [200, { nope: 1 }],
    );
    try {
      const source = clientCredentialsTokenSource({ tokenUrl: srv.url, clientId: 'gc', clientSecret: 'x' });
      await assert.rejects(source(), /HTTP 401/);
      await assert.rejects(source(), /no access_token/);
    } finally {
      await srv.close();
    }
  });

  test('carries the traceparent of the active span', async () => {
    const srv = await tokenServer(() => [200, { access_token: 'tok', token_type: 'Bearer', expires_in: 60 }]);
    const tracing = createTracing({ serviceName: 'gc-test', exporter: 'none' });
    try {
      const source = clientCredentialsTokenSource({
        tokenUrl: srv.url,
        clientId: 'svc_gc',
        clientSecret: 'secret',
        tracing,
      });
      const traceId = 'a'.repeat(32);
      await tracing.withRemoteParent(`00-${traceId}-${'b'.repeat(16)}-01`, () =>
        tracing.startActiveSpan('create', () => source()),
      );
      assert.match(srv.traceparents[0] ?? '', new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    } finally {
      await tracing.close();
      await srv.close();
    }
  });
});
