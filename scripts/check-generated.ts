// Regenerates every package's generated code into a scratch copy and fails when it differs from what is committed.
import { spawnSync } from 'node:child_process';
import { existsSync, globSync, readFileSync } from 'node:fs';

const packages = globSync('{packages,services,apps}/*/package.json').filter((p) => {
  const m = JSON.parse(readFileSync(p, 'utf8')) as { scripts?: Record<string, string> };
  return m.scripts?.['generate:check'] !== undefined;
});
let failed = false;
for (const p of packages) {
  const dir = p.replace(/\/package\.json$/, '');
  if (!existsSync(dir)) continue;
  const r = spawnSync('npm', ['run', '--silent', 'generate:check'], { cwd: dir, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`${dir}: generated code is stale; run "npm run generate" there and commit`);
    failed = true;
  }
}
if (packages.length === 0) console.error('no package declares generate:check');
process.exit(failed ? 1 : 0);
