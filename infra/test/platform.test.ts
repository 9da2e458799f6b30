// Platform pieces outside the overlays: the OpenTelemetry Collector DaemonSet (ADR-0012 decision 11 sampling), the
// Flagger canary (decision 9 rollback thresholds), the Trivy policy (decision 7) and the chaos experiments (8).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { readYamlDocuments, type K8sObject } from './kustomize.ts';
import { validateObject } from './k8s-schema.ts';
import { INFRA, find, get, list, rendered, str } from './manifests.ts';

test('the OpenTelemetry Collector DaemonSet validates and samples 100% errors, 100% > 500 ms, 10% of the rest', async () => {
  const objs = rendered('platform/observability/otel-collector');
  for (const o of objs)
    assert.deepEqual(await validateObject(o), { status: 'valid' }, `${o.kind}/${o.metadata.name}`);
  const ds = find(objs, 'DaemonSet', 'otel-collector');
  const ports = list(get(ds, 'spec', 'template', 'spec', 'containers', 0, 'ports')).map((p) =>
    get(p, 'hostPort'),
  );
  assert.ok(ports.includes(4318), 'services send to $(NODE_IP):4318');
  const config = parse(str(get(find(objs, 'ConfigMap', 'otel-collector'), 'data', 'config.yaml'))) as unknown;
  const policies = list(get(config as never, 'processors', 'tail_sampling', 'policies'));
  assert.deepEqual(
    policies.map((p) => [
      get(p, 'type'),
      get(p, 'status_code', 'status_codes'),
      get(p, 'latency', 'threshold_ms'),
      get(p, 'probabilistic', 'sampling_percentage'),
    ]),
    [
      ['status_code', ['ERROR'], undefined, undefined],
      ['latency', undefined, 500, undefined],
      ['probabilistic', undefined, undefined, 10],
    ],
  );
  assert.deepEqual(get(config as never, 'service', 'pipelines', 'traces', 'processors'), [
    'memory_limiter',
    'tail_sampling',
    'batch',
  ]);
});

const ci = (file: string): K8sObject[] => readYamlDocuments(`${INFRA}ci/${file}`) as K8sObject[];

test('the canary rolls back above 150% of the primary error rate or 2x its p99, in 5/10/50% steps', () => {
  const objs = ci('deploy-canary.yaml');
  const canary = find(objs, 'Canary', 'gc-service');
  assert.deepEqual(get(canary, 'spec', 'analysis', 'stepWeights'), [5, 10, 50]);
  const metrics = list(get(canary, 'spec', 'analysis', 'metrics')).map((m) => [
    get(m, 'templateRef', 'name'),
    get(m, 'thresholdRange', 'max'),
  ]);
  assert.deepEqual(metrics, [
    ['error-rate-vs-primary', 1.5],
    ['p99-vs-primary', 2],
  ]);
  assert.equal(get(canary, 'spec', 'targetRef', 'name'), 'gc-service');
  const interval = Number(str(get(canary, 'spec', 'analysis', 'interval')).replace(/s$/, ''));
  const threshold = Number(get(canary, 'spec', 'analysis', 'threshold'));
  assert.ok(interval * threshold < 120, 'rolls back in under 2 minutes');
  // The templates' queries are PromQL once Flagger fills its placeholders.
  const rules = objs
    .filter((o) => o.kind === 'MetricTemplate')
    .map((o) => ({
      record: 'flagger:query',
      expr: str(get(o, 'spec', 'query'))
        .replaceAll('{{ namespace }}', 'darktower')
        .replaceAll('{{ target }}', 'gc-service')
        .replaceAll('{{ interval }}', '1m'),
    }));
  assert.equal(rules.length, 2);
  if (spawnSync('promtool', ['--version']).status !== 0) return;
  const dir = mkdtempSync(join(tmpdir(), 'dt-flagger-'));
  try {
    writeFileSync(join(dir, 'q.yaml'), JSON.stringify({ groups: [{ name: 'flagger', rules }] }));
    const r = spawnSync('promtool', ['check', 'rules', join(dir, 'q.yaml')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Trivy blocks on CRITICAL; chaos experiments target workloads that exist', () => {
  const [trivy] = readYamlDocuments(`${INFRA}ci/image-scan.yaml`);
  assert.deepEqual(get(trivy, 'severity'), ['CRITICAL']);
  assert.equal(get(trivy, 'exit-code'), 1);
  const region = rendered('local/regions/us-west');
  for (const engine of ci('chaos-tests.yaml')) {
    assert.equal(get(engine, 'spec', 'appinfo', 'appns'), 'region-us-west');
    const [key, value] = str(get(engine, 'spec', 'appinfo', 'applabel')).split('=');
    const kind = str(get(engine, 'spec', 'appinfo', 'appkind'));
    assert.ok(
      region.some(
        (o) =>
          o.kind.toLowerCase() === kind &&
          get(o, 'spec', 'template', 'metadata', 'labels', key ?? '') === value,
      ),
      `${engine.metadata.name} targets ${kind} ${key ?? ''}=${value ?? ''}`,
    );
  }
});
