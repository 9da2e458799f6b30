// Typecheck everything: the project references (`tsc -b`), then the test folders that carry their own
// non-composite tsconfig (they import other packages' sources for integration tests).
import { globSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

process.chdir(new URL('..', import.meta.url).pathname);
const tsc = (args: string[]): number => spawnSync('npx', ['tsc', ...args], { stdio: 'inherit' }).status ?? 1;
let failed = tsc(['-b']) !== 0;
for (const config of globSync('{packages,services,apps}/*/test/tsconfig.json').sort()) {
  if (tsc(['-p', config, '--noEmit']) !== 0) {
    console.error(`typecheck failed: ${config}`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
