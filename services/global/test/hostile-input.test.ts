import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, testRedisUrl, uniquePrefix, type TestDatabase } from '@darktower/data/testing';
import { signTestToken } from '@darktower/auth-verifier/testing';
import { AUDIENCE, ISSUER, TestIdentity } from './support/identity.ts';
import { call, errorCode, type Reply } from './support/http.ts';
import { startGc, type StartedGc } from './support/start-gc.ts';
import { TestMeetingController } from './support/test-meeting-controller.ts';

describe('Global Controller: hostile input', () => {
  let db: TestDatabase;
  let identity: TestIdentity;
  let gc: StartedGc;
  let mc: TestMeetingController;
  let alice: string;

  before(async () => {
    db = await createTestDatabase({ prefix: 'gc_hostile' });
    identity = await TestIdentity.start();
    gc = await startGc(identity, {
      DATABASE_URL: db.url,
      REDIS_URL: testRedisUrl(),
      GC_REDIS_PREFIX: uniquePrefix('gch'),
      RATE_LIMIT_PER_MINUTE: '100000',
      TENANT_BASE_DOMAIN: 'darktower.example',
    });
    mc = await TestMeetingController.start('mc-h');
    await mc.register(gc.url, await identity.service('svc-meeting'));
    alice = await identity.user('alice');
  });

  after(async () => {
    await gc.gc.close();
    await mc.close();
    await identity[Symbol.asyncDispose]();
    await db.drop();
  });

  const expectError = (reply: Reply, status: number, code: string, what: string): void => {
    assert.equal(reply.status, status, `${what}: ${JSON.stringify(reply.body)}`);
    assert.equal(errorCode(reply), code, what);
    const err = reply.body.error as Record<string, unknown>;
    assert.deepEqual(Object.keys(err).sort(), ['code', 'details', 'message'], `${what}: error shape`);
    assert.equal(typeof err.message, 'string');
  };

  test('bodies: malformed JSON, unknown fields, wrong types (no coercion), prototype poisoning, huge bodies', async () => {
    const post = (rawBody: string | Buffer, headers: Record<string, string> = {}): Promise<Reply> =>
      call(gc.url, 'POST', '/api/v1/meetings', { token: alice, rawBody, headers });
    expectError(await post('{"display_name": "x"'), 400, 'INVALID_REQUEST', 'truncated JSON');
    expectError(await post('[]'), 400, 'INVALID_REQUEST', 'array body');
    expectError(await post('{"display_name":"x","admin":true}'), 400, 'INVALID_REQUEST', 'unknown field');
    expectError(
      await post('{"display_name":"x","settings":{"require_auth":false,"x":1}}'),
      400,
      'INVALID_REQUEST',
      'unknown nested field',
    );
    expectError(
      await post('{"display_name":"x","max_participants":"10"}'),
      400,
      'INVALID_REQUEST',
      'string for integer',
    );
    expectError(
      await post('{"display_name":"x","max_participants":10.5}'),
      400,
      'INVALID_REQUEST',
      'fraction',
    );
    expectError(
      await post('{"display_name":"x","settings":{"require_auth":"false"}}'),
      400,
      'INVALID_REQUEST',
      'string for boolean',
    );
    expectError(await post('{"display_name":5}'), 400, 'INVALID_REQUEST', 'number for string');
    expectError(await post('{"display_name":""}'), 400, 'INVALID_REQUEST', 'empty name');
    expectError(await post('{"display_name":"   "}'), 400, 'INVALID_REQUEST', 'blank name');
    expectError(
      await post('{"display_name":"x","max_participants":0}'),
      400,
      'INVALID_REQUEST',
      'zero participants',
    );
    expectError(
      await post('{"display_name":"x","__proto__":{"admin":true}}'),
      400,
      'INVALID_REQUEST',
      '__proto__',
    );
    expectError(
      await post('{"display_name":"x","constructor":{"prototype":{}}}'),
      400,
      'INVALID_REQUEST',
      'constructor',
    );
    expectError(
      await post('{"display_name":"x"}', { 'content-type': 'text/plain' }),
      400,
      'INVALID_REQUEST',
      'text body',
    );
    expectError(
      await post('<x/>', { 'content-type': 'application/xml' }),
      415,
      'INVALID_REQUEST',
      'content type',
    );
    const huge = Buffer.from(JSON.stringify({ display_name: 'x'.repeat(1024 * 1024) }));
    expectError(await post(huge), 413, 'INVALID_REQUEST', '1 MiB body');
    const name = 'x'.repeat(201);
    expectError(await post(JSON.stringify({ display_name: name })), 400, 'INVALID_REQUEST', 'name too long');
  });

  test('ids: path traversal, non-UUID ids, unknown ids, oversized ids', async () => {
    for (const path of [
      '/api/v1/meetings/..%2F..%2Fetc%2Fpasswd',
      '/api/v1/meetings/12345',
      "/api/v1/meetings/1'%20or%20'1'='1",
      '/api/v1/meetings/%00',
      '/api/v1/meetings/550e8400-e29b-41d4-a716-44665544000',
    ]) {
      expectError(await call(gc.url, 'GET', path, { token: alice }), 400, 'INVALID_REQUEST', path);
    }
    const long = await call(gc.url, 'GET', `/api/v1/meetings/${'a'.repeat(500)}`, { token: alice });
    assert.equal(errorCode(long), 'INVALID_REQUEST');
    assert.ok(long.status === 400 || long.status === 414);
    expectError(
      await call(gc.url, 'GET', '/api/v1/meetings/550e8400-e29b-41d4-a716-446655440000', { token: alice }),
      404,
      'MEETING_NOT_FOUND',
      'unknown uuid',
    );
    expectError(
      await call(gc.url, 'GET', '/api/v1/meetings/zzz-zzzz-zzz', { token: alice }),
      404,
      'MEETING_NOT_FOUND',
      'unknown code',
    );
    expectError(
      await call(gc.url, 'DELETE', '/api/v1/meetings/../../etc/passwd', { token: alice }),
      404,
      'NOT_FOUND',
      'traversal',
    );
    expectError(
      await call(gc.url, 'GET', '/api/v1/nothing-here', { token: alice }),
      404,
      'NOT_FOUND',
      'unknown route',
    );
  });

  test('queries: bad paging and filters are refused, not coerced', async () => {
    for (const q of [
      'limit=0',
      'limit=101',
      'limit=abc',
      'limit=1e2',
      'active=yes',
      'active=1',
      'cursor=%21%21',
      'cursor=eyJ4IjoxfQ',
      'page=2',
    ]) {
      expectError(
        await call(gc.url, 'GET', `/api/v1/meetings?${q}`, { token: alice }),
        400,
        'INVALID_REQUEST',
        q,
      );
    }
  });

  test('tokens: missing, not bearer, forged, expired, wrong audience, missing scope, another tenant', async () => {
    const post = (headers: Record<string, string>): Promise<Reply> =>
      call(gc.url, 'POST', '/api/v1/meetings', { headers, body: { display_name: 'x' } });
    const missing = await post({});
    expectError(missing, 401, 'UNAUTHORIZED', 'missing');
    assert.match(missing.headers.get('www-authenticate') ?? '', /^Bearer/);
    expectError(await post({ authorization: 'Basic YWxpY2U6cHc=' }), 401, 'UNAUTHORIZED', 'basic');
    expectError(await post({ authorization: 'Bearer not.a.jwt' }), 401, 'UNAUTHORIZED', 'garbage');
    expectError(
      await post({ authorization: `Bearer ${'a'.repeat(12_000)}` }),
      401,
      'UNAUTHORIZED',
      'oversized',
    );
    const forged = await post({ authorization: `Bearer ${await identity.forged('alice')}` });
    expectError(forged, 401, 'UNAUTHORIZED', 'forged');
    assert.equal((forged.body.error as { details: { reason: string } }).details.reason, 'bad_signature');
    const expired = await signTestToken(identity.key, {
      issuer: ISSUER,
      audience: AUDIENCE,
      principal: 'user',
      scope: 'user.write.gc',
      subject: 'alice',
      nowSec: Math.floor(Date.now() / 1000) - 7200,
      ttlSec: 60,
    });
    expectError(await post({ authorization: `Bearer ${expired}` }), 401, 'UNAUTHORIZED', 'expired');
    const otherAud = await signTestToken(identity.key, {
      issuer: ISSUER,
      audience: 'someone-else',
      principal: 'user',
      scope: 'user.write.gc',
      subject: 'alice',
    });
    expectError(await post({ authorization: `Bearer ${otherAud}` }), 401, 'UNAUTHORIZED', 'audience');
    const readOnly = await identity.user('alice', 'user.read.gc');
    expectError(await post({ authorization: `Bearer ${readOnly}` }), 403, 'FORBIDDEN', 'scope');
    const service = await identity.service('svc-x', 'service.write.gc');
    expectError(
      await post({ authorization: `Bearer ${service}` }),
      403,
      'FORBIDDEN',
      'service token on a user route',
    );
    const acme = await identity.user('alice', 'user.read.gc user.write.gc', { tenant: 'acme' });
    expectError(await post({ authorization: `Bearer ${acme}` }), 403, 'FORBIDDEN', 'other tenant');
  });

  test('hosts: malformed or nested tenant hosts are refused; unknown tenants are NOT_FOUND', async () => {
    const get = (host: string): Promise<Reply> =>
      call(gc.url, 'GET', '/api/v1/meetings', { token: alice, headers: { host } });
    expectError(await get('a.b.darktower.example'), 400, 'INVALID_REQUEST', 'nested');
    expectError(await get('x_y.darktower.example'), 400, 'INVALID_REQUEST', 'underscore');
    expectError(await get('evil.darktower.example:notaport'), 400, 'INVALID_REQUEST', 'port');
    expectError(await get('ghost.darktower.example'), 404, 'NOT_FOUND', 'unknown tenant');
  });

  test('a guest join token replayed for another meeting carries the first meeting (the controller refuses it)', async () => {
    const make = async (name: string): Promise<Reply> =>
      call(gc.url, 'POST', '/api/v1/meetings', {
        token: alice,
        body: { display_name: name, settings: { require_auth: false } },
      });
    const one = await make('one');
    const two = await make('two');
    const join = await call(gc.url, 'POST', `/api/v1/meetings/${one.body.meeting_id as string}/join`, {
      body: { display_name: 'G' },
    });
    const claims = JSON.parse(
      Buffer.from((join.body.join_token as string).split('.')[1] ?? '', 'base64url').toString(),
    ) as {
      meeting_id: string;
    };
    assert.equal(claims.meeting_id, one.body.meeting_id);
    assert.notEqual(claims.meeting_id, two.body.meeting_id);
    // And it is no credential for the Global Controller itself.
    const asBearer = await call(gc.url, 'POST', `/api/v1/meetings/${two.body.meeting_id as string}/join`, {
      token: join.body.join_token as string,
      body: { display_name: 'G' },
    });
    expectError(asBearer, 401, 'UNAUTHORIZED', 'join token as bearer');
    expectError(
      await call(gc.url, 'POST', `/api/v1/meetings/${one.body.meeting_id as string}/join`, { body: {} }),
      400,
      'INVALID_REQUEST',
      'guest without a name',
    );
  });

  test('a flood over the rate limit gets 429 for the excess only; other tenants are unaffected', async () => {
    await gc.gc.module.tenants.upsert({
      slug: 'flood',
      displayName: 'Flood',
      maxActiveMeetings: 10,
      maxParticipantsPerMeeting: 10,
      rateLimitPerMinute: 20,
      allowGuests: true,
    });
    const replies = await Promise.all(
      Array.from({ length: 40 }, () =>
        call(gc.url, 'GET', '/api/v1/join-keys.json', { headers: { host: 'flood.darktower.example' } }),
      ),
    );
    const ok = replies.filter((r) => r.status === 200).length;
    const limited = replies.filter((r) => r.status === 429);
    assert.equal(ok, 20);
    assert.equal(limited.length, 20);
    for (const r of limited) {
      expectError(r, 429, 'RATE_LIMITED', 'flood');
      assert.equal(r.headers.get('x-ratelimit-remaining'), '0');
    }
    assert.equal((await call(gc.url, 'GET', '/api/v1/meetings', { token: alice })).status, 200);
  });

  test('random tenant subdomains share one rate-limit bucket per client', async () => {
    const own = await startGc(identity, {
      DATABASE_URL: db.url,
      REDIS_URL: testRedisUrl(),
      GC_REDIS_PREFIX: uniquePrefix('gchr'),
      RATE_LIMIT_PER_MINUTE: '5',
      TENANT_BASE_DOMAIN: 'darktower.example',
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) {
        const r = await call(own.url, 'GET', '/api/v1/join-keys.json', {
          headers: { host: `rnd${i}.darktower.example` },
        });
        statuses.push(r.status);
      }
      assert.deepEqual(statuses, [404, 404, 404, 404, 404, 429, 429]);
    } finally {
      await own.gc.close();
    }
  });

  test('after all of that the service still works', async () => {
    const created = await call(gc.url, 'POST', '/api/v1/meetings', {
      token: alice,
      body: { display_name: 'fine' },
    });
    assert.equal(created.status, 201);
    const got = await call(gc.url, 'GET', `/api/v1/meetings/${created.body.meeting_id as string}`, {
      token: alice,
    });
    assert.equal(got.status, 200);
    assert.equal(got.body.meeting_controller_url, mc.clientUrl);
  });
});
