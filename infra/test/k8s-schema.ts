// Offline validation of rendered objects against the Kubernetes OpenAPI schemas shipped by kubernetes-models
// (core and prometheus-operator kinds), plus a strict unknown-field check: the packaged validators accept unknown
// keys (a misspelt `livenesProbe` would pass), so every key is also checked against the model's declared fields.
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import { isObject, type Json, type K8sObject } from './kustomize.ts';

/** Resolves an ESM-only package subpath (the model packages export `import` conditions only) to a file. */
function resolveModule(specifier: string): string {
  return fileURLToPath(import.meta.resolve(specifier));
}

interface Model {
  validate(): void;
}
type ModelClass = new (data: unknown) => Model;

/** The npm module (and its directory) holding the models of an apiVersion, or undefined for unmodelled CRDs. */
function moduleFor(apiVersion: string): string | undefined {
  if (apiVersion === 'v1') return 'kubernetes-models/v1';
  if (apiVersion.startsWith('monitoring.coreos.com/'))
    return `@kubernetes-models/prometheus-operator/${apiVersion}`;
  const group = apiVersion.slice(0, apiVersion.indexOf('/'));
  if (group === '' || (group.includes('.') && !group.endsWith('.k8s.io'))) return undefined;
  return `kubernetes-models/${apiVersion}`;
}

export type SchemaResult =
  | { readonly status: 'valid' }
  | { readonly status: 'invalid'; readonly errors: readonly string[] }
  | { readonly status: 'no-schema' };

/** Validates one object against its Kubernetes schema; `no-schema` for custom resources without a model. */
export async function validateObject(o: K8sObject): Promise<SchemaResult> {
  const mod = moduleFor(o.apiVersion);
  if (mod === undefined) return { status: 'no-schema' };
  let ns: Record<string, unknown>;
  try {
    ns = (await import(mod)) as Record<string, unknown>;
  } catch {
    return { status: 'invalid', errors: [`unknown apiVersion ${o.apiVersion}`] };
  }
  const cls = ns[o.kind] as ModelClass | undefined;
  if (cls === undefined) return { status: 'invalid', errors: [`unknown kind ${o.kind} in ${o.apiVersion}`] };
  const errors: string[] = [];
  try {
    new cls(o).validate();
  } catch (error) {
    errors.push(error instanceof Error ? error.message : String(error));
  }
  const entry = resolveModule(`${mod}/${o.kind}`);
  errors.push(...unknownFields(o, entry, `I${o.kind}`, ''));
  return errors.length === 0 ? { status: 'valid' } : { status: 'invalid', errors };
}

interface Declared {
  /** Field name -> declared type text. */
  readonly fields: ReadonlyMap<string, string>;
  /** Imported type name -> resolved .d.ts file. */
  readonly imports: ReadonlyMap<string, string>;
  /** True when the interface has an index signature (any key allowed). */
  readonly open: boolean;
}

const declaredCache = new Map<string, Declared | undefined>();

/** Reads the fields of `interfaceName` in the .d.ts beside `jsFile` (the generated model declarations). */
function declared(jsFile: string, interfaceName: string): Declared | undefined {
  const dts = jsFile.replace(/\.js$/, '.d.ts');
  const cacheKey = `${dts}#${interfaceName}`;
  if (declaredCache.has(cacheKey)) return declaredCache.get(cacheKey);
  let result: Declared | undefined;
  if (existsSync(dts)) {
    const text = readFileSync(dts, 'utf8');
    const imports = new Map<string, string>();
    for (const m of text.matchAll(/import \{ ([\w, ]+) \} from "([^"]+)";/g)) {
      const spec = m[2] ?? '';
      let file: string;
      try {
        file = spec.startsWith('.') ? resolve(dirname(dts), spec) : resolveModule(spec);
      } catch {
        continue;
      }
      for (const name of (m[1] ?? '').split(',').map((s) => s.trim())) imports.set(name, file);
    }
    const start = text.indexOf(`export interface ${interfaceName} `);
    if (start !== -1) {
      const bodyStart = text.indexOf('{', start);
      let depth = 0;
      let end = bodyStart;
      for (let i = bodyStart; i < text.length; i++) {
        if (text[i] === '{') depth++;
        else if (text[i] === '}' && --depth === 0) {
          end = i;
          break;
        }
      }
      const body = text.slice(bodyStart + 1, end).replace(/\/\*\*[\s\S]*?\*\//g, '');
      const fields = new Map<string, string>();
      for (const m of body.matchAll(/^ {4}"([^"]+)"\??: ([^;]+);/gm)) fields.set(m[1] ?? '', m[2] ?? '');
      const open = /^ {4}\[key: string\]/m.test(body);
      const extendsTypeMeta = text.slice(start, bodyStart).includes('extends TypeMeta');
      if (extendsTypeMeta) {
        fields.set('apiVersion', 'string');
        fields.set('kind', 'string');
      }
      result = { fields, imports, open };
    }
  }
  declaredCache.set(cacheKey, result);
  return result;
}

/** The first interface declared in a model file (its data shape). */
function firstInterface(jsFile: string): string | undefined {
  const dts = jsFile.replace(/\.js$/, '.d.ts');
  if (!existsSync(dts)) return undefined;
  return /export interface (\w+) /.exec(readFileSync(dts, 'utf8'))?.[1];
}

/** Paths of keys the declared type does not have, walking nested model types. */
function unknownFields(value: Json, jsFile: string, interfaceName: string, path: string): string[] {
  if (!isObject(value)) return [];
  const d = declared(jsFile, interfaceName);
  if (d === undefined || d.open) return [];
  const out: string[] = [];
  for (const [key, child] of Object.entries(value)) {
    const type = d.fields.get(key);
    if (type === undefined) {
      out.push(`${path}/${key}: unknown field`);
      continue;
    }
    const ref = /^(?:Array<)?(I\w+)>?$/.exec(type.trim())?.[1];
    if (ref === undefined) continue;
    const file = d.imports.get(ref);
    if (file === undefined) continue;
    const js = file.endsWith('.js') ? file : `${file}.js`;
    const iface = firstInterface(js);
    if (iface === undefined) continue;
    const items = Array.isArray(child) ? child : [child];
    items.forEach((item, i) => {
      out.push(
        ...unknownFields(item, js, iface, Array.isArray(child) ? `${path}/${key}/${i}` : `${path}/${key}`),
      );
    });
  }
  return out;
}
