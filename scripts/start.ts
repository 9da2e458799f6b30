// `npm start`: the whole platform on one machine with embedded defaults (`darktower dev`).
// Builds the web app first when this checkout has no build of it yet.
import { existsSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';

process.chdir(new URL('..', import.meta.url).pathname);
if (!existsSync('apps/web/dist/index.html')) {
  console.log('Building the web app (first start only)...');
  const build = spawnSync('npm', ['run', '--silent', 'build', '-w', '@darktower/web'], { stdio: 'inherit' });
  if (build.status !== 0) {
    console.error('The web app failed to build; see above.');
    process.exit(1);
  }
}
const child = spawn(
  process.execPath,
  ['--conditions=source', '--import', 'tsx', 'apps/cli/src/main.ts', 'dev', ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    child.kill(sig);
  });
}
child.on('exit', (code) => process.exit(code ?? 0));
