// `npm run bench`: runs every workspace's `bench` script; each writes JSON under bench/results/.
// Usage: npm run bench [-- workspace-name ...]
import { globSync, mkdirSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

mkdirSync('bench/results', { recursive: true });
const only = process.argv.slice(2);
let failed = false;
for (const path of globSync('{packages,services,apps}/*/package.json').sort()) {
  const m = JSON.parse(readFileSync(path, 'utf8')) as { name: string; scripts?: Record<string, string> };
  if (m.scripts?.bench === undefined) continue;
  if (only.length > 0 && !only.some((o) => m.name.includes(o))) continue;
  console.log(`\n=== bench ${m.name} ===`);
  const r = spawnSync('npm', ['run', '--silent', 'bench', '-w', m.name], { stdio: 'inherit' });
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
