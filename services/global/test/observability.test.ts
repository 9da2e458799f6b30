import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { connect } from 'node:net';
import { createTracing, type SpanRecord, type Tracing } from '@darktower/service-kit';
import { TestIdentity } from './support/identity.ts';
import { call } from './support/http.ts';
import { labelSets, promtoolCheck, seriesValue } from '@darktower/service-kit/testing';
import { startGc, type StartedGc } from './support/start-gc.ts';
import { TestMeetingController } from './support/test-meeting-controller.ts';

const hex = (bytes: number): string => randomBytes(bytes).toString('hex');

// A real Global Controller (embedded PGlite) with a JSON-lines span exporter into memory, a real Connect
// Meeting Controller peer, and the real ops server's /metrics.
describe('Global Controller observability', () => {
  let identity: TestIdentity;
  let gc: StartedGc;
  let mc: TestMeetingController;
  let tracing: Tracing;
  const spans: SpanRecord[] = [];

  before(async () => {
    identity = await TestIdentity.start();
    tracing = createTracing({
      serviceName: 'gc-service',
      exporter: 'console',
      consoleSink: {
        write: (text: string) => {
          for (const line of text.split('\n')) if (line !== '') spans.push(JSON.parse(line) as SpanRecord);
        },
      },
    });
    gc = await startGc(
      identity,
      { RATE_LIMIT_PER_MINUTE: '100000', GC_MC_SERVICE_TOKEN: 'gc-to-mc-token' },
      { tracing },
    );
    mc = await TestMeetingController.start('mc-observed');
    await mc.register(gc.url, await identity.service('svc-meeting'));
  });

  after(async () => {
    await gc.gc.close();
    await tracing.close();
    await mc.close();
    await identity[Symbol.asyncDispose]();
  });

  test('a request with a traceparent continues that trace, through the RPC to the Meeting Controller', async () => {
    const token = await identity.user('alice');
    const traceId = hex(16);
    const callerSpan = hex(8);
    const created = await call(gc.url, 'POST', '/api/v1/meetings', {
      token,
      body: { display_name: 'Traced', settings: { require_auth: false } },
      headers: { traceparent: `00-${traceId}-${callerSpan}-01` },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const inTrace = spans.filter((s) => s.trace_id === traceId);
    const server = inTrace.find((s) => s.kind === 'server');
    assert.ok(server, `a server span in the caller's trace: ${JSON.stringify(inTrace.map((s) => s.name))}`);
    assert.equal(server.parent_span_id, callerSpan);
    assert.equal(server.name, 'POST /api/v1/meetings');
    assert.equal(server.attributes['http.response.status_code'], 201);
    const op = inTrace.find((s) => s.name === 'http_create_meeting');
    assert.equal(op?.parent_span_id, server.span_id);
    const rpc = inTrace.find((s) => s.kind === 'client' && s.name.endsWith('/AssignMeeting'));
    assert.ok(rpc, 'the AssignMeeting call is a client span of the same trace');
    // The Meeting Controller received the client span as its parent.
    assert.equal(mc.traceparents.at(-1), `00-${traceId}-${rpc.span_id}-01`);

    // GET /api/v1/meetings/{id} is http_get_meeting_info (architecture.md), under the caller's span.
    const traceId2 = hex(16);
    const parent2 = hex(8);
    const got = await call(gc.url, 'GET', `/api/v1/meetings/${created.body.meeting_id as string}`, {
      headers: { traceparent: `00-${traceId2}-${parent2}-01` },
    });
    assert.equal(got.status, 200, JSON.stringify(got.body));
    const info = spans.find((s) => s.trace_id === traceId2 && s.name === 'http_get_meeting_info');
    const server2 = spans.find((s) => s.trace_id === traceId2 && s.kind === 'server');
    assert.ok(info && server2);
    assert.equal(server2.parent_span_id, parent2);
    assert.equal(info.parent_span_id, server2.span_id);
    // Database queries made for the request are client spans under it.
    const queries = spans.filter((s) => s.trace_id === traceId2 && s.name === 'db.select');
    assert.ok(queries.length >= 1, 'the meeting lookup is a db.select span');
    assert.ok(queries.every((q) => q.parent_span_id === info.span_id));
    assert.ok(inTrace.some((s) => s.name === 'db.insert' && s.parent_span_id === op.span_id));

    // A malformed traceparent starts a new trace instead of failing the request.
    const before = spans.length;
    const bad = await call(gc.url, 'GET', `/api/v1/meetings/${created.body.meeting_id as string}`, {
      headers: { traceparent: '00-zzzz-not-a-trace' },
    });
    assert.equal(bad.status, 200);
    const fresh = spans.slice(before).find((s) => s.name === 'http_get_meeting_info');
    assert.ok(fresh);
    assert.match(fresh.trace_id, /^[0-9a-f]{32}$/);
  });

  test('/metrics passes promtool and keeps label cardinality bounded under hostile traffic', async () => {
    const token = await identity.user('bob');
    const created = await call(gc.url, 'POST', '/api/v1/meetings', {
      token,
      body: { display_name: 'Metered', settings: { require_auth: false } },
    });
    assert.equal(created.status, 201);
    const id = created.body.meeting_id as string;
    assert.equal(
      (await call(gc.url, 'POST', `/api/v1/meetings/${id}/join`, { body: { display_name: 'G' } })).status,
      200,
    );
    assert.equal((await call(gc.url, 'DELETE', `/api/v1/meetings/${id}`, { token })).status, 200);

    // Hostile traffic: random paths, random meeting ids, garbage and forged bearer tokens with random user names.
    const secrets: string[] = [];
    for (let i = 0; i < 150; i++) {
      const junk = hex(12);
      secrets.push(junk);
      const kind = i % 5;
      const reply =
        kind === 0
          ? await call(gc.url, 'GET', `/${junk}/${hex(4)}?q=${junk}`)
          : kind === 1
            ? await call(gc.url, 'GET', `/api/v1/meetings/${junk}`, { token })
            : kind === 2
              ? await call(gc.url, 'POST', '/api/v1/meetings', {
                  token: `${junk}.${junk}.${junk}`,
                  body: { display_name: junk },
                })
              : kind === 3
                ? await call(gc.url, 'GET', '/api/v1/meetings', {
                    token: await identity.forged(`user-${junk}`),
                  })
                : await call(gc.url, 'DELETE', `/api/v1/meetings/${randomUUID()}`, {
                    token: await identity.user(`user-${junk}`, ''),
                  });
      assert.ok(reply.status >= 400, `hostile request ${i} refused (${reply.status})`);
    }

    // One idle client connection held open on the API port while scraping.
    const held = connect(Number(new URL(gc.url).port), '127.0.0.1');
    await once(held, 'connect');
    const res = await fetch(`${gc.opsUrl}/metrics`);
    held.destroy();
    assert.equal(res.status, 200);
    const text = await res.text();
    const lint = await promtoolCheck(text);
    assert.equal(lint.code, 0, lint.output);
    assert.equal(lint.output.trim(), '', `promtool warnings:\n${lint.output}`);

    const { cardinality, values } = labelSets(text);
    for (const name of [
      'dt_gc_http_requests_total',
      'dt_gc_http_request_duration_seconds',
      'dt_gc_http_request_errors_total',
      'dt_gc_active_connections',
      'dt_gc_auth_failures_total',
      'dt_gc_active_meeting_controllers',
      'dt_gc_mc_rpc_duration_seconds',
      'dt_gc_meetings_created_total',
      'dt_gc_meetings_ended_total',
      'dt_gc_join_tokens_issued_total',
    ]) {
      assert.ok(cardinality.has(name), `${name} is exported`);
    }
    for (const [name, n] of cardinality) assert.ok(n < 1000, `${name} has ${n} label sets`);
    // No request-derived value became a label: not the random paths, not ids, not user names.
    for (const v of values) {
      for (const s of secrets) assert.ok(!v.includes(s), `label value ${v} carries request input`);
      assert.ok(!v.includes(id), 'no meeting id in labels');
      assert.ok(!v.includes('bob'), 'no user name in labels');
    }
    const at = (name: string, labels: Record<string, string>): number => {
      const v = seriesValue(text, name, labels);
      assert.ok(v !== undefined, `${name} ${JSON.stringify(labels)} is exported`);
      return v;
    };
    assert.ok(at('dt_gc_auth_failures_total', { reason: 'bad_signature' }) >= 30);
    assert.ok(at('dt_gc_auth_failures_total', { reason: 'malformed' }) >= 30);
    assert.ok(at('dt_gc_auth_failures_total', { reason: 'insufficient_scope' }) >= 30);
    assert.ok(
      at('dt_gc_http_requests_total', { method: 'GET', route: '__unmatched__', status_code: '404' }) >= 30,
    );
    assert.ok(
      at('dt_gc_http_request_errors_total', { route: '/api/v1/meetings', status_class: '4xx' }) >= 30,
    );
    assert.ok(at('dt_gc_mc_rpc_duration_seconds_count', { method: 'AssignMeeting', outcome: 'ok' }) >= 1);
    assert.ok(at('dt_gc_mc_rpc_duration_seconds_count', { method: 'EndMeeting', outcome: 'ok' }) >= 1);
    assert.equal(at('dt_gc_join_tokens_issued_total', { role: 'participant', caller: 'guest' }), 1);
    assert.ok(at('dt_gc_meetings_ended_total', {}) >= 1);
    assert.ok(
      at('dt_gc_active_connections', {}) >= 1,
      'the scrape itself is not on the API port, our keep-alive is',
    );
  });
});
