// The README's test command: format, lint, typecheck, generated-code check, dependency cycles, then every test.
// Stops at the first failing stage and exits non-zero.
import { spawnSync } from 'node:child_process';

interface Stage {
  name: string;
  cmd: string;
  args: string[];
}

const stages: Stage[] = [
  { name: 'format', cmd: 'npx', args: ['prettier', '--check', '--log-level', 'warn', '.'] },
  { name: 'typecheck', cmd: process.execPath, args: ['scripts/typecheck.ts'] },
  { name: 'lint', cmd: 'npx', args: ['eslint', '--max-warnings', '0', '.'] },
  { name: 'generated code', cmd: process.execPath, args: ['scripts/check-generated.ts'] },
  { name: 'dependency cycles', cmd: process.execPath, args: ['scripts/check-cycles.ts'] },
  { name: 'tests', cmd: process.execPath, args: ['scripts/run-tests.ts', ...process.argv.slice(2)] },
];

for (const stage of stages) {
  const started = Date.now();
  console.log(`\n=== ${stage.name} ===`);
  const r = spawnSync(stage.cmd, stage.args, { stdio: 'inherit' });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (r.status !== 0) {
    console.error(`\n=== ${stage.name} FAILED (${secs}s) ===`);
    process.exit(r.status ?? 1);
  }
  console.error(`=== ${stage.name} ok (${secs}s) ===`);
}
