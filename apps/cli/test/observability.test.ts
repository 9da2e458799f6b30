// Traces, metrics and logs of a full meeting (issue 11): a cluster of real service processes (Auth, Global and
// Meeting Controllers, a Media Handler; PostgreSQL, Redis) exporting spans to files, and two SDK participants
// joining over QUIC, publishing and receiving each other's media. What is shown:
// - each join is ONE trace with the span tree of architecture.md "Distributed Tracing", linked across the client,
//   the Global Controller (HTTP), the Meeting Controller (signaling), the Media Handler (media auth and the RPC);
// - every service's /metrics passes `promtool check metrics`, has fewer than 1,000 label sets per metric, no ids
//   or names in labels, and the metrics of architecture.md "Metrics Collection" for its component;
// - every log line is JSON with the fields of architecture.md "Logging", and no secret of the meeting (password,
//   access and join tokens, client secrets, private keys, any JWT) appears in any log or trace file.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DarkTowerApi, Meeting, SyntheticSource } from '@darktower/client';
import { createTracing, spanHandleTracer, type SpanRecord, type Tracing } from '@darktower/service-kit';
import { labelSets, promtoolCheck, seriesValue } from '@darktower/service-kit/testing';
import { botConnector } from '../src/bot/bot-connector.ts';
import { Cluster, type ServiceProcess } from '../src/cluster/cluster.ts';

const JOIN_CHILDREN = [
  'first_frame_received',
  'http_get_meeting_info',
  'join_request_processing',
  'media_connection_establish',
  'webtransport_connect',
];
const PROCESSING_CHILDREN = [
  'assign_media_handler',
  'create_participant_session',
  'get_existing_participants',
  'validate_token',
];

/** The metrics of architecture.md "Metrics Collection", per component (our names). */
const REQUIRED_METRICS: Record<ServiceProcess['kind'], string[]> = {
  auth: ['dt_http_requests_total', 'dt_http_request_duration_seconds'],
  global: [
    // request rate and latency, error rate by endpoint, active connections, authentication failures
    'dt_gc_http_requests_total',
    'dt_gc_http_request_duration_seconds',
    'dt_gc_http_request_errors_total',
    'dt_gc_active_connections',
    'dt_gc_auth_failures_total',
  ],
  meeting: [
    // active meetings, participants per meeting, join latency, message throughput, Redis operation latency
    'dt_mc_active_meetings',
    'dt_mc_participants',
    'dt_mc_meetings_by_size',
    'dt_mc_join_duration_seconds',
    'dt_mc_signaling_messages_total',
    'dt_mc_store_latency_seconds',
  ],
  media: [
    // active streams, bandwidth in/out, packet loss rate, frame drop rate, (transcoding) queue depth
    'dt_mh_active_streams',
    'dt_mh_bandwidth_in_bps',
    'dt_mh_bandwidth_out_bps',
    'dt_mh_ingest_loss_ratio',
    'dt_mh_frames_dropped',
    'dt_mh_queue_depth_frames',
  ],
};

interface Joined {
  readonly name: string;
  readonly meeting: Meeting;
  /** Kept: a meeting that left no longer has one. */
  readonly participantId: string;
  readonly run: Promise<void>;
}

describe('observability of a full meeting', { timeout: 600_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'dt-obs-'));
  const password = `pw-${randomBytes(12).toString('base64url')}`;
  const secrets = new Map<string, string>([['password', password]]);
  const metricsText = new Map<string, string>();
  let cluster: Cluster | undefined;
  let clientTracing: Tracing | undefined;
  let meetingId = '';
  let displayNames: string[] = [];
  const joined: Joined[] = [];

  before(async () => {
    cluster = await Cluster.start({
      dir,
      logLevel: 'info',
      globalControllers: 1,
      meetingControllers: 1,
      mediaHandlers: 1,
      serviceEnv: (name) => ({
        OTEL_TRACES_EXPORTER: 'file',
        OTEL_TRACES_FILE: join(dir, `traces-${name}.jsonl`),
      }),
    });
    // Every secret the processes were given (client secrets, the bootstrap admin secret, TLS keys) must stay out.
    for (const s of cluster.services) {
      for (const [key, value] of Object.entries(s.process.spec.env)) {
        if (/SECRET|KEY_PEM|PASSWORD/i.test(key) && value.length >= 8) secrets.set(`${s.name} ${key}`, value);
      }
    }
    // The SDK's own fetch, recording the join tokens it is handed (they must not show up in any log either).
    const recordingFetch: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      const body = (await res
        .clone()
        .json()
        .catch(() => ({}))) as Record<string, unknown>;
      for (const key of ['access_token', 'join_token', 'refresh_token']) {
        const v = body[key];
        if (typeof v === 'string') secrets.set(`${key} #${String(secrets.size)}`, v);
      }
      return res;
    };
    const api = new DarkTowerApi({ baseUrl: cluster.url, fetch: recordingFetch });
    await api.register({ username: 'observer', password, displayName: 'Olive Observer' });
    const accessToken = await api.signIn({ username: 'observer', password });
    const created = await api.createMeeting(
      { displayName: 'Observability review', requireAuth: false },
      accessToken,
    );
    meetingId = created.meetingId;

    clientTracing = createTracing({
      serviceName: 'darktower-client',
      exporter: 'file',
      filePath: join(dir, 'traces-client.jsonl'),
    });
    const tracer = spanHandleTracer(clientTracing);
    const connector = botConnector([cluster.certificateHash]);
    displayNames = ['Alice Example', 'Bob Example'];
    for (const name of displayNames) {
      const meeting = await Meeting.join({
        api,
        connector,
        meeting: created.meetingCode,
        displayName: name,
        tracer,
        reconnectAttempts: 0,
      });
      const abort = new AbortController();
      void meeting.closed.then(() => {
        abort.abort();
      });
      const runs: Promise<void>[] = [];
      for (const kind of ['camera', 'audio'] as const) {
        const publication = await meeting.publish(
          kind === 'camera'
            ? { kind, codec: 'VP8', width: 320, height: 180, framerate: 15 }
            : { kind, codec: 'Opus' },
        );
        const source = new SyntheticSource({ kind: kind === 'camera' ? 'video' : 'audio', fps: 15 });
        publication.events.on('keyframeRequested', () => {
          source.requestKeyframe();
        });
        runs.push(
          source.run(async (frame) => {
            if (!publication.isClosed) await publication.send(frame);
          }, abort.signal),
        );
      }
      await meeting.setLayout({ kind: 'grid', rows: 2, columns: 2 });
      joined.push({
        name,
        meeting,
        participantId: meeting.participantId,
        run: Promise.all(runs).then(() => undefined),
      });
    }
    // Both receive each other's media: both join traces are complete (their roots end at the first remote frame).
    await Promise.all(
      joined.map(
        (j) =>
          new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => {
              reject(new Error(`${j.name} received no remote frame`));
            }, 60_000);
            j.meeting.events.on('remoteFrame', () => {
              clearTimeout(timer);
              resolve();
            });
          }),
      ),
    );
    // /metrics while the meeting runs. The media handler's gauges refresh once a second and its rates cover the
    // second before: wait for a refresh that has all four streams and a full second of their media.
    const mh = cluster.byKind('media')[0];
    assert.ok(mh !== undefined);
    for (let i = 0; i < 100; i++) {
      const text = await (await fetch(`${mh.opsUrl}/metrics`)).text();
      const flowing =
        (seriesValue(text, 'dt_mh_active_streams', {}) ?? 0) >= 4 &&
        (seriesValue(text, 'dt_mh_bandwidth_in_bps', {}) ?? 0) > 0 &&
        (seriesValue(text, 'dt_mh_bandwidth_out_bps', {}) ?? 0) > 0;
      if (flowing) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const s of cluster.services) {
      metricsText.set(s.name, await (await fetch(`${s.opsUrl}/metrics`)).text());
    }
    for (const j of joined) await j.meeting.leave();
    await Promise.all(joined.map((j) => j.run));
    await clientTracing.close();
    // Stopped gracefully: every process flushes its spans and writes its last log lines.
    await cluster.close();
  });

  after(async () => {
    for (const j of joined) await j.meeting.close();
    await clientTracing?.close();
    await cluster?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const spans = (): SpanRecord[] =>
    readdirSync(dir)
      .filter((f) => f.startsWith('traces-') && f.endsWith('.jsonl'))
      .flatMap((f) =>
        readFileSync(join(dir, f), 'utf8')
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => JSON.parse(l) as SpanRecord),
      );

  test('each join is one trace with the span tree of architecture.md, linked across every service', () => {
    const all = spans();
    const roots = all.filter((s) => s.name === 'join_meeting');
    assert.equal(roots.length, 2, 'one join_meeting per participant');
    for (const root of roots) {
      assert.equal(root.parent_span_id, undefined);
      assert.equal(root.service, 'darktower-client');
      assert.equal(root.attributes.first_frame, true);
      const trace = all.filter((s) => s.trace_id === root.trace_id);
      const children = (parent: SpanRecord): SpanRecord[] =>
        trace.filter((s) => s.parent_span_id === parent.span_id);
      const one = (parent: SpanRecord, name: string): SpanRecord => {
        const found = children(parent).filter((s) => s.name === name);
        const [first] = found;
        assert.ok(found.length === 1 && first !== undefined, `${name} under ${parent.name}`);
        return first;
      };
      console.log(`join trace ${root.trace_id}:\n${formatTree(trace, root, '')}`);

      assert.deepEqual(
        children(root)
          .map((s) => s.name)
          .sort(),
        JOIN_CHILDREN,
      );
      const processing = one(root, 'join_request_processing');
      assert.equal(processing.service, 'mc-service');
      assert.equal(processing.status, 'unset');
      assert.deepEqual(
        children(processing)
          .map((s) => s.name)
          .sort(),
        PROCESSING_CHILDREN,
      );
      for (const s of children(processing)) assert.equal(s.service, 'mc-service');

      // Client -> Global Controller: the HTTP server span of the join request is a child of http_get_meeting_info.
      const http = one(root, 'http_get_meeting_info');
      const gc = children(http);
      const [gcSpan] = gc;
      assert.ok(gc.length === 1 && gcSpan !== undefined, 'one Global Controller span under the HTTP call');
      assert.equal(gcSpan.service, 'gc-service');
      assert.equal(gcSpan.kind, 'server');

      // Meeting Controller -> Media Handler: RegisterParticipant, client span under assign_media_handler, server
      // span in the handler under it.
      const assign = one(processing, 'assign_media_handler');
      const rpc = one(assign, 'darktower.v1.MediaHandlerService/RegisterParticipant');
      assert.equal(rpc.service, 'mc-service');
      assert.equal(rpc.kind, 'client');
      const served = one(rpc, 'darktower.v1.MediaHandlerService/RegisterParticipant');
      assert.equal(served.service, 'mh-service');
      assert.equal(served.kind, 'server');

      // Client -> Media Handler: the media session's authentication under media_connection_establish.
      const media = one(root, 'media_connection_establish');
      const auth = one(media, 'media_session_authenticate');
      assert.equal(auth.service, 'mh-service');
      assert.equal(auth.status, 'unset');

      assert.equal(one(root, 'first_frame_received').attributes.received, true);
      // Nothing in the trace hangs off a span outside it.
      const ids = new Set(trace.map((s) => s.span_id));
      for (const s of trace) if (s !== root) assert.ok(ids.has(s.parent_span_id ?? ''), s.name);
    }
    assert.notEqual(roots[0]?.trace_id, roots[1]?.trace_id);
  });

  test('every service: promtool check metrics passes, < 1,000 label sets per metric, no ids in labels', async () => {
    assert.ok(cluster !== undefined);
    const personal = [meetingId, ...displayNames, 'observer', ...joined.map((j) => j.participantId)];
    for (const s of cluster.services) {
      const text = metricsText.get(s.name) ?? '';
      const lint = await promtoolCheck(text);
      assert.equal(lint.code, 0, `${s.name}: ${lint.output}`);
      const { cardinality, values } = labelSets(text);
      for (const [metric, n] of cardinality)
        assert.ok(n < 1000, `${s.name} ${metric}: ${String(n)} label sets`);
      for (const v of values) {
        for (const p of personal) assert.ok(p === '' || !v.includes(p), `${s.name}: label value ${v}`);
      }
      for (const name of REQUIRED_METRICS[s.kind]) {
        assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), `${s.name} lacks ${name}`);
      }
    }
    const mc = metricsText.get('mc-1') ?? '';
    assert.equal(seriesValue(mc, 'dt_mc_active_meetings', {}), 1);
    assert.equal(seriesValue(mc, 'dt_mc_participants', {}), 2);
    assert.equal(seriesValue(mc, 'dt_mc_meetings_by_size', { participants: '2-5' }), 1);
    assert.equal(seriesValue(mc, 'dt_mc_join_duration_seconds_count', { outcome: 'ok' }), 2);
    assert.ok(
      (seriesValue(mc, 'dt_mc_signaling_messages_total', { kind: 'publish', outcome: 'ok' }) ?? 0) >= 4,
    );
    const mh = metricsText.get('mh-1') ?? '';
    assert.equal(seriesValue(mh, 'dt_mh_active_streams', {}), 4);
    assert.ok((seriesValue(mh, 'dt_mh_bandwidth_in_bps', {}) ?? 0) > 0);
    assert.ok((seriesValue(mh, 'dt_mh_bandwidth_out_bps', {}) ?? 0) > 0);
  });

  test('logs: JSON lines with the fields of architecture.md; the join is logged with its trace and ids', () => {
    const lines = logLines(dir);
    assert.ok(lines.length > 20);
    for (const { file, line } of lines) {
      const entry = JSON.parse(line) as Record<string, unknown>;
      if (entry.ready === true) continue; // the one start-up line a supervisor reads, not a log line
      for (const field of ['timestamp', 'level', 'component', 'message'])
        assert.ok(typeof entry[field] === 'string', `${file}: no ${field} in ${line}`);
      assert.ok(!Number.isNaN(Date.parse(entry.timestamp as string)), line);
      assert.ok(['trace', 'debug', 'info', 'warn', 'error', 'fatal'].includes(entry.level as string), line);
    }
    const entries = lines.map((l) => JSON.parse(l.line) as Record<string, unknown>);
    const components = new Set(entries.map((e) => e.component));
    for (const c of ['ac-service', 'gc-service', 'mc-service', 'mh-service']) assert.ok(components.has(c), c);

    const all = spans();
    for (const j of joined) {
      const logged = entries.find(
        (e) => e.message === 'participant joined' && e.participant_id === j.participantId,
      );
      assert.ok(logged !== undefined, `the join of ${j.name} is logged`);
      assert.equal(logged.component, 'mc-service');
      assert.equal(logged.meeting_id, meetingId);
      const span = all.find((s) => s.name === 'join_request_processing' && s.span_id === logged.span_id);
      assert.ok(span !== undefined, 'span_id is the join_request_processing span');
      assert.equal(logged.trace_id, span.trace_id);
      const root = all.find((s) => s.name === 'join_meeting' && s.trace_id === span.trace_id);
      assert.equal(root?.attributes.participant_id, j.participantId);
    }
    // The Global Controller's request log of each join carries the join's trace id.
    for (const root of all.filter((s) => s.name === 'join_meeting')) {
      assert.ok(
        entries.some((e) => e.component === 'gc-service' && e.trace_id === root.trace_id),
        `a gc-service line in trace ${root.trace_id}`,
      );
    }
  });

  test('no password, token, secret or key of the meeting in any log or trace file', () => {
    assert.ok(secrets.size >= 8, `secrets collected: ${[...secrets.keys()].join(', ')}`);
    const files = [
      ...readdirSync(join(dir, 'logs')).map((f) => join(dir, 'logs', f)),
      ...readdirSync(dir)
        .filter((f) => f.startsWith('traces-'))
        .map((f) => join(dir, f)),
    ];
    const jwt = /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}/;
    let scanned = 0;
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      scanned += text.length;
      for (const [what, value] of secrets) {
        // PEM keys: any one line of the base64 body is a leak.
        const needles = value.includes('-----BEGIN')
          ? value.split('\n').filter((l) => l.length >= 40 && !l.startsWith('-----'))
          : [value];
        for (const n of needles) assert.ok(!text.includes(n), `${what} appears in ${file}`);
      }
      assert.doesNotMatch(text, jwt, `a JWT in ${file}`);
      assert.doesNotMatch(text, /-----BEGIN [A-Z ]*PRIVATE KEY-----/, `a private key in ${file}`);
      // Secret-named fields are logged redacted, never with a value.
      for (const m of text.matchAll(
        /"([A-Za-z_]*(?:password|secret|token|authorization|cookie)[A-Za-z_]*)":("(?:[^"\\]|\\.)*")/gi,
      )) {
        assert.equal(m[2], '"[REDACTED]"', `${m[1] ?? ''} in ${file}`);
      }
    }
    console.log(
      `scanned ${String(files.length)} files, ${String(scanned)} bytes, for ${String(secrets.size)} secrets`,
    );
  });
});

function logLines(dir: string): { file: string; line: string }[] {
  const out: { file: string; line: string }[] = [];
  for (const f of readdirSync(join(dir, 'logs'))) {
    if (f === 'redis.log') continue; // redis-server's own log, not ours
    const path = join(dir, 'logs', f);
    if (!existsSync(path)) continue;
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      // The supervisor's own start/exit markers.
      if (line === '' || line.startsWith('--- ')) continue;
      out.push({ file: f, line });
    }
  }
  return out;
}

function formatTree(trace: SpanRecord[], span: SpanRecord, indent: string): string {
  const ms = (span.duration_us / 1000).toFixed(1);
  let out = `${indent}${span.name} [${span.service ?? ''}] ${ms} ms\n`;
  const kids = trace.filter((s) => s.parent_span_id === span.span_id).sort((a, b) => a.start_us - b.start_us);
  for (const k of kids) out += formatTree(trace, k, `${indent}  `);
  return out;
}
