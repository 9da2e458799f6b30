import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createMetrics, createTracing, type SpanRecord, type Tracing } from '@darktower/service-kit';
import { startHarness, type Harness } from '../testing/harness.ts';
import { adminToken, injector, registerService, type Inject } from '../testing/http-helpers.ts';
import { labelSets, promtoolCheck, seriesValue } from '@darktower/service-kit/testing';

const hex = (bytes: number): string => randomBytes(bytes).toString('hex');

// A real Auth Controller (PGlite in memory) with spans exported as JSON lines into memory and its real ops server.
describe('Auth Controller observability', () => {
  let h: Harness;
  let inject: Inject;
  let tracing: Tracing;
  let opsUrl: string;
  const spans: SpanRecord[] = [];

  before(async () => {
    tracing = createTracing({
      serviceName: 'ac-service',
      exporter: 'console',
      consoleSink: {
        write: (text: string) => {
          for (const line of text.split('\n')) if (line !== '') spans.push(JSON.parse(line) as SpanRecord);
        },
      },
    });
    h = await startHarness({
      tracing,
      metrics: createMetrics({ prefix: 'dt_', defaultLabels: { service: 'ac' }, processMetrics: true }),
      overrides: { loginIpAttempts: '100000', tokenIpRequests: '100000' },
    });
    inject = injector(h.controller);
    opsUrl = (await h.controller.listen()).ops.url;
  });

  after(async () => {
    await h.close();
    await tracing.close();
  });

  test('a token request with a traceparent continues that trace', async () => {
    const traceId = hex(16);
    const parent = hex(8);
    const res = await inject({
      method: 'POST',
      url: '/api/v1/auth/token',
      headers: { traceparent: `00-${traceId}-${parent}-01` },
      payload: {
        grant_type: 'client_credentials',
        client_id: 'svc_bootstrap_admin_test',
        client_secret: h.adminSecret,
      },
    });
    assert.equal(res.statusCode, 200, res.body);
    const inTrace = spans.filter((s) => s.trace_id === traceId);
    const server = inTrace.find((s) => s.kind === 'server');
    assert.ok(server, JSON.stringify(inTrace.map((s) => s.name)));
    assert.equal(server.parent_span_id, parent);
    assert.equal(server.name, 'POST /api/v1/auth/token');
    const sign = inTrace.find((s) => s.name === 'sign_token');
    assert.equal(sign?.parent_span_id, server.span_id);

    // A user login: password_verify and sign_token under the request span.
    const user = `u${hex(4)}`;
    const password = `pw-${hex(12)}`;
    const reg = await inject({
      method: 'POST',
      url: '/api/v1/users',
      payload: { username: user, password, display_name: 'U' },
    });
    assert.equal(reg.statusCode, 201, reg.body);
    const traceId2 = hex(16);
    const login = await inject({
      method: 'POST',
      url: '/v1/auth/user/token',
      headers: { traceparent: `00-${traceId2}-${hex(8)}-01` },
      payload: { username: user, password },
    });
    assert.equal(login.statusCode, 200, login.body);
    const names = spans.filter((s) => s.trace_id === traceId2).map((s) => s.name);
    assert.ok(names.includes('password_verify') && names.includes('sign_token'), names.join(','));
  });

  test('/metrics passes promtool and keeps label cardinality bounded under hostile traffic', async () => {
    const admin = await adminToken(inject, h.adminSecret);
    const svc = await registerService(inject, admin, 'observed-svc', ['service.read.mh']);
    const ok = await inject({
      method: 'POST',
      url: '/v1/auth/service/token',
      payload: {
        grant_type: 'client_credentials',
        client_id: svc.client_id,
        client_secret: svc.client_secret,
      },
    });
    assert.equal(ok.statusCode, 200, ok.body);
    const rotated = await inject({
      method: 'POST',
      url: '/v1/admin/keys/rotate',
      headers: { authorization: `Bearer ${admin}` },
    });
    assert.equal(rotated.statusCode, 200, rotated.body);

    // Hostile traffic: random paths, random user names and passwords, random client ids, garbage bearer tokens.
    const junks: string[] = [];
    for (let i = 0; i < 120; i++) {
      const junk = hex(10);
      junks.push(junk);
      const kind = i % 4;
      const res =
        kind === 0
          ? await inject({ method: 'GET', url: `/${junk}/${hex(3)}?x=${junk}` })
          : kind === 1
            ? await inject({
                method: 'POST',
                url: '/v1/auth/user/token',
                payload: { username: `user${junk}`, password: `password-${junk}` },
              })
            : kind === 2
              ? await inject({
                  method: 'POST',
                  url: '/v1/auth/service/token',
                  payload: {
                    grant_type: 'client_credentials',
                    client_id: `svc_${junk}${junk}`,
                    client_secret: junk,
                  },
                })
              : await inject({
                  method: 'POST',
                  url: '/v1/admin/keys/rotate',
                  headers: { authorization: `Bearer ${junk}.${junk}.${junk}` },
                });
      assert.ok(res.statusCode >= 400, `hostile request ${i} refused (${res.statusCode})`);
    }

    const res = await fetch(`${opsUrl}/metrics`);
    assert.equal(res.status, 200);
    const text = await res.text();
    const lint = await promtoolCheck(text);
    assert.equal(lint.code, 0, lint.output);
    assert.equal(lint.output.trim(), '', `promtool warnings:\n${lint.output}`);

    const { cardinality, values } = labelSets(text);
    for (const [name, n] of cardinality) assert.ok(n < 1000, `${name} has ${n} label sets`);
    for (const v of values) {
      for (const j of junks) assert.ok(!v.includes(j), `label value ${v} carries request input`);
      assert.ok(!v.includes(svc.client_id), 'no client id in labels');
    }
    const at = (name: string, labels: Record<string, string>): number => {
      const v = seriesValue(text, name, labels);
      assert.ok(v !== undefined, `${name} ${JSON.stringify(labels)} is exported`);
      return v;
    };
    assert.ok(at('dt_auth_tokens_issued_total', { kind: 'service' }) >= 2);
    assert.ok(at('dt_auth_tokens_issued_total', { kind: 'user' }) >= 1);
    assert.ok(at('dt_auth_failures_total', { endpoint: 'user_token', reason: 'invalid_grant' }) >= 30);
    assert.ok(at('dt_auth_failures_total', { reason: 'invalid_client' }) >= 30);
    assert.ok(at('dt_auth_failures_total', { endpoint: 'admin' }) >= 30);
    assert.ok(at('dt_auth_token_issue_duration_seconds_count', { kind: 'service' }) >= 2);
    assert.ok(at('dt_auth_password_hash_duration_seconds_count', { op: 'verify' }) >= 30);
    assert.ok(at('dt_auth_key_rotations_total', {}) >= 1);
    assert.ok(at('dt_http_requests_total', { route: '__unmatched__', status_code: '404' }) >= 30);
    assert.ok(at('dt_http_request_duration_seconds_count', { route: '/api/v1/auth/token' }) >= 1);
  });
});
