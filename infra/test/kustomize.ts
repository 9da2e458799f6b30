// A Kustomize renderer for the subset infra/ uses, so manifests render and validate offline without the kustomize
// binary: resources (files and directories), namespace, images, patches (strategic-merge subset from files) and
// configMapGenerator (files, disableNameSuffixHash). Anything else in a kustomization.yaml is refused, so a field
// this renderer would silently ignore can never pass a test. `kubectl kustomize <dir>` renders the same objects.
import { readFileSync, statSync, existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = Record<string, Json>;

/** One Kubernetes object (apiVersion, kind, metadata.name at least). */
export interface K8sObject extends JsonObject {
  apiVersion: string;
  kind: string;
  metadata: JsonObject & { name: string; namespace?: string };
}

export class KustomizeError extends Error {
  override readonly name = 'KustomizeError';
}

const KNOWN_FIELDS = new Set([
  'apiVersion',
  'kind',
  'namespace',
  'resources',
  'images',
  'patches',
  'configMapGenerator',
]);

/** Kinds that are not namespaced among those we render (the namespace transformer leaves them alone). */
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'ClusterSecretStore',
  'PersistentVolume',
  'StorageClass',
  'PriorityClass',
]);

/** List fields merged by key rather than replaced (the strategic-merge patch keys of the Kubernetes API). */
const MERGE_KEYS: Readonly<Record<string, string>> = {
  containers: 'name',
  initContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
};

/** Built-in API groups (strategic merge); custom resources get JSON merge patch semantics (lists replaced). */
function isBuiltin(apiVersion: string): boolean {
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  return group === '' || !group.includes('.') || group.endsWith('.k8s.io');
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parses every YAML document of a file; empty documents are skipped, parse errors throw. Aliases are refused unless
 * asked for (Kubernetes manifests have none; compose files use anchors and `<<` merge keys).
 */
export function readYamlDocuments(file: string, options: { aliases?: boolean } = {}): Json[] {
  const aliases = options.aliases === true;
  const docs = parseAllDocuments(readFileSync(file, 'utf8'), { prettyErrors: true, merge: aliases });
  const out: Json[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0)
      throw new KustomizeError(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value = doc.toJS({ maxAliasCount: aliases ? 100 : 0 }) as Json;
    if (value !== null) out.push(value);
  }
  return out;
}

function asK8sObject(value: Json, where: string): K8sObject {
  if (
    !isObject(value) ||
    typeof value.apiVersion !== 'string' ||
    typeof value.kind !== 'string' ||
    !isObject(value.metadata) ||
    typeof value.metadata.name !== 'string'
  ) {
    throw new KustomizeError(`${where}: not a Kubernetes object (apiVersion, kind, metadata.name)`);
  }
  return value as K8sObject;
}

function idOf(o: K8sObject): string {
  const group = o.apiVersion.includes('/') ? o.apiVersion.slice(0, o.apiVersion.indexOf('/')) : '';
  return `${group}/${o.kind}/${o.metadata.namespace ?? '~'}/${o.metadata.name}`;
}

function stringList(value: Json | undefined, field: string, where: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new KustomizeError(`${where}: ${field} must be a list of strings`);
  }
  return value;
}

/** Renders the kustomization in `dir` (recursively) to its list of objects, in resource order. */
export function render(dir: string): K8sObject[] {
  const file = ['kustomization.yaml', 'kustomization.yml']
    .map((f) => join(dir, f))
    .find((f) => existsSync(f));
  if (file === undefined) throw new KustomizeError(`${dir}: no kustomization.yaml`);
  const docs = readYamlDocuments(file);
  const k = docs[0];
  if (docs.length !== 1 || !isObject(k)) throw new KustomizeError(`${file}: expected one mapping`);
  for (const key of Object.keys(k)) {
    if (!KNOWN_FIELDS.has(key)) throw new KustomizeError(`${file}: field "${key}" is not supported here`);
  }
  if (k.kind !== 'Kustomization') throw new KustomizeError(`${file}: kind must be Kustomization`);

  let objects: K8sObject[] = [];
  for (const entry of stringList(k.resources, 'resources', file)) {
    const path = resolve(dir, entry);
    if (!existsSync(path)) throw new KustomizeError(`${file}: resource ${entry} does not exist`);
    if (statSync(path).isDirectory()) objects.push(...render(path));
    else objects.push(...readYamlDocuments(path).map((d, i) => asK8sObject(d, `${path}#${i}`)));
  }
  objects.push(...generateConfigMaps(k.configMapGenerator, dir, file));
  objects = applyPatches(objects, k.patches, dir, file);
  if (k.namespace !== undefined) {
    if (typeof k.namespace !== 'string') throw new KustomizeError(`${file}: namespace must be a string`);
    objects = objects.map((o) => setNamespace(o, k.namespace as string));
  }
  if (k.images !== undefined) objects = objects.map((o) => setImages(o, k.images as Json, file));

  const seen = new Set<string>();
  for (const o of objects) {
    const id = idOf(o);
    if (seen.has(id)) throw new KustomizeError(`${file}: duplicate object ${id}`);
    seen.add(id);
  }
  return objects;
}

function generateConfigMaps(spec: Json | undefined, dir: string, file: string): K8sObject[] {
  if (spec === undefined) return [];
  if (!Array.isArray(spec)) throw new KustomizeError(`${file}: configMapGenerator must be a list`);
  return spec.map((g) => {
    if (!isObject(g) || typeof g.name !== 'string')
      throw new KustomizeError(`${file}: generator needs a name`);
    const options = isObject(g.options) ? g.options : {};
    if (options.disableNameSuffixHash !== true) {
      // Hash suffixes rename the object; this renderer does not compute them, so it refuses instead of guessing.
      throw new KustomizeError(
        `${file}: configMapGenerator ${g.name} needs options.disableNameSuffixHash: true`,
      );
    }
    const data: JsonObject = {};
    for (const f of stringList(g.files, 'files', file))
      data[basename(f)] = readFileSync(resolve(dir, f), 'utf8');
    const labels = isObject(options.labels) ? options.labels : undefined;
    return {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: g.name, ...(labels === undefined ? {} : { labels }) },
      data,
    };
  });
}

function applyPatches(objects: K8sObject[], spec: Json | undefined, dir: string, file: string): K8sObject[] {
  if (spec === undefined) return objects;
  if (!Array.isArray(spec)) throw new KustomizeError(`${file}: patches must be a list`);
  let out = objects;
  for (const p of spec) {
    if (!isObject(p) || typeof p.path !== 'string' || Object.keys(p).length !== 1) {
      throw new KustomizeError(`${file}: only "- path: <file>" patches are supported`);
    }
    const path = resolve(dir, p.path);
    for (const [i, doc] of readYamlDocuments(path).entries()) {
      const patch = asK8sObject(doc, `${path}#${i}`);
      const group = (v: string): string => (v.includes('/') ? v.slice(0, v.indexOf('/')) : '');
      const matches = out.filter(
        (o) =>
          o.kind === patch.kind &&
          o.metadata.name === patch.metadata.name &&
          group(o.apiVersion) === group(patch.apiVersion),
      );
      const target = matches[0];
      if (matches.length !== 1 || target === undefined) {
        throw new KustomizeError(
          `${path}#${i}: patch ${patch.kind}/${patch.metadata.name} matches ${matches.length} objects`,
        );
      }
      const merged = mergePatch(target, patch, isBuiltin(target.apiVersion)) as K8sObject;
      out = out.map((o) => (o === target ? merged : o));
    }
  }
  return out;
}

/** Strategic-merge subset: maps merge, null deletes, keyed lists merge by key, other lists are replaced. */
export function mergePatch(target: Json, patch: Json, strategic: boolean, field = ''): Json {
  if (isObject(target) && isObject(patch)) {
    const out: JsonObject = Object.fromEntries(Object.entries(target).filter(([key]) => patch[key] !== null));
    for (const [key, value] of Object.entries(patch)) {
      if (value === null) continue;
      const current = target[key];
      out[key] = current === undefined ? value : mergePatch(current, value, strategic, key);
    }
    return out;
  }
  const mergeKey = MERGE_KEYS[field];
  if (strategic && mergeKey !== undefined && Array.isArray(target) && Array.isArray(patch)) {
    const out = [...target];
    for (const item of patch) {
      const key = isObject(item) ? item[mergeKey] : undefined;
      const at = out.findIndex((t) => isObject(t) && key !== undefined && t[mergeKey] === key);
      if (at === -1) out.push(item);
      else out[at] = mergePatch(out[at] as Json, item, strategic);
    }
    return out;
  }
  return patch;
}

function setNamespace(o: K8sObject, namespace: string): K8sObject {
  if (o.kind === 'Namespace') return { ...o, metadata: { ...o.metadata, name: namespace } };
  if (CLUSTER_SCOPED.has(o.kind)) return o;
  return { ...o, metadata: { ...o.metadata, namespace } };
}

/** The pod spec of a workload, if it has one. */
export function podSpecOf(o: K8sObject): JsonObject | undefined {
  const spec = isObject(o.spec) ? o.spec : undefined;
  if (spec === undefined) return undefined;
  if (o.kind === 'Pod') return spec;
  if (o.kind === 'CronJob') {
    const job =
      isObject(spec.jobTemplate) && isObject(spec.jobTemplate.spec) ? spec.jobTemplate.spec : undefined;
    return job !== undefined && isObject(job.template) && isObject(job.template.spec)
      ? job.template.spec
      : undefined;
  }
  return isObject(spec.template) && isObject(spec.template.spec) ? spec.template.spec : undefined;
}

export function containersOf(o: K8sObject): JsonObject[] {
  const pod = podSpecOf(o);
  if (pod === undefined) return [];
  const list = [...(Array.isArray(pod.containers) ? pod.containers : [])];
  if (Array.isArray(pod.initContainers)) list.push(...pod.initContainers);
  return list.filter(isObject);
}

function setImages(o: K8sObject, images: Json, file: string): K8sObject {
  if (!Array.isArray(images)) throw new KustomizeError(`${file}: images must be a list`);
  if (podSpecOf(o) === undefined) return o;
  const copy = structuredClone(o);
  for (const c of containersOf(copy)) {
    if (typeof c.image !== 'string') continue;
    const m = /^(?<name>[^@]+?)(?::(?<tag>[\w][\w.-]{0,127}))?(?:@(?<digest>.+))?$/.exec(c.image);
    const name = m?.groups?.name;
    if (name === undefined) continue;
    for (const rule of images) {
      if (!isObject(rule) || rule.name !== name) continue;
      const newName = typeof rule.newName === 'string' ? rule.newName : name;
      if (typeof rule.digest === 'string') c.image = `${newName}@${rule.digest}`;
      else if (typeof rule.newTag === 'string') c.image = `${newName}:${rule.newTag}`;
      else c.image = `${newName}${m?.groups?.tag === undefined ? '' : `:${m.groups.tag}`}`;
    }
  }
  return copy;
}
