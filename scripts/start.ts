// `npm start`: the whole platform on one machine with embedded defaults.
// Delegates to the `darktower dev` command once the CLI exists; until then it says plainly what is missing.
import { existsSync } from 'node:fs';
import { spawn } from 'node:child_process';

const cli = 'apps/cli/src/main.ts';
if (!existsSync(cli)) {
  console.log(
    [
      'Dark Tower: the all-in-one server is not built yet.',
      'Not yet: Auth, Global, Meeting and Media services, the web app, the `darktower dev` command.',
      'What exists today is listed in README.md ("Status"); `npm test` runs every check.',
    ].join('\n'),
  );
  process.exit(1);
}
const child = spawn(
  process.execPath,
  ['--conditions=source', '--import', 'tsx', cli, 'dev', ...process.argv.slice(2)],
  {
    stdio: 'inherit',
  },
);
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => child.kill(sig));
child.on('exit', (code) => process.exit(code ?? 0));
