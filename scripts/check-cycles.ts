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
  const deps = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies }).filter((d) =>
    kindOf.has(d),
  );
  packageGraph.set(manifest.name, deps);
  for (const dep of deps) {
    const depKind = kindOf.get(dep);
    if (dir === 'services' && depKind === 'services')
      problems.push(`${manifest.name} -> ${dep}: services never import each other`);
    if (dir === 'packages' && depKind !== 'packages')
      problems.push(`${manifest.name} -> ${dep}: packages import only packages`);
  }
}
const packageCycle = findCycle(packageGraph);
if (packageCycle) problems.push(`package cycle: ${packageCycle.join(' -> ')}`);

// File level: relative imports and re-exports inside each package.
const importRe =
  /(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;
const fileGraph = new Map<string, string[]>();
for (const file of globSync('{packages,services,apps}/*/src/**/*.ts')) {
  const source = readFileSync(file, 'utf8');
  const deps: string[] = [];
  for (const m of source.matchAll(importRe)) {
    const spec = m[1] ?? m[2];
    if (spec === undefined) continue;
    // Type-only imports cannot form a runtime cycle but still tangle the design; count them too.
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
