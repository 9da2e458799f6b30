import { readFileSync, statSync } from 'node:fs';
import { ConfigError, type ConfigIssue } from './config-error.ts';
import type { ConfigOf, ConfigSchema, Field, FieldResult } from './config-schema.ts';

/** Where {@link loadConfig} reads values from. */
export interface LoadConfigOptions {
  /** Environment variables, usually `process.env`. Empty strings count as unset. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Path to a JSON file whose top-level keys are schema keys (not env names). Unknown keys are an error. */
  file?: string;
  /** Prefix for derived env names (`MC_` + `maxParticipants` -> `MC_MAX_PARTICIPANTS`). Explicit `env` wins. */
  envPrefix?: string;
}

const MAX_FILE_BYTES = 1024 * 1024;
const MAX_ENV_CHARS = 65_536;

/** `maxParticipants` -> `MAX_PARTICIPANTS`. */
export function envNameFor(key: string, prefix = ''): string {
  return (
    prefix +
    key
      .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
      .replace(/[^A-Za-z0-9]+/g, '_')
      .toUpperCase()
  );
}

function show(value: unknown): string {
  let text: string;
  try {
    // JSON.stringify returns undefined for undefined and functions, despite its declared type.
    const json = JSON.stringify(value) as unknown;
    text = typeof json === 'string' ? json : typeof value;
  } catch {
    text = typeof value;
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function readFile(path: string): Record<string, unknown> {
  let raw: string;
  try {
    const size = statSync(path).size;
    if (size > MAX_FILE_BYTES)
      throw ConfigError.fileUnreadable(path, `is larger than ${MAX_FILE_BYTES} bytes`);
    raw = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw ConfigError.fileUnreadable(path, 'cannot be read', error);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw ConfigError.fileUnreadable(path, 'is not valid JSON', error);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw ConfigError.fileUnreadable(path, 'must contain a JSON object');
  }
  return parsed as Record<string, unknown>;
}

/**
 * Loads and validates configuration once, at start: env overrides the file, which overrides defaults.
 * Every problem is collected and thrown together as a {@link ConfigError} naming each key and why.
 *
 * @returns a frozen object typed from the schema (secrets as {@link Secret}, durations in ms).
 */
export function loadConfig<const S extends ConfigSchema>(
  schema: S,
  options: LoadConfigOptions = {},
): ConfigOf<S> {
  const env = options.env ?? {};
  const file = options.file === undefined ? undefined : readFile(options.file);
  const issues: ConfigIssue[] = [];
  const out: Record<string, unknown> = {};

  if (file !== undefined && options.file !== undefined) {
    for (const key of Object.keys(file)) {
      if (!Object.hasOwn(schema, key)) {
        issues.push({ key, origin: `${options.file}: ${key}`, reason: 'is not a known setting' });
      }
    }
  }

  for (const [key, f] of Object.entries<Field<unknown>>(schema)) {
    const envName = f.env ?? envNameFor(key, options.envPrefix);
    const envValue = env[envName];
    let result: FieldResult<unknown>;
    let origin: string;
    let raw: unknown;
    if (envValue !== undefined && envValue !== '') {
      origin = envName;
      raw = envValue;
      result =
        envValue.length > MAX_ENV_CHARS
          ? { ok: false, reason: `must be at most ${MAX_ENV_CHARS} characters` }
          : f.fromEnv(envValue);
    } else if (file !== undefined && Object.hasOwn(file, key)) {
      origin = `${options.file ?? 'file'}: ${key}`;
      raw = file[key];
      result = f.fromJson(raw);
    } else if (f.default !== undefined) {
      origin = `${envName} (default)`;
      raw = f.default;
      result = f.fromJson(raw);
    } else if (f.optional) {
      out[key] = undefined;
      continue;
    } else {
      const where = file === undefined ? '' : ` or "${key}" in ${options.file ?? 'the config file'}`;
      issues.push({ key, origin: envName, reason: `is required (set env ${envName}${where})` });
      continue;
    }
    if (result.ok) {
      out[key] = result.value;
    } else {
      const got = f.secret ? '' : `, got ${show(raw)}`;
      issues.push({ key, origin, reason: `${result.reason}${got}` });
    }
  }

  if (issues.length > 0) throw ConfigError.invalid(issues);
  return Object.freeze(out) as ConfigOf<S>;
}
