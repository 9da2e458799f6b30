// Alert rules and dashboards: promtool checks and unit-tests the rules; every dashboard is valid Grafana JSON whose
// queries parse as PromQL (through promtool) and only name metrics the services really register.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readYamlDocuments } from './kustomize.ts';
import { INFRA, REPO, find, get, list, obj, rendered, scalar, str } from './manifests.ts';

const ALERTS = `${INFRA}platform/observability/alerts/`;
const DASHBOARDS = `${INFRA}platform/observability/dashboards/`;
const promtool = spawnSync('promtool', ['--version']).status === 0;
const skip = promtool ? false : 'promtool is not installed (Debian package prometheus)';

function ruleGroups(): unknown {
  const [rule] = readYamlDocuments(`${ALERTS}prometheus-rule.yaml`);
  return get(rule, 'spec', 'groups');
}

function withTempDir<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'dt-promtool-'));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('promtool check rules passes on the PrometheusRule groups', { skip }, () => {
  withTempDir((dir) => {
    writeFileSync(join(dir, 'darktower.rules.yaml'), JSON.stringify({ groups: ruleGroups() }));
    const r = spawnSync('promtool', ['check', 'rules', join(dir, 'darktower.rules.yaml')], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /SUCCESS: \d+ rules found/);
  });
});

test(
  'promtool unit tests: each ADR-0012 threshold alert fires at its threshold and not below',
  { skip },
  () => {
    withTempDir((dir) => {
      writeFileSync(join(dir, 'darktower.rules.yaml'), JSON.stringify({ groups: ruleGroups() }));
      copyFileSync(`${ALERTS}rules.test.yaml`, join(dir, 'rules.test.yaml'));
      const r = spawnSync('promtool', ['test', 'rules', join(dir, 'rules.test.yaml')], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stdout + r.stderr);
    });
  },
);

test('alert rules cover every ADR-0012 operational threshold', () => {
  const alerts = list(ruleGroups() as never).flatMap((g) =>
    list(get(g, 'rules')).map((r) => str(get(r, 'alert'))),
  );
  for (const name of [
    'DarkTowerCpuSustainedHigh',
    'DarkTowerMemoryHigh',
    'DarkTowerNodeIowaitHigh',
    'DarkTowerNodeCpuStealHigh',
    'DarkTowerMediaBandwidthWarning',
    'DarkTowerMediaBandwidthHardLimit',
    'DarkTowerCanaryRolledBack',
    'DarkTowerConnectionPoolScaleUp',
    'DarkTowerConnectionPoolScaleDown',
    'DarkTowerWalArchiveLagWarning',
    'DarkTowerWalArchiveLagCritical',
    'DarkTowerSignalingLatencyHigh',
    'DarkTowerMetricCardinalityHigh',
  ]) {
    assert.ok(alerts.includes(name), name);
  }
});

test('the pool-utilization rule divides by the pooler default_pool_size', () => {
  const pooler = find(rendered('overlays/prod'), 'Pooler', 'darktower-db-pooler-rw');
  const size = scalar(get(pooler, 'spec', 'pgbouncer', 'parameters', 'default_pool_size'));
  const rule = list(ruleGroups() as never)
    .flatMap((g) => list(get(g, 'rules')))
    .find((r) => get(r, 'record') === 'darktower:pgbouncer_pool_utilization:ratio');
  assert.match(str(get(rule, 'expr')), new RegExp(`/ ${size}\\s*$`));
});

interface Panel {
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: { refId: string; expr: string }[];
}

function dashboards(): Map<string, { uid: string; title: string; panels: Panel[] }> {
  const out = new Map<string, { uid: string; title: string; panels: Panel[] }>();
  for (const f of readdirSync(DASHBOARDS).filter((n) => n.endsWith('.json'))) {
    out.set(
      f,
      JSON.parse(readFileSync(join(DASHBOARDS, f), 'utf8')) as {
        uid: string;
        title: string;
        panels: Panel[];
      },
    );
  }
  return out;
}

/** A panel query as plain PromQL: Grafana variables replaced by values Prometheus accepts. */
function promql(expr: string): string {
  return expr.replaceAll('$__rate_interval', '5m').replaceAll('$region', '.*');
}

test('dashboards: system overview, one per component, meeting quality; panels laid out without overlap', () => {
  const all = dashboards();
  assert.deepEqual([...all.values()].map((d) => d.uid).sort(), [
    'darktower-auth',
    'darktower-global',
    'darktower-media',
    'darktower-meeting',
    'darktower-meeting-quality',
    'darktower-overview',
  ]);
  for (const [file, d] of all) {
    assert.ok(d.title.startsWith('Dark Tower / '), file);
    const cells = new Set<string>();
    for (const p of d.panels) {
      assert.ok(p.gridPos.x >= 0 && p.gridPos.x + p.gridPos.w <= 24, `${file}: ${p.title} width`);
      for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
        for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
          assert.ok(!cells.has(`${x},${y}`), `${file}: ${p.title} overlaps another panel`);
          cells.add(`${x},${y}`);
        }
      }
      if (p.type === 'row') continue;
      assert.ok(
        (p.targets ?? []).length > 0 && (p.targets ?? []).every((t) => t.expr !== ''),
        `${file}: ${p.title}`,
      );
    }
    assert.ok(d.panels.filter((p) => p.type !== 'row').length >= 6, `${file} has at least 6 panels`);
  }
});

test('every dashboard query parses as PromQL (promtool)', { skip }, () => {
  const rules = [...dashboards().values()].flatMap((d) =>
    d.panels.flatMap((p) =>
      (p.targets ?? []).map((t) => ({ record: 'darktower:dashboard_query', expr: promql(t.expr) })),
    ),
  );
  withTempDir((dir) => {
    writeFileSync(join(dir, 'queries.yaml'), JSON.stringify({ groups: [{ name: 'dashboards', rules }] }));
    const r = spawnSync('promtool', ['check', 'rules', join(dir, 'queries.yaml')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });
});

/** Metric names (without prefix) each service registers, read from its source; service-kit's HTTP metrics too. */
function registered(dir: string): Set<string> {
  const names = new Set<string>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) {
        for (const m of readFileSync(join(d, e.name), 'utf8').matchAll(/name: '([a-z_]+)'/g))
          names.add(m[1] ?? '');
      }
    }
  };
  walk(`${REPO}${dir}`);
  walk(`${REPO}packages/service-kit/src`);
  return names;
}

test('dashboards and alerts only use dt_* metrics the services register', () => {
  const sources: [RegExp, string][] = [
    [/^dt_gc_/, 'services/global/src'],
    [/^dt_mc_/, 'services/meeting/src'],
    [/^dt_mh_/, 'services/media/src'],
    [/^dt_/, 'services/auth/src'],
  ];
  const texts = [
    ...[...dashboards().values()].flatMap((d) =>
      d.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
    ),
    readFileSync(`${ALERTS}prometheus-rule.yaml`, 'utf8'),
  ];
  const used = new Set(texts.flatMap((t) => [...t.matchAll(/\bdt_[a-z0-9_]+/g)].map((m) => m[0])));
  assert.ok(used.size >= 20, `only ${used.size} metrics used`);
  const missing: string[] = [];
  for (const metric of used) {
    const [prefix, dir] = sources.find(([re]) => re.test(metric)) ?? [/^/, ''];
    const base = metric.replace(prefix, '').replace(/_(bucket|count|sum)$/, '');
    // prom-client's default process and Node.js metrics (processMetrics: true).
    if (/^(process|nodejs)_/.test(base)) continue;
    if (!registered(dir).has(base)) missing.push(metric);
  }
  assert.deepEqual(missing, []);
});

test('the dashboards ConfigMap carries every dashboard for the Grafana sidecar', () => {
  const [cm] = (() => {
    const objs = rendered('platform/observability/dashboards');
    return objs;
  })();
  assert.equal(cm?.kind, 'ConfigMap');
  assert.equal(cm.metadata.namespace, 'monitoring');
  assert.equal(get(cm, 'metadata', 'labels', 'grafana_dashboard'), '1');
  assert.deepEqual(Object.keys(obj(cm.data)).sort(), [...dashboards().keys()].sort());
});
