import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { createTestDatabase, testRedisUrl, uniquePrefix, type TestDatabase } from '@darktower/data/testing';
import { HealthStatus } from '@darktower/protocol';
import { TestIdentity } from './support/identity.ts';
import { call, errorCode, type Reply } from './support/http.ts';
import { startGc, type StartedGc } from './support/start-gc.ts';
import { TestMeetingController } from './support/test-meeting-controller.ts';

// Two Global Controller instances sharing real PostgreSQL and Redis, two Meeting Controllers on the real Connect wire.
describe('Global Controller: two instances, two meeting controllers, PostgreSQL + Redis', () => {
  let db: TestDatabase;
  let identity: TestIdentity;
  let a: StartedGc;
  let b: StartedGc;
  let mc1: TestMeetingController;
  let mc2: TestMeetingController;
  let alice: string;
  let bob: string;
  const beating = new Set<TestMeetingController>();
  let beatTimer: NodeJS.Timeout | undefined;

  before(async () => {
    db = await createTestDatabase({ prefix: 'gc_it' });
    identity = await TestIdentity.start();
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: testRedisUrl(),
      GC_REDIS_PREFIX: uniquePrefix('gc'),
      MC_HEARTBEAT_TIMEOUT: '3s',
      GC_SWEEP_INTERVAL: '10m',
      TENANT_BASE_DOMAIN: 'darktower.example',
    };
    a = await startGc(identity, env);
    b = await startGc(identity, env);
    mc1 = await TestMeetingController.start('mc-1');
    mc2 = await TestMeetingController.start('mc-2');
    const svc = await identity.service('svc-meeting');
    await mc1.register(a.url, svc);
    await mc2.register(b.url, svc);
    beating.add(mc1).add(mc2);
    beatTimer = setInterval(() => {
      for (const mc of beating) void mc.heartbeat().catch(() => undefined);
    }, 250);
    alice = await identity.user('alice');
    bob = await identity.user('bob');
  });

  after(async () => {
    clearInterval(beatTimer);
    await a.gc.close();
    await b.gc.close();
    await mc1.close();
    await mc2.close();
    await identity[Symbol.asyncDispose]();
    await db.drop();
  });

  test('create -> get (either instance, by id or code) -> end', async () => {
    const created = await call(a.url, 'POST', '/api/v1/meetings', {
      token: alice,
      body: { display_name: 'Team Standup', max_participants: 10, settings: { require_auth: true } },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const m = created.body as Record<string, string>;
    assert.match(m.meeting_id ?? '', /^[0-9a-f-]{36}$/);
    assert.match(m.meeting_code ?? '', /^[a-z]{3}-[a-z]{4}-[a-z]{3}$/);
    assert.equal(m.meeting_url, `http://localhost:8080/m/${m.meeting_code}`);
    assert.ok([mc1.clientUrl, mc2.clientUrl].includes(m.meeting_controller_url ?? ''));
    assert.ok(!Number.isNaN(Date.parse(m.created_at ?? '')));
    const owner = m.meeting_controller_url === mc1.clientUrl ? mc1 : mc2;
    assert.ok(owner.meetings.has(m.meeting_id ?? ''), 'the chosen controller was told through AssignMeeting');

    // The host join token verifies against the JWKS of the *other* instance (keys are shared).
    const jwks = createRemoteJWKSet(new URL(`${b.url}/api/v1/join-keys.json`));
    const { payload } = await jwtVerify(m.join_token ?? '', jwks, {
      audience: 'darktower-mc',
      algorithms: ['EdDSA'],
    });
    assert.equal(payload.sub, 'alice');
    assert.equal(payload.meeting_id, m.meeting_id);
    assert.equal(payload.role, 'host');
    assert.equal((payload.exp ?? 0) - (payload.iat ?? 0), 300);

    for (const [base, path] of [
      [b.url, `/api/v1/meetings/${m.meeting_id}`],
      [a.url, `/api/v1/meetings/${m.meeting_code}`],
      [b.url, `/v1/meetings/${(m.meeting_code ?? '').toUpperCase()}`],
    ] as const) {
      const got = await call(base, 'GET', path, { token: bob });
      assert.equal(got.status, 200, `${path} ${JSON.stringify(got.body)}`);
      assert.equal(got.body.meeting_id, m.meeting_id);
      assert.equal(got.body.display_name, 'Team Standup');
      assert.equal(got.body.max_participants, 10);
      assert.equal(got.body.meeting_controller_url, m.meeting_controller_url, 'sticky assignment');
      assert.equal(got.body.meeting_controller_region, 'test-region');
      assert.equal(got.body.status, 'active');
    }

    assert.equal(
      errorCode(await call(b.url, 'DELETE', `/api/v1/meetings/${m.meeting_id}`, { token: bob })),
      'FORBIDDEN',
    );
    const ended = await call(b.url, 'DELETE', `/api/v1/meetings/${m.meeting_id}`, { token: alice });
    assert.equal(ended.status, 200, JSON.stringify(ended.body));
    assert.equal(ended.body.status, 'ended');
    assert.deepEqual(owner.ended.at(-1)?.meetingId, m.meeting_id, 'its controller was told to end it');
    const after = await call(a.url, 'GET', `/api/v1/meetings/${m.meeting_id}`, { token: alice });
    assert.equal(after.body.status, 'ended');
    assert.equal(after.body.meeting_controller_url, null);
    const again = await call(a.url, 'DELETE', `/api/v1/meetings/${m.meeting_id}`, { token: alice });
    assert.equal(again.status, 409);
    assert.equal(
      errorCode(await call(a.url, 'POST', `/api/v1/meetings/${m.meeting_id}/join`, { token: bob, body: {} })),
      'CONFLICT',
    );
  });

  test('meetings spread over both controllers; list pages with a cursor', async () => {
    const carol = await identity.user('carol');
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const r = await call(i % 2 === 0 ? a.url : b.url, 'POST', '/v1/meetings', {
        token: carol,
        body: { display_name: `m${i}` },
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      ids.push(r.body.meeting_id as string);
    }
    assert.ok(
      ids.some((id) => mc1.meetings.has(id)),
      'mc-1 got meetings',
    );
    assert.ok(
      ids.some((id) => mc2.meetings.has(id)),
      'mc-2 got meetings',
    );

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = cursor === null ? '?limit=5' : `?limit=5&cursor=${cursor}`;
      const page = await call(pages % 2 === 0 ? a.url : b.url, 'GET', `/api/v1/meetings${q}`, {
        token: carol,
      });
      assert.equal(page.status, 200, JSON.stringify(page.body));
      assert.equal(page.body.total, 12);
      seen.push(...(page.body.meetings as { meeting_id: string }[]).map((x) => x.meeting_id));
      cursor = page.body.next_cursor as string | null;
      pages++;
    } while (cursor !== null);
    assert.equal(pages, 3);
    assert.deepEqual([...seen].sort(), [...ids].sort());
    const ended = await call(a.url, 'GET', '/api/v1/meetings?user_id=carol&active=false', { token: carol });
    assert.equal(ended.body.total, 0);
    assert.equal(
      errorCode(await call(a.url, 'GET', '/api/v1/meetings?user_id=carol', { token: bob })),
      'FORBIDDEN',
    );
    const admin = await identity.user('root', 'user.read.gc user.admin.gc');
    assert.equal(
      (await call(a.url, 'GET', '/api/v1/meetings?user_id=carol&limit=1', { token: admin })).body.total,
      12,
    );
  });

  test('guests join only meetings without require_auth; tokens are per meeting and identity; max_participants holds', async () => {
    const open = await call(a.url, 'POST', '/api/v1/meetings', {
      token: alice,
      body: { display_name: 'Open', max_participants: 3, settings: { require_auth: false } },
    });
    const closed = await call(a.url, 'POST', '/api/v1/meetings', {
      token: alice,
      body: { display_name: 'Closed' },
    });
    const openCode = open.body.meeting_code as string;
    const g1 = await call(b.url, 'POST', `/api/v1/meetings/${openCode}/join`, {
      body: { display_name: 'Guest One' },
    });
    assert.equal(g1.status, 200, JSON.stringify(g1.body));
    const g2 = await call(a.url, 'POST', `/api/v1/meetings/${openCode}/join`, {
      body: { display_name: 'Guest Two' },
    });
    const c1 = decodeJwt(g1.body.join_token as string);
    const c2 = decodeJwt(g2.body.join_token as string);
    assert.match(c1.sub ?? '', /^guest:/);
    assert.notEqual(c1.sub, c2.sub);
    assert.notEqual(c1.jti, c2.jti);
    assert.equal(c1.meeting_id, open.body.meeting_id);
    assert.equal(c1.display_name, 'Guest One');
    assert.equal(c1.role, 'participant');
    assert.equal(g1.body.participant_identity, c1.sub);
    assert.equal(g1.body.meeting_controller_url, open.body.meeting_controller_url);

    // Anonymous GET works for open meetings (the guest page), not for closed ones.
    assert.equal((await call(a.url, 'GET', `/api/v1/meetings/${openCode}`)).status, 200);
    assert.equal(
      errorCode(await call(a.url, 'GET', `/api/v1/meetings/${closed.body.meeting_id as string}`)),
      'UNAUTHORIZED',
    );
    const guestClosed = await call(
      a.url,
      'POST',
      `/api/v1/meetings/${closed.body.meeting_id as string}/join`,
      {
        body: { display_name: 'Sneaky' },
      },
    );
    assert.equal(guestClosed.status, 401);
    assert.equal(errorCode(guestClosed), 'UNAUTHORIZED');
    // Signed-in users get a user join token; the host gets role host.
    const bobJoin = await call(a.url, 'POST', `/api/v1/meetings/${closed.body.meeting_id as string}/join`, {
      token: bob,
      body: {},
    });
    assert.equal(decodeJwt(bobJoin.body.join_token as string).sub, 'bob');
    assert.equal(bobJoin.body.role, 'participant');
    const hostJoin = await call(a.url, 'POST', `/api/v1/meetings/${openCode}/join`, { token: alice });
    assert.equal(hostJoin.status, 200, `no body at all: ${JSON.stringify(hostJoin.body)}`);
    assert.equal(hostJoin.body.role, 'host');
    // A join token is no bearer token for the API.
    const replay = await call(a.url, 'POST', '/api/v1/meetings', {
      token: g1.body.join_token as string,
      body: { display_name: 'x' },
    });
    assert.equal(replay.status, 401);

    const owner = open.body.meeting_controller_url === mc1.clientUrl ? mc1 : mc2;
    owner.participants = 3;
    try {
      const full = await call(a.url, 'POST', `/api/v1/meetings/${openCode}/join`, {
        body: { display_name: 'Late' },
      });
      assert.equal(full.status, 409);
      assert.equal((full.body.error as { details: { reason: string } }).details.reason, 'meeting_full');
    } finally {
      owner.participants = 0;
    }
  });

  test('a controller that stops heartbeating loses its meetings to a live one, agreed by both instances', async () => {
    const mc3 = await TestMeetingController.start('mc-3');
    try {
      await mc3.register(a.url, await identity.service('svc-meeting'));
      beating.add(mc3);
      const onMc3: string[] = [];
      for (let i = 0; i < 40 && onMc3.length < 2; i++) {
        const r = await call(a.url, 'POST', '/api/v1/meetings', {
          token: alice,
          body: { display_name: `d${i}` },
        });
        if (r.body.meeting_controller_url === mc3.clientUrl) onMc3.push(r.body.meeting_id as string);
      }
      const [first, second] = onMc3;
      assert.ok(first !== undefined && second !== undefined, 'two meetings landed on mc-3');
      beating.delete(mc3);
      await mc3.close();
      await new Promise((resolve) => setTimeout(resolve, 3300)); // past the 3 s heartbeat timeout

      // Read path: the first meeting moves when it is read, and both instances agree on where.
      const viaB = await call(b.url, 'GET', `/api/v1/meetings/${first}`, { token: alice });
      assert.equal(viaB.status, 200, JSON.stringify(viaB.body));
      assert.ok([mc1.clientUrl, mc2.clientUrl].includes(viaB.body.meeting_controller_url as string));
      const viaA = await call(a.url, 'GET', `/api/v1/meetings/${first}`, { token: alice });
      assert.equal(
        viaA.body.meeting_controller_url,
        viaB.body.meeting_controller_url,
        'both instances agree',
      );
      const newOwner = viaB.body.meeting_controller_url === mc1.clientUrl ? mc1 : mc2;
      assert.ok(newOwner.meetings.has(first), 'the new controller was told through AssignMeeting');

      // Sweep path: the second meeting moves without anyone reading it.
      assert.ok(!mc1.meetings.has(second) && !mc2.meetings.has(second));
      assert.ok((await b.gc.module.sweep()) >= 1);
      assert.ok(mc1.meetings.has(second) || mc2.meetings.has(second), 'the sweep reassigned it');
    } finally {
      beating.delete(mc3);
    }
  });

  test('a heartbeat from a controller the registry does not know asks it to register again', async () => {
    const ghost = await TestMeetingController.start('mc-ghost');
    try {
      ghost.connect(a.url, await identity.service('svc-meeting'));
      assert.deepEqual(await ghost.heartbeat(), { reregister: true, assignments: [] });
    } finally {
      await ghost.close();
    }
  });

  test('a controller that refuses or cannot be reached at assignment is skipped for another', async () => {
    const mc4 = await TestMeetingController.start('mc-4');
    await mc4.register(a.url, await identity.service('svc-meeting'));
    await mc4.heartbeat();
    await mc4.close(); // still heartbeating below, but its RPC endpoint is gone
    beating.add(mc4);
    mc1.refuse = true;
    try {
      const before = mc1.assignCalls.length;
      for (let i = 0; i < 8; i++) {
        const r = await call(i % 2 === 0 ? a.url : b.url, 'POST', '/api/v1/meetings', {
          token: alice,
          body: { display_name: `r${i}` },
        });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        assert.equal(r.body.meeting_controller_url, mc2.clientUrl);
      }
      assert.ok(mc1.assignCalls.length > before, 'mc-1 was asked and refused');
    } finally {
      mc1.refuse = false;
      beating.delete(mc4);
    }
  });

  test('an unhealthy heartbeat takes a controller out of rotation for new meetings', async () => {
    beating.delete(mc2);
    try {
      await new Promise((resolve) => setTimeout(resolve, 300)); // let an in-flight healthy heartbeat land first
      await mc2.heartbeat(HealthStatus.UNHEALTHY);
      for (let i = 0; i < 6; i++) {
        const r = await call(b.url, 'POST', '/api/v1/meetings', {
          token: alice,
          body: { display_name: `u${i}` },
        });
        assert.equal(r.body.meeting_controller_url, mc1.clientUrl);
      }
    } finally {
      await mc2.heartbeat(HealthStatus.HEALTHY);
      beating.add(mc2);
    }
  });

  test('registry RPC refuses callers without a service token, with a user token, or another service identity', async () => {
    const rogue = await TestMeetingController.start('mc-1');
    try {
      await assert.rejects(
        rogue.register(a.url, ''),
        (e: Error) =>
          /unauthenticated/i.test(String((e as { code?: unknown }).code)) || /bearer/i.test(e.message),
      );
      await assert.rejects(
        rogue.register(a.url, alice),
        (e: { code?: number }) => e.code === 7 /* PermissionDenied */ || e.code === 16,
      );
      await assert.rejects(
        rogue.register(a.url, await identity.service('svc-evil')),
        (e: { code?: number }) => e.code === 7,
      );
      await assert.rejects(
        rogue.register(a.url, await identity.forged('svc-meeting')),
        (e: { code?: number }) => e.code === 16,
      );
    } finally {
      await rogue.close();
    }
    const still = await call(a.url, 'POST', '/api/v1/meetings', {
      token: alice,
      body: { display_name: 'after rogue' },
    });
    assert.equal(still.status, 201);
    assert.ok([mc1.clientUrl, mc2.clientUrl].includes(still.body.meeting_controller_url as string));
  });

  test('rate limits are shared by the instances through Redis, per tenant from the database', async () => {
    await a.gc.module.tenants.upsert({
      slug: 'tiny',
      displayName: 'Tiny',
      maxActiveMeetings: 1,
      maxParticipantsPerMeeting: 5,
      rateLimitPerMinute: 5,
      allowGuests: true,
    });
    const host = { host: 'tiny.darktower.example' };
    const tinyUser = await identity.user('t1', 'user.read.gc user.write.gc', { tenant: 'tiny' });
    const statuses: number[] = [];
    let last: Reply | undefined;
    for (let i = 0; i < 6; i++) {
      last = await call(i % 2 === 0 ? a.url : b.url, 'GET', '/api/v1/meetings', {
        token: tinyUser,
        headers: host,
      });
      statuses.push(last.status);
      if (i === 0) {
        assert.equal(last.headers.get('x-ratelimit-limit'), '5');
        assert.equal(last.headers.get('x-ratelimit-remaining'), '4');
        assert.ok(Number(last.headers.get('x-ratelimit-reset')) > Date.now() / 1000);
      }
    }
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429]);
    assert.ok(last);
    assert.equal(errorCode(last), 'RATE_LIMITED');
    assert.ok(Number(last.headers.get('retry-after')) >= 1);
    // The default tenant is not affected.
    assert.equal((await call(a.url, 'GET', '/api/v1/meetings', { token: alice })).status, 200);
  });

  test('tenants by subdomain: limits apply and tokens do not cross tenants', async () => {
    await a.gc.module.tenants.upsert({
      slug: 'acme',
      displayName: 'Acme',
      maxActiveMeetings: 1,
      maxParticipantsPerMeeting: 5,
      rateLimitPerMinute: null,
      allowGuests: false,
    });
    const acme = { host: 'acme.darktower.example' };
    const acmeUser = await identity.user('ann', 'user.read.gc user.write.gc', { tenant: 'acme' });
    const created = await call(a.url, 'POST', '/api/v1/meetings', {
      token: acmeUser,
      headers: acme,
      body: { display_name: 'A' },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(
      created.body.meeting_url,
      `http://acme.darktower.example:8080/m/${created.body.meeting_code as string}`,
    );
    const second = await call(b.url, 'POST', '/api/v1/meetings', {
      token: acmeUser,
      headers: acme,
      body: { display_name: 'B' },
    });
    assert.equal(second.status, 409, 'tenant limit of one active meeting');
    const tooBig = await call(b.url, 'POST', '/api/v1/meetings', {
      token: acmeUser,
      headers: acme,
      body: { display_name: 'C', max_participants: 6 },
    });
    assert.equal(errorCode(tooBig), 'INVALID_REQUEST');
    // A default-tenant token on acme, and an acme token on the default host: refused.
    assert.equal(
      errorCode(await call(a.url, 'GET', '/api/v1/meetings', { token: alice, headers: acme })),
      'FORBIDDEN',
    );
    assert.equal(errorCode(await call(a.url, 'GET', '/api/v1/meetings', { token: acmeUser })), 'FORBIDDEN');
    // Meetings of one tenant do not exist on another.
    assert.equal(
      errorCode(
        await call(a.url, 'GET', `/api/v1/meetings/${created.body.meeting_id as string}`, {
          token: alice,
        }),
      ),
      'MEETING_NOT_FOUND',
    );
    assert.equal(
      errorCode(
        await call(a.url, 'GET', '/api/v1/meetings', {
          token: alice,
          headers: { host: 'nope.darktower.example' },
        }),
      ),
      'NOT_FOUND',
    );
  });

  test('ops endpoints: ready with database and JWKS, metrics with routes and active controllers', async () => {
    const ready = await fetch(`${a.opsUrl}/ready`);
    assert.equal(ready.status, 200, await ready.clone().text());
    await a.gc.module.sweep();
    const metrics = await (await fetch(`${a.opsUrl}/metrics`)).text();
    assert.match(metrics, /dt_gc_active_meeting_controllers\{[^}]*\} [1-9]/);
    assert.match(metrics, /route="\/api\/v1\/meetings\/:id"/);
    const doc = await call(a.url, 'GET', '/api/v1/openapi.json');
    assert.equal(doc.body.openapi, '3.1.0');
    assert.ok(Object.keys(doc.body.paths as object).includes('/api/v1/meetings/{id}'));
  });
});
