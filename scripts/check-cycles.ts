// Fails on any circular import, between files or between workspace packages, and on any dependency that breaks
// the layering of CONVENTIONS.md: services never depend on each other, shared packages never depend on services or apps.
import { globSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

function findCycle(graph: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    const s = state.get(node);
    if (s === 'done') return undefined;
    if (s === 'visiting') return [...stack.slice(stack.indexOf(node)), node];
    state.set(node, 'visiting');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

const problems: string[] = [];

// Package level.
const manifests = globSync('{packages,services,apps}/*/package.json').map((path) => ({
  dir: path.split('/')[0] ?? '',
  manifest: JSON.parse(readFileSync(path, 'utf8')) as Manifest,
}));
const kindOf = new Map(manifests.map((m) => [m.manifest.name, m.dir]));
const packageGraph = new Map<string, string[]>();
for (const { dir, manifest } of manifests) {
  const runtime = Object.keys(manifest.dependencies ?? {}).filter((d) => kindOf.has(d));
  const dev = Object.keys(manifest.devDependencies ?? {}).filter((d) => kindOf.has(d));
  // The package graph is the runtime one: a service may start another service in its integration tests (a real
  // peer, as CONVENTIONS.md asks), which the source check below confines to test files.
  packageGraph.set(manifest.name, runtime);
  for (const dep of [...runtime, ...dev]) {
    const depKind = kindOf.get(dep);
    const isDev = !runtime.includes(dep);
    if (dir === 'services' && depKind === 'services' && !isDev)
      problems.push(`${manifest.name} -> ${dep}: services never import each other`);
    if (dir === 'packages' && depKind !== 'packages')
      problems.push(`${manifest.name} -> ${dep}: packages import only packages`);
  }
}

// Source level: no service's runtime code imports another service (test files may, to run a real peer).
const serviceNames = [...kindOf].filter(([, kind]) => kind === 'services').map(([name]) => name);
const isTestFile = (f: string): boolean => f.endsWith('.test.ts') || /\/(test|testing|bench)\//.test(f);
for (const file of globSync('services/*/src/**/*.ts')) {
  if (isTestFile(file)) continue;
  const own = JSON.parse(
    readFileSync(`${file.split('/').slice(0, 2).join('/')}/package.json`, 'utf8'),
  ) as Manifest;
  const source = readFileSync(file, 'utf8');
  for (const name of serviceNames) {
    if (name !== own.name && new RegExp(`from\\s*['"]${name}(/[^'"]*)?['"]`).test(source))
      problems.push(`${file} imports ${name}: services never import each other`);
  }
}
const packageCycle = findCycle(packageGraph);
if (packageCycle) problems.push(`package cycle: ${packageCycle.join(' -> ')}`);

// File level: relative imports and re-exports inside each package. Type-only imports are erased at build time
// and cannot form a runtime cycle, so `import type` / `export type` statements are not counted.
const importRe =
  /(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;
const fileGraph = new Map<string, string[]>();
for (const file of globSync('{packages,services,apps}/*/src/**/*.ts')) {
  const source = readFileSync(file, 'utf8');
  const deps: string[] = [];
  for (const m of source.matchAll(importRe)) {
    const spec = m[1] ?? m[2];
    if (spec === undefined || /^(import|export)\s+type\s/.test(m[0])) continue;
    deps.push(normalize(join(dirname(file), spec)).replace(/\.js$/, '.ts'));
  }
  fileGraph.set(normalize(file), deps);
}
const fileCycle = findCycle(fileGraph);
if (fileCycle) problems.push(`import cycle: ${fileCycle.join(' -> ')}`);

if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.error(`no cycles (${fileGraph.size} files, ${packageGraph.size} packages)`);
