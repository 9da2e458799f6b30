// Runs every *.test.ts in the workspace with node:test (one process per file).
// Usage: node scripts/run-tests.ts [path-filter ...]
import { globSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Globs and filters are relative to the repository root, wherever npm runs this from.
process.chdir(new URL('..', import.meta.url).pathname);
const filters = process.argv.slice(2);
const files = globSync(
  ['{packages,services,apps}/*/{src,test}/**/*.test.ts', 'infra/test/**/*.test.ts', 'scripts/**/*.test.ts'],
  {
    exclude: (f) => f.includes('node_modules'),
  },
)
  .filter((f) => filters.length === 0 || filters.some((flt) => f.includes(flt)))
  .sort();

if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}

// Two lanes side by side, one file at a time in each: the headless-Chromium files, and every other file. Two
// Chromium files at once (each with two to four pages encoding and decoding video) starved each other on a 2-core
// machine until joins and pictures timed out, and so did a Chromium file beside two other files (load average 16).
// TEST_CONCURRENCY raises the second lane's concurrency on a bigger machine.
const isChromium = (f: string): boolean => f.includes('.chromium.');
const lanes = [
  { files: files.filter((f) => !isChromium(f)), concurrency: process.env.TEST_CONCURRENCY ?? '1' },
  { files: files.filter(isChromium), concurrency: '1' },
].filter((lane) => lane.files.length > 0);
const summaries = mkdtempSync(join(tmpdir(), 'dt-tests-'));

function runLane(lane: { files: string[]; concurrency: string }, index: number): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [
        '--conditions=source',
        '--import',
        'tsx',
        '--test',
        `--test-concurrency=${lane.concurrency}`,
        '--test-timeout=120000',
        '--test-reporter=spec',
        '--test-reporter-destination=stdout',
        '--test-reporter=./scripts/summary-reporter.ts',
        `--test-reporter-destination=${join(summaries, String(index))}`,
        ...lane.files,
      ],
      { stdio: 'inherit' },
    );
    child.on('error', () => {
      resolve(1);
    });
    child.on('exit', (code) => {
      resolve(code ?? 1);
    });
  });
}

const codes = await Promise.all(lanes.map(runLane));
// One closing line for both lanes, as the summary reporter prints it: "N passed, N failed, N skipped".
const total = { passed: 0, failed: 0, skipped: 0 };
lanes.forEach((_, i) => {
  let text = '';
  try {
    text = readFileSync(join(summaries, String(i)), 'utf8');
  } catch {
    total.failed++; // a lane that wrote no summary did not finish
  }
  const m = /(\d+) passed, (\d+) failed, (\d+) skipped/.exec(text);
  if (m !== null) {
    total.passed += Number(m[1]);
    total.failed += Number(m[2]);
    total.skipped += Number(m[3]);
  }
});
rmSync(summaries, { recursive: true, force: true });
console.log(
  `\n${String(total.passed)} passed, ${String(total.failed)} failed, ${String(total.skipped)} skipped`,
);
process.exit(codes.every((c) => c === 0) ? 0 : 1);
