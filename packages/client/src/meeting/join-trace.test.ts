import { test } from 'node:test';
import assert from 'node:assert/strict';
import { traceContextTracer, type FinishedClientSpan } from '../core/tracing.ts';
import { JoinTrace } from './join-trace.ts';

test('a join trace: steps are children of join_meeting, which ends with the first remote frame', async () => {
  const spans: FinishedClientSpan[] = [];
  const trace = new JoinTrace(
    traceContextTracer((s) => spans.push(s)),
    'abc-defg-hij',
  );
  const root = trace.traceparent ?? '';
  assert.match(root, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  const sent = await trace.step('http_get_meeting_info', (tp) => Promise.resolve(tp));
  await assert.rejects(
    trace.step('media_connection_establish', () => Promise.reject(new Error('refused'))),
    /refused/,
  );
  trace.joined('p1');
  trace.frameReceived();
  trace.frameReceived();
  trace.end();
  const byName = new Map(spans.map((s) => [s.name, s]));
  assert.deepEqual(
    spans.map((s) => s.name),
    ['http_get_meeting_info', 'media_connection_establish', 'first_frame_received', 'join_meeting'],
  );
  const r = byName.get('join_meeting');
  assert.ok(r !== undefined);
  assert.equal(r.parentSpanId, undefined);
  assert.equal(root, `00-${r.traceId}-${r.spanId}-01`);
  for (const name of ['http_get_meeting_info', 'media_connection_establish', 'first_frame_received']) {
    assert.equal(byName.get(name)?.traceId, r.traceId, name);
    assert.equal(byName.get(name)?.parentSpanId, r.spanId, name);
  }
  // The step's own traceparent is what it sends on (the Global Controller's span becomes its child).
  assert.equal(sent, `00-${r.traceId}-${byName.get('http_get_meeting_info')?.spanId ?? ''}-01`);
  assert.equal(byName.get('media_connection_establish')?.error, 'refused');
  assert.equal(r.attributes.first_frame, true);
  assert.equal(r.attributes.participant_id, 'p1');
});

test('a join trace without a tracer sends nothing; closed before a frame, the root ends without one', async () => {
  const none = new JoinTrace(undefined, 'm');
  assert.equal(none.traceparent, undefined);
  assert.equal(await none.step('x', (tp) => Promise.resolve(tp)), undefined);
  const spans: FinishedClientSpan[] = [];
  const trace = new JoinTrace(
    traceContextTracer((s) => spans.push(s)),
    'm',
  );
  trace.joined('p');
  trace.end();
  trace.end();
  assert.deepEqual(
    spans.map((s) => [s.name, s.attributes.received ?? s.attributes.first_frame]),
    [
      ['first_frame_received', false],
      ['join_meeting', false],
    ],
  );
});

test('join marks are kept with or without a tracer: each step, joined, the first remote frame, app marks', async () => {
  let now = 100;
  const trace = new JoinTrace(undefined, 'm', () => now);
  now = 110;
  await trace.step('http_get_meeting_info', () => {
    now = 150;
    return Promise.resolve();
  });
  await assert.rejects(
    trace.step('webtransport_connect', () => {
      now = 170;
      return Promise.reject(new Error('refused'));
    }),
  );
  trace.frameReceived(); // before joined: not the join's first frame
  now = 200;
  trace.joined('p');
  trace.mark('app:layout_set');
  now = 260;
  trace.frameReceived();
  trace.frameReceived();
  assert.deepEqual(
    trace.marks.map((m) => [m.name, m.at]),
    [
      ['join:start', 100],
      ['http_get_meeting_info:start', 110],
      ['http_get_meeting_info:end', 150],
      ['webtransport_connect:start', 150],
      ['webtransport_connect:failed', 170],
      ['joined', 200],
      ['app:layout_set', 200],
      ['first_remote_frame', 260],
    ],
  );
  for (let i = 0; i < 100; i++) trace.mark(`x${i}`);
  assert.equal(trace.marks.length, 64, 'bounded');
});
