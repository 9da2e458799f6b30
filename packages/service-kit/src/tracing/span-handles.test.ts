import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SpanRecord } from './json-lines-exporter.ts';
import { spanHandleTracer } from './span-handles.ts';
import { createTracing } from './tracing.ts';

test('span handles: a root, a child linked by traceparent, a failed span, and a remote service continuing it', async () => {
  const lines: string[] = [];
  const tracing = createTracing({
    serviceName: 'client',
    exporter: 'console',
    consoleSink: { write: (l: string) => lines.push(l) },
  });
  const service = createTracing({
    serviceName: 'service',
    exporter: 'console',
    consoleSink: { write: (l: string) => lines.push(l) },
  });
  const tracer = spanHandleTracer(tracing);
  const root = tracer.startSpan('join_meeting');
  assert.match(root.traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  const child = tracer.startSpan('webtransport_connect', root);
  child.setAttribute('transport', 'webtransport');
  child.end();
  child.end();
  service.withRemoteParent(root.traceparent, () =>
    service.startActiveSpan('join_request_processing', () => 1),
  );
  tracer.startSpan('media_connection_establish', root).end(new Error('refused'));
  // Started inside another trace's active span, a handle without a parent still starts a new trace.
  const other = service.startActiveSpan('unrelated', () => tracer.startSpan('join_meeting'));
  other.end();
  root.end();
  await tracing.close();
  await service.close();
  const spans = lines.flatMap((l) => l.trim().split('\n')).map((l) => JSON.parse(l) as SpanRecord);
  const byName = (n: string) => spans.filter((s) => s.name === n);
  const r = spans.find((s) => root.traceparent.includes(s.span_id));
  const second = spans.find((s) => s.name === 'join_meeting' && s !== r);
  assert.ok(r !== undefined && second !== undefined);
  assert.equal(r.parent_span_id, undefined);
  assert.equal(second.parent_span_id, undefined);
  assert.notEqual(second.trace_id, r.trace_id);
  assert.equal(spans.filter((s) => s.name === 'webtransport_connect').length, 1);
  for (const name of ['webtransport_connect', 'join_request_processing', 'media_connection_establish']) {
    const s = byName(name)[0];
    assert.equal(s?.trace_id, r.trace_id, name);
    assert.equal(s.parent_span_id, r.span_id, name);
  }
  assert.equal(byName('webtransport_connect')[0]?.attributes.transport, 'webtransport');
  assert.equal(byName('join_request_processing')[0]?.service, 'service');
  assert.equal(byName('media_connection_establish')[0]?.status, 'error');
});
