// Starts a cluster, runs drills one after another on it, and returns their results (the cluster is stopped after).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster } from './cluster.ts';
import { signUpHost } from './cluster-client.ts';
import { DRILLS, formatDrill, type DrillResult, type DrillScale } from './drills.ts';

export type DrillName = keyof typeof DRILLS;

export async function runDrills(options: {
  readonly scale: DrillScale;
  readonly only?: readonly DrillName[];
  readonly dir?: string;
  readonly log?: (line: string) => void;
}): Promise<DrillResult[]> {
  const log = options.log ?? (() => undefined);
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'dt-drills-'));
  await using cluster = await Cluster.start({ dir, logLevel: 'warn', onProgress: log });
  const host = await signUpHost(cluster);
  const results: DrillResult[] = [];
  for (const name of options.only ?? (Object.keys(DRILLS) as DrillName[])) {
    log(`drill ${name}...`);
    let result: DrillResult;
    try {
      result = await DRILLS[name]({ cluster, host, scale: options.scale, log });
    } catch (error) {
      result = {
        name,
        targetMs: 0,
        recoveryMs: -1,
        details: {},
        problems: [`drill aborted: ${error instanceof Error ? error.message : String(error)}`],
      };
    }
    log(formatDrill(result));
    results.push(result);
  }
  log(`logs: ${dir}/logs`);
  return results;
}
