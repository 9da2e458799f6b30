import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { createLogger } from '../logger.ts';
import { parseTraceparent } from '../trace-context.ts';
import type { SpanRecord } from './json-lines-exporter.ts';
import { createTracing } from './tracing.ts';
import {
  batchOptionsFromEnv,
  otlpSettingsFromEnv,
  samplerFromEnv,
  traceExporterFromEnv,
} from './tracing-env.ts';

const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/;

function memorySink(): { write(line: string): void; records(): SpanRecord[] } {
  const lines: string[] = [];
  return {
    write(line: string) {
      lines.push(line);
    },
    records: () =>
      lines
        .join('')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as SpanRecord),
  };
}

function readSpans(file: string): SpanRecord[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as SpanRecord);
}

test('a child process continuing an injected traceparent joins the same trace under the parent span', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dt-tracing-'));
  try {
    const gcFile = join(dir, 'gc.jsonl');
    const mcFile = join(dir, 'mc.jsonl');
    const gc = createTracing({ serviceName: 'gc-service', exporter: 'file', filePath: gcFile, env: {} });
    let traceparent: string | undefined;
    gc.startActiveSpan('join_meeting', () => {
      traceparent = gc.injectTraceparent();
      const child = spawnSync(
        process.execPath,
        [
          '--conditions=source',
          '--import',
          'tsx',
          new URL('../testing/trace-child.fixture.ts', import.meta.url).pathname,
          traceparent ?? '',
          mcFile,
        ],
        { encoding: 'utf8' },
      );
      assert.equal(child.status, 0, child.stderr);
    });
    await gc.close();
    assert.match(traceparent ?? '', TRACEPARENT);
    const [root] = readSpans(gcFile);
    const mc = readSpans(mcFile);
    assert.equal(root?.name, 'join_meeting');
    assert.equal(root.service, 'gc-service');
    assert.deepEqual(mc.map((s) => s.name).sort(), [
      'create_participant_session',
      'join_request_processing',
      'validate_token',
    ]);
    const processing = mc.find((s) => s.name === 'join_request_processing');
    assert.ok(processing);
    assert.ok(mc.every((s) => s.trace_id === root.trace_id && s.service === 'mc-service'));
    assert.equal(processing.parent_span_id, root.span_id);
    for (const s of mc.filter((x) => x !== processing)) assert.equal(s.parent_span_id, processing.span_id);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the active span follows awaits; nested spans form the tree; errors set the status', async () => {
  const sink = memorySink();
  const tracing = createTracing({
    serviceName: 'mc-service',
    exporter: 'console',
    consoleSink: sink,
    env: {},
  });
  assert.equal(tracing.injectTraceparent(), undefined);
  assert.equal(tracing.activeIds(), undefined);
  await tracing.startActiveSpan('join_request_processing', async (span) => {
    await new Promise((r) => setTimeout(r, 1));
    assert.equal(tracing.activeIds()?.span_id, span.spanContext().spanId);
    await Promise.all([
      tracing.startActiveSpan('assign_media_handler', () => new Promise((r) => setTimeout(r, 2))),
      tracing.startActiveSpan('get_existing_participants', () => Promise.resolve()),
    ]);
    await assert.rejects(
      tracing.startActiveSpan('validate_token', () => Promise.reject(new Error('token expired'))),
      /token expired/,
    );
    assert.throws(
      () =>
        tracing.startActiveSpan('create_participant_session', () => {
          throw new Error('meeting full');
        }),
      /meeting full/,
    );
  });
  await tracing.close();
  const spans = sink.records();
  const root = spans.find((s) => s.name === 'join_request_processing');
  assert.ok(root);
  assert.equal(root.parent_span_id, undefined);
  assert.equal(spans.length, 5);
  for (const s of spans.filter((x) => x !== root)) {
    assert.equal(s.trace_id, root.trace_id);
    assert.equal(s.parent_span_id, root.span_id);
  }
  const failed = spans.filter((s) => s.status === 'error').map((s) => [s.name, s.status_message]);
  assert.deepEqual(failed.sort(), [
    ['create_participant_session', 'meeting full'],
    ['validate_token', 'token expired'],
  ]);
  assert.ok((spans.find((s) => s.name === 'assign_media_handler')?.duration_us ?? 0) >= 1000);
});

test('withRemoteParent joins a valid traceparent and starts a new trace for anything else (property)', async () => {
  const tracing = createTracing({ serviceName: 't', exporter: 'none', env: {} });
  const valid = fc
    .tuple(
      fc.stringMatching(/^[0-9a-f]{32}$/),
      fc.stringMatching(/^[0-9a-f]{16}$/),
      fc.constantFrom('00', '01'),
    )
    .filter(([t, s]) => !/^0+$/.test(t) && !/^0+$/.test(s))
    .map(([t, s, f]) => `00-${t}-${s}-${f}`);
  // Near misses: other versions, upper case, extra fields, truncation.
  const nearMiss = fc
    .tuple(
      valid,
      fc.constantFrom('01', 'ff', 'cc', 'FF'),
      fc.constantFrom('', '-extra', 'X', '-'),
      fc.boolean(),
      fc.nat(9),
    )
    .map(([h, version, suffix, upper, cut]) => {
      const v = `${version}${h.slice(2)}${suffix}`;
      return (upper ? v.toUpperCase() : v).slice(0, v.length - cut);
    });
  fc.assert(
    fc.property(
      fc.oneof(valid, nearMiss, fc.string({ maxLength: 80 }), fc.string({ maxLength: 600 })),
      (header) => {
        const ids = tracing.withRemoteParent(header, () =>
          tracing.startActiveSpan('child', () => tracing.activeIds()),
        );
        assert.match(ids?.trace_id ?? '', /^[0-9a-f]{32}$/);
        const parsed = parseTraceparent(header);
        // The propagator and the log-context parser agree on which headers are valid.
        if (parsed !== undefined) assert.equal(ids?.trace_id, parsed.trace_id);
        else assert.ok(!header.toLowerCase().includes(ids?.trace_id ?? ''), header);
      },
    ),
    { numRuns: 1000 },
  );
  // Malformed parents never leak: the new trace is not the zero trace and the id is fresh each time.
  const a = tracing.withRemoteParent('garbage', () =>
    tracing.startActiveSpan('x', () => tracing.activeIds()),
  );
  const b = tracing.withRemoteParent('00-' + '0'.repeat(32) + '-' + '1'.repeat(16) + '-01', () =>
    tracing.startActiveSpan('x', () => tracing.activeIds()),
  );
  assert.notEqual(a?.trace_id, b?.trace_id);
  await tracing.close();
});

test('injectHeaders and injectTraceparent carry the active span for HTTP, RPC and signaling messages', async () => {
  const tracing = createTracing({ serviceName: 't', exporter: 'none', env: {} });
  tracing.startActiveSpan('http_get_meeting_info', (span) => {
    const headers = tracing.injectHeaders({ accept: 'application/json' });
    assert.equal(headers.accept, 'application/json');
    const { traceId, spanId } = span.spanContext();
    assert.equal(headers.traceparent, `00-${traceId}-${spanId}-01`);
    assert.equal(tracing.injectTraceparent(), headers.traceparent);
    assert.deepEqual(parseTraceparent(headers.traceparent), { trace_id: traceId, span_id: spanId });
  });
  await tracing.close();
  await tracing.close();
  await tracing.closed;
});

test('log lines inside a span carry its trace_id and span_id; bound ids are kept, never duplicated', async () => {
  const tracing = createTracing({ serviceName: 'mc-service', exporter: 'none', env: {} });
  const lines: string[] = [];
  const logger = createLogger({
    component: 'mc-service',
    destination: { write: (l: string) => void lines.push(l) },
    traceIds: () => tracing.activeIds(),
  });
  logger.info('outside');
  let ids: { trace_id: string; span_id: string } | undefined;
  await tracing.startActiveSpan('join_request_processing', async () => {
    ids = tracing.activeIds();
    await Promise.resolve();
    logger.child({ meeting_id: 'm1', participant_id: 'p1' }).info({ token: 'secret-join-token' }, 'joined');
    logger.child({ trace_id: 'bound', span_id: 'bound' }).info('bound ids');
  });
  const [outside, inside, bound] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(outside?.trace_id, undefined);
  assert.equal(inside?.trace_id, ids?.trace_id);
  assert.equal(inside?.span_id, ids?.span_id);
  assert.equal(inside?.meeting_id, 'm1');
  assert.equal(inside.token, '[REDACTED]');
  assert.equal(bound?.trace_id, 'bound');
  assert.equal((lines[2]?.match(/"trace_id"/g) ?? []).length, 1);
  assert.ok(!lines.join('').includes('secret-join-token'));
  await tracing.close();
});

test('the OTLP exporter posts to the endpoint and headers of the standard variables', async () => {
  const received: {
    url: string | undefined;
    auth: string | undefined;
    type: string | undefined;
    body: Buffer;
  }[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        url: req.url,
        auth: req.headers.authorization,
        type: req.headers['content-type'],
        body: Buffer.concat(chunks),
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  try {
    const tracing = createTracing({
      serviceName: 'gc-service',
      exporter: 'otlp',
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}/`,
        OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20abc',
      },
    });
    const traceId = tracing.startActiveSpan('http_get_meeting_info', (span) => span.spanContext().traceId);
    await tracing.flush();
    await tracing.close();
    assert.equal(received.length, 1);
    const [req] = received;
    assert.equal(req?.url, '/v1/traces');
    assert.equal(req.auth, 'Bearer abc');
    const body = req.body;
    assert.ok(
      body.includes(Buffer.from(traceId, 'hex')) || body.toString('utf8').includes(traceId),
      req.type,
    );
    assert.ok(body.includes(Buffer.from('http_get_meeting_info')));
    assert.ok(body.includes(Buffer.from('gc-service')));
  } finally {
    await new Promise<void>((r) => {
      server.close(() => {
        r();
      });
    });
  }
});

test('environment: exporter off by default, file needs a path, samplers and OTLP endpoints per the spec', async () => {
  assert.deepEqual(traceExporterFromEnv({}), { exporter: 'none' });
  assert.deepEqual(traceExporterFromEnv({ OTEL_TRACES_EXPORTER: 'OTLP' }), { exporter: 'otlp' });
  assert.throws(() => traceExporterFromEnv({ OTEL_TRACES_EXPORTER: 'jaeger' }), /must be one of/);
  assert.throws(() => traceExporterFromEnv({ OTEL_TRACES_EXPORTER: 'file' }), /OTEL_TRACES_FILE/);
  assert.deepEqual(traceExporterFromEnv({ OTEL_TRACES_EXPORTER: 'file', OTEL_TRACES_FILE: '/tmp/t' }), {
    exporter: 'file',
    filePath: '/tmp/t',
  });
  assert.throws(() => samplerFromEnv({ OTEL_TRACES_SAMPLER: 'sometimes' }), /not supported/);
  assert.deepEqual(batchOptionsFromEnv({}), {});
  assert.deepEqual(
    batchOptionsFromEnv({
      OTEL_BSP_SCHEDULE_DELAY: '200',
      OTEL_BSP_MAX_QUEUE_SIZE: '100',
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '512',
      OTEL_BSP_EXPORT_TIMEOUT: '-1',
    }),
    { scheduledDelayMillis: 200, maxQueueSize: 100, maxExportBatchSize: 100 },
  );
  assert.equal(otlpSettingsFromEnv({}).url, 'http://localhost:4318/v1/traces');
  assert.equal(
    otlpSettingsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).url,
    'http://c:4318/v1/traces',
  );
  assert.equal(
    otlpSettingsFromEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://t/x',
    }).url,
    'http://t/x',
  );
  assert.throws(
    () => otlpSettingsFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'file:///etc/passwd' }),
    /http\(s\)/,
  );

  // always_off: spans exist for the API but are not sampled, exported, or flagged as sampled downstream.
  const sink = memorySink();
  const off = createTracing({
    serviceName: 's',
    exporter: 'console',
    consoleSink: sink,
    env: { OTEL_TRACES_SAMPLER: 'always_off' },
  });
  off.startActiveSpan('x', () => undefined);
  await off.close();
  assert.deepEqual(sink.records(), []);
  // OTEL_SERVICE_NAME wins over the code's name.
  const named = createTracing({
    serviceName: 'code',
    exporter: 'none',
    env: { OTEL_SERVICE_NAME: 'from-env' },
  });
  assert.equal(named.serviceName, 'from-env');
  await named.close();
});
