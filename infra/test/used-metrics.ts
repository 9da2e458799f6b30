// The service metrics (dt_*) that the dashboards and alert rules query, by the service that exports them.
import { readFileSync, readdirSync } from 'node:fs';
import { INFRA } from './manifests.ts';

const DASHBOARDS = `${INFRA}platform/observability/dashboards/`;
const RULES = `${INFRA}platform/observability/alerts/prometheus-rule.yaml`;

/** Metric-name prefix of each service (createMetrics `prefix`; AC uses `dt_` plus a `service="ac"` label). */
export const METRIC_PREFIX = {
  gc: /^dt_gc_/,
  mc: /^dt_mc_/,
  mh: /^dt_mh_/,
  ac: /^dt_(?!gc_|mc_|mh_)/,
} as const;

/** Every PromQL expression of the dashboards and the rule file's text. */
export function queryTexts(): string[] {
  const texts: string[] = [readFileSync(RULES, 'utf8')];
  for (const f of readdirSync(DASHBOARDS).filter((n) => n.endsWith('.json'))) {
    const d = JSON.parse(readFileSync(`${DASHBOARDS}${f}`, 'utf8')) as {
      panels: { targets?: { expr: string }[] }[];
    };
    for (const p of d.panels) for (const t of p.targets ?? []) texts.push(t.expr);
  }
  return texts;
}

/** The dt_* metric families queried (histogram suffixes removed), for one service. */
export function usedMetrics(service: keyof typeof METRIC_PREFIX): string[] {
  const names = new Set(queryTexts().flatMap((t) => [...t.matchAll(/\bdt_[a-z0-9_]+/g)].map((m) => m[0])));
  return [...names]
    .filter((n) => METRIC_PREFIX[service].test(n))
    .map((n) => n.replace(/_(bucket|count|sum)$/, ''))
    .filter((n, i, all) => all.indexOf(n) === i)
    .sort();
}
