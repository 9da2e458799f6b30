// Builds a test page (index.html + TypeScript entry using the SDK) with Vite into a temporary directory.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'vite';

export async function buildPage(root: string): Promise<string> {
  const outDir = mkdtempSync(join(tmpdir(), 'dt-page-'));
  await build({
    configFile: false,
    root,
    logLevel: 'warn',
    resolve: { conditions: ['source', 'browser', 'module', 'import', 'default'] },
    build: { outDir, emptyOutDir: true, target: 'es2022', minify: false },
  });
  return outDir;
}
