// Shared helpers of the manifest tests: rendering every kustomization under infra/ and reading typed fields.
import { fileURLToPath } from 'node:url';
export { render } from './kustomize.ts';
import { isObject, render, type Json, type JsonObject, type K8sObject } from './kustomize.ts';

export const INFRA = fileURLToPath(new URL('..', import.meta.url));
export const REPO = fileURLToPath(new URL('../..', import.meta.url));

/** The kustomizations an operator applies (overlays and the local regions). */
export const DEPLOYABLE = [
  'overlays/dev',
  'overlays/prod',
  'local/regions/us-west',
  'local/regions/us-east',
] as const;

/** Each Dark Tower service: its manifest folder, workload kind and name, and its config source. */
export const SERVICES = [
  {
    short: 'ac',
    dir: 'ac-service',
    kind: 'StatefulSet',
    name: 'ac-service',
    svc: 'auth',
    env: 'AUTH',
    config: 'services/auth/src/config.ts',
    main: 'services/auth/dist/main.js',
    region: undefined,
  },
  {
    short: 'gc',
    dir: 'global-controller',
    kind: 'Deployment',
    name: 'gc-service',
    svc: 'global',
    env: 'GC',
    config: 'services/global/src/config.ts',
    main: 'services/global/dist/main.js',
    region: 'REGION',
  },
  {
    short: 'mc',
    dir: 'meeting-controller',
    kind: 'Deployment',
    name: 'mc-service',
    svc: 'meeting',
    env: 'MC',
    config: 'services/meeting/src/config.ts',
    main: 'services/meeting/dist/main.js',
    region: 'REGION',
  },
  {
    short: 'mh',
    dir: 'media-handler',
    kind: 'Deployment',
    name: 'mh-service',
    svc: 'media',
    env: 'MH',
    config: 'services/media/src/service/config.ts',
    // services/media compiles with rootDir "." (its package.json exports ./dist/src/index.js).
    main: 'services/media/dist/src/main.js',
    region: 'MH_REGION',
  },
] as const;

const cache = new Map<string, K8sObject[]>();
export function rendered(dir: string): K8sObject[] {
  let objs = cache.get(dir);
  if (objs === undefined) {
    objs = render(`${INFRA}${dir}`);
    cache.set(dir, objs);
  }
  return objs;
}

export function find(objs: readonly K8sObject[], kind: string, name: string): K8sObject {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  if (o === undefined) throw new Error(`${kind}/${name} not rendered`);
  return o;
}

/** Reads a nested field: get(o, 'spec', 'template', 'spec'). */
export function get(value: Json | undefined, ...path: (string | number)[]): Json | undefined {
  let v: Json | undefined = value;
  for (const key of path) {
    if (typeof key === 'number') v = Array.isArray(v) ? v[key] : undefined;
    else v = isObject(v) ? v[key] : undefined;
  }
  return v;
}

export function obj(value: Json | undefined): JsonObject {
  return isObject(value) ? value : {};
}

export function list(value: Json | undefined): Json[] {
  return Array.isArray(value) ? value : [];
}

export function str(value: Json | undefined): string {
  return typeof value === 'string' ? value : '';
}

/** True when every matchLabels entry of the selector is among `labels`. */
export function selects(selector: Json | undefined, labels: Json | undefined): boolean {
  const match = obj(get(selector, 'matchLabels'));
  const have = obj(labels);
  const keys = Object.keys(match);
  return keys.length > 0 && keys.every((k) => have[k] === match[k]);
}

/** Kubernetes quantity to a number (cores for CPU, bytes for memory). */
export function quantity(q: Json | undefined): number {
  const s = typeof q === 'number' ? String(q) : str(q);
  const m = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi|Ti|k|M|G)?$/.exec(s);
  if (m === null) return Number.NaN;
  const n = Number(m[1]);
  const unit = m[2] ?? '';
  const factor: Record<string, number> = {
    '': 1,
    m: 0.001,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    Ki: 1024,
    Mi: 1024 ** 2,
    Gi: 1024 ** 3,
    Ti: 1024 ** 4,
  };
  return n * (factor[unit] ?? Number.NaN);
}

/** A string or number field as text ('' otherwise). */
export function scalar(value: Json | undefined): string {
  return typeof value === 'number' || typeof value === 'string' ? String(value) : '';
}
