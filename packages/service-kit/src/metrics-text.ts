// Reading figures back out of the Prometheus text exposition (what /metrics serves): for drills, probes and tests
// that watch a service from outside, as an operator's scraper would.

/**
 * The sum of the samples of `name` whose labels include every pair of `labels` (all its samples when none are
 * given); undefined when there is no such sample. Comment lines, other metrics and unparsable lines are skipped.
 */
export function sampleValue(
  text: string,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number | undefined {
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?\s*$/.exec(line);
    if (m?.[1] !== name) continue;
    const found = new Map<string, string>();
    for (const l of (m[2] ?? '').matchAll(/([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      found.set(
        l[1] ?? '',
        (l[2] ?? '').replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c)),
      );
    if (!Object.entries(labels).every(([k, v]) => found.get(k) === v)) continue;
    const value = Number(m[3]);
    if (Number.isNaN(value)) continue;
    sum = (sum ?? 0) + value;
  }
  return sum;
}
