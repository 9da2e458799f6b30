import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestIdentity } from './support/identity.ts';
import { call } from './support/http.ts';
import { startGc, type StartedGc } from './support/start-gc.ts';
import { TestMeetingController } from './support/test-meeting-controller.ts';

// The default, dependency-free mode: PGlite (no DATABASE_URL) and in-process liveness/cache/limits (no REDIS_URL).
describe('Global Controller: embedded PGlite, no Redis', () => {
  let identity: TestIdentity;
  let gc: StartedGc;
  let mc: TestMeetingController;

  before(async () => {
    identity = await TestIdentity.start();
    gc = await startGc(identity, { RATE_LIMIT_PER_MINUTE: '3', GC_MC_SERVICE_TOKEN: 'gc-to-mc-token' });
    mc = await TestMeetingController.start('mc-embedded');
    await mc.register(gc.url, await identity.service('svc-meeting'));
  });

  after(async () => {
    await gc.gc.close();
    await mc.close();
    await identity[Symbol.asyncDispose]();
  });

  test('create -> get -> end, then the in-process rate limit', async () => {
    const token = await identity.user('alice');
    const created = await call(gc.url, 'POST', '/api/v1/meetings', {
      token,
      body: { display_name: 'Embedded' },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.meeting_controller_url, mc.clientUrl);
    assert.deepEqual(mc.authorizations, ['Bearer gc-to-mc-token'], 'the GC authenticates to the controller');
    const got = await call(gc.url, 'GET', `/api/v1/meetings/${created.body.meeting_code as string}`, {
      token,
    });
    assert.equal(got.body.meeting_id, created.body.meeting_id);
    assert.equal((await call(gc.url, 'GET', '/api/v1/meetings', { token })).body.total, 1);
    const ended = await call(gc.url, 'DELETE', `/api/v1/meetings/${created.body.meeting_id as string}`, {
      token,
    });
    assert.equal(ended.status, 429, 'fourth request in the minute');
    assert.equal(ended.headers.get('x-ratelimit-limit'), '3');
    assert.ok(mc.meetings.has(created.body.meeting_id as string), 'a refused request changed nothing');
  });
});
