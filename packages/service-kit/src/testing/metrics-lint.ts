// Test support shared by every service: promtool and label-cardinality checks of a /metrics text.
import { spawn } from 'node:child_process';

/** Runs `promtool check metrics` (Debian `prometheus` package) on a /metrics text; resolves exit code and output. */
export function promtoolCheck(text: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, output });
    });
    child.stdin.end(text);
  });
}

/**
 * Distinct label sets per metric family (histogram `_bucket`/`_sum`/`_count` fold into their family, `le` is
 * ignored), and every label value seen, from Prometheus text format.
 */
export function labelSets(text: string): { cardinality: Map<string, number>; values: Set<string> } {
  const families = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^# TYPE (\S+) /.exec(line);
    if (m?.[1] !== undefined) families.add(m[1]);
  }
  const sets = new Map<string, Set<string>>();
  const values = new Set<string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? /.exec(line);
    if (m?.[1] === undefined) throw new Error(`unparsable metrics line: ${line}`);
    let family = m[1];
    for (const suffix of ['_bucket', '_sum', '_count']) {
      const base = family.slice(0, -suffix.length);
      if (family.endsWith(suffix) && families.has(base)) family = base;
    }
    const labels: string[] = [];
    for (const pair of (m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      const [, name = '', value = ''] = pair;
      values.add(value);
      if (name !== 'le' && name !== 'quantile') labels.push(`${name}=${value}`);
    }
    let set = sets.get(family);
    if (set === undefined) sets.set(family, (set = new Set()));
    set.add(labels.sort().join(','));
  }
  return { cardinality: new Map([...sets].map(([k, v]) => [k, v.size])), values };
}

/** The value of the series `name` whose labels include `labels` (any order); undefined when absent. */
export function seriesValue(
  text: string,
  name: string,
  labels: Readonly<Record<string, string>>,
): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const ok = Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`));
    if (ok) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}
