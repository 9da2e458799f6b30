#!/usr/bin/env node
// The `darktower` command. Runs the TypeScript sources through tsx on the same Node, passing signals through.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// Node 24 or newer (package.json engines): `npm install` puts it in node_modules/.bin, which npx and npm scripts use.
// An older `node` on the PATH fails later and less clearly (worker threads cannot load the TypeScript sources).
if (Number(process.versions.node.split('.')[0]) < 24) {
  console.error(
    `darktower needs Node.js 24 or newer; this is ${process.version}. Run it as \`npx darktower ...\` or through ` +
      'the npm scripts, which use the Node 24 that `npm install` installed.',
  );
  process.exit(1);
}

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const child = spawn(
  process.execPath,
  ['--conditions=source', '--import', 'tsx', main, ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal === null ? 0 : 1)));
