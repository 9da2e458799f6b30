import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SpanRecord } from './json-lines-exporter.ts';
import { clientTraceInterceptor, serverTraceInterceptor, type RpcRequestLike } from './rpc-interceptors.ts';
import { createTracing } from './tracing.ts';

function tracingWithSink(serviceName: string) {
  const lines: string[] = [];
  const tracing = createTracing({
    serviceName,
    exporter: 'console',
    consoleSink: { write: (l: string) => void lines.push(l) },
    env: {},
  });
  const spans = (): SpanRecord[] =>
    lines
      .join('')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as SpanRecord);
  return { tracing, spans };
}

test('client and server interceptors carry one trace across an RPC call, over real HTTP headers', async () => {
  const gc = tracingWithSink('gc-service');
  const mc = tracingWithSink('mc-service');
  const url = 'http://127.0.0.1:1/darktower.meeting.v1.MeetingControllerService/AssignMeeting';
  // The "wire": the request headers cross to the server side as a fresh Headers object, as over HTTP.
  const server = serverTraceInterceptor(mc.tracing)(async (req: RpcRequestLike) => {
    await mc.tracing.startActiveSpan('create_meeting_state', () => Promise.resolve());
    return { handledWith: req.header.get('traceparent') };
  });
  const client = clientTraceInterceptor(gc.tracing)((req: RpcRequestLike) =>
    server({ url: req.url, header: new Headers([...req.header.entries()]) }),
  );
  const reply = await gc.tracing.startActiveSpan('assign_meeting_controller', () =>
    client({ url, header: new Headers({ 'content-type': 'application/proto' }) }),
  );
  assert.match(reply.handledWith ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  const [root, rpcClient] = [
    'assign_meeting_controller',
    'darktower.meeting.v1.MeetingControllerService/AssignMeeting',
  ].map((n) => gc.spans().find((s) => s.name === n));
  const rpcServer = mc.spans().find((s) => s.kind === 'server');
  const inner = mc.spans().find((s) => s.name === 'create_meeting_state');
  assert.ok(root && rpcClient && rpcServer && inner);
  assert.equal(rpcClient.kind, 'client');
  assert.equal(rpcClient.parent_span_id, root.span_id);
  assert.equal(rpcServer.name, 'darktower.meeting.v1.MeetingControllerService/AssignMeeting');
  assert.equal(rpcServer.trace_id, root.trace_id);
  assert.equal(rpcServer.parent_span_id, rpcClient.span_id);
  assert.equal(inner.parent_span_id, rpcServer.span_id);
  await gc.tracing.close();
  await mc.tracing.close();
});

test('a server call without (or with a forged) traceparent starts its own trace; failures mark the span', async () => {
  const mc = tracingWithSink('mc-service');
  const server = serverTraceInterceptor(mc.tracing)(() => Promise.reject(new Error('unavailable')));
  await assert.rejects(
    server({ url: 'http://x/pkg.Svc/Method', header: new Headers({ traceparent: '00-zz-zz-01' }) }),
    /unavailable/,
  );
  const [span] = mc.spans();
  assert.equal(span?.name, 'pkg.Svc/Method');
  assert.equal(span.parent_span_id, undefined);
  assert.equal(span.status, 'error');
  await mc.tracing.close();
});
