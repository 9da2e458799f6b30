// The typed schema DSL for configuration. Each field knows how to read itself from an env var (always a string)
// and from a JSON config file or default (a JSON value), so both sources share one set of rules.
import { parseDuration } from './duration.ts';
import { Secret } from './secret.ts';

/** Result of reading one raw value. `reason` completes "<KEY> ...", e.g. `must be an integer >= 1`. */
export type FieldResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

/** One configuration key. Build with {@link field}; `T` is the type the loaded config holds. */
export interface Field<T> {
  readonly kind: 'string' | 'int' | 'bool' | 'url' | 'enum' | 'duration' | 'secret' | 'list';
  /** Env var name; when absent the loader derives SCREAMING_SNAKE_CASE from the key (plus its prefix). */
  readonly env: string | undefined;
  /** The default as it would appear in the JSON file (`"15s"` for a duration); `undefined` when none. */
  readonly default: unknown;
  /** When true and no value is given, the key holds `undefined` instead of failing. */
  readonly optional: boolean;
  /** Secret values are never echoed in errors and load as {@link Secret}. */
  readonly secret: boolean;
  readonly doc: string | undefined;
  fromEnv(text: string): FieldResult<T>;
  fromJson(value: unknown): FieldResult<T>;
  /** Type-only marker used to infer the loaded type; never set at runtime. */
  readonly __type?: T;
}

/** A configuration schema: keys to fields. */
export type ConfigSchema = Readonly<Record<string, Field<unknown>>>;

/** The frozen object {@link loadConfig} returns for schema `S`. */
export type ConfigOf<S extends ConfigSchema> = {
  readonly [K in keyof S]: S[K] extends Field<infer T> ? T : never;
};

/** Options every field takes. `default` is written as in the JSON file. */
export interface FieldOptions<TDefault> {
  env?: string;
  default?: TDefault;
  optional?: boolean;
  doc?: string;
}

type Out<T, O> = O extends { default: unknown } ? T : O extends { optional: true } ? T | undefined : T;

const ok = <T>(value: T): FieldResult<T> => ({ ok: true, value });
const bad = (reason: string): FieldResult<never> => ({ ok: false, reason });

const MAX_STRING = 4096;

function make<T>(
  kind: Field<T>['kind'],
  options: FieldOptions<unknown>,
  fromJson: (value: unknown) => FieldResult<T>,
  fromEnv: (text: string) => FieldResult<T> = fromJson,
  secret = false,
): Field<T> {
  return Object.freeze({
    kind,
    env: options.env,
    default: options.default,
    optional: options.optional === true,
    secret,
    doc: options.doc,
    fromEnv,
    fromJson,
  });
}

export interface StringOptions extends FieldOptions<string> {
  minLength?: number;
  /** Defaults to 4096. */
  maxLength?: number;
  pattern?: RegExp;
}

function checkString(
  value: unknown,
  o: { minLength?: number; maxLength?: number; pattern?: RegExp },
  what = 'a string',
): FieldResult<string> {
  if (typeof value !== 'string') return bad(`must be ${what}`);
  const min = o.minLength ?? 0;
  const max = o.maxLength ?? MAX_STRING;
  if (value.length < min) return bad(`must be at least ${min} characters`);
  if (value.length > max) return bad(`must be at most ${max} characters`);
  if (o.pattern !== undefined && !o.pattern.test(value)) return bad(`must match ${String(o.pattern)}`);
  return ok(value);
}

export interface IntOptions extends FieldOptions<number> {
  min?: number;
  max?: number;
}

function intRule(o: IntOptions): string {
  if (o.min !== undefined && o.max !== undefined) return `must be an integer between ${o.min} and ${o.max}`;
  if (o.min !== undefined) return `must be an integer >= ${o.min}`;
  if (o.max !== undefined) return `must be an integer <= ${o.max}`;
  return 'must be an integer';
}

function checkInt(value: unknown, o: IntOptions): FieldResult<number> {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) return bad(intRule(o));
  if (o.min !== undefined && value < o.min) return bad(intRule(o));
  if (o.max !== undefined && value > o.max) return bad(intRule(o));
  return ok(value);
}

export interface UrlOptions extends FieldOptions<string> {
  /** Allowed schemes with the colon, e.g. `['http:', 'https:']`. Any scheme when absent. */
  protocols?: readonly string[];
}

export interface DurationOptions extends FieldOptions<string> {
  /** Smallest allowed duration, e.g. `"1s"`. */
  min?: string;
  /** Largest allowed duration, e.g. `"1h"`. */
  max?: string;
}

export interface ListOptions extends FieldOptions<readonly string[]> {
  /** Defaults to 256. */
  maxItems?: number;
  /** Defaults to 4096. */
  maxItemLength?: number;
}

export interface SecretOptions extends Omit<FieldOptions<never>, 'default'> {
  minLength?: number;
}

function durationBound(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms === undefined)
    throw new TypeError(`field.duration: ${name} ${JSON.stringify(text)} is not a duration`);
  return ms;
}

/**
 * Field builders of the configuration schema.
 *
 * @example
 * const schema = {
 *   port: field.int({ env: 'MC_PORT', default: 8080, min: 1, max: 65535 }),
 *   redisUrl: field.url({ env: 'REDIS_URL', protocols: ['redis:'] }),
 *   tokenSecret: field.secret({ env: 'MC_TOKEN_SECRET', minLength: 32 }),
 * };
 */
export const field = Object.freeze({
  /** A string (empty env values count as unset). */
  string<const O extends StringOptions>(options: O = {} as O): Field<Out<string, O>> {
    return make<string>('string', options, (v) => checkString(v, options)) as Field<Out<string, O>>;
  },

  /** A safe integer, optionally bounded. Env values must be plain decimal digits. */
  int<const O extends IntOptions>(options: O = {} as O): Field<Out<number, O>> {
    return make<number>(
      'int',
      options,
      (v) => checkInt(v, options),
      (text) => (/^-?\d{1,16}$/.test(text) ? checkInt(Number(text), options) : bad(intRule(options))),
    ) as Field<Out<number, O>>;
  },

  /** A boolean: `true`/`false` in JSON; `true`, `false`, `1`, `0` in env. */
  bool<const O extends FieldOptions<boolean>>(options: O = {} as O): Field<Out<boolean, O>> {
    return make<boolean>(
      'bool',
      options,
      (v) => (typeof v === 'boolean' ? ok(v) : bad('must be true or false')),
      (text) => {
        if (text === 'true' || text === '1') return ok(true);
        if (text === 'false' || text === '0') return ok(false);
        return bad('must be true, false, 1 or 0');
      },
    ) as Field<Out<boolean, O>>;
  },

  /** An absolute URL (kept as the given string), optionally limited to some schemes. */
  url<const O extends UrlOptions>(options: O = {} as O): Field<Out<string, O>> {
    const rule =
      options.protocols === undefined
        ? 'must be an absolute URL'
        : `must be a ${options.protocols.join(' or ')} URL`;
    return make<string>('url', options, (v) => {
      const s = checkString(v, {}, 'a URL string');
      if (!s.ok) return s;
      const parsed = URL.parse(s.value);
      if (parsed === null) return bad(rule);
      if (options.protocols !== undefined && !options.protocols.includes(parsed.protocol)) return bad(rule);
      return ok(s.value);
    }) as Field<Out<string, O>>;
  },

  /** One of a fixed set of strings. */
  enum<const V extends readonly [string, ...string[]], const O extends FieldOptions<V[number]>>(
    values: V,
    options: O = {} as O,
  ): Field<Out<V[number], O>> {
    const rule = `must be one of ${values.map((v) => JSON.stringify(v)).join(', ')}`;
    return make<V[number]>('enum', options, (v) =>
      typeof v === 'string' && values.includes(v) ? ok(v) : bad(rule),
    ) as Field<Out<V[number], O>>;
  },

  /** A duration such as `"15s"` or `"5m"`, loaded as milliseconds. */
  duration<const O extends DurationOptions>(options: O = {} as O): Field<Out<number, O>> {
    const min = durationBound(options.min, 'min');
    const max = durationBound(options.max, 'max');
    let rule = 'must be a duration like "15s" or "5m"';
    if (options.min !== undefined) rule += ` of at least ${options.min}`;
    if (options.max !== undefined)
      rule += `${options.min === undefined ? ' of' : ' and'} at most ${options.max}`;
    return make<number>('duration', options, (v) => {
      if (typeof v !== 'string') return bad(rule);
      const ms = parseDuration(v);
      if (ms === undefined) return bad(rule);
      if ((min !== undefined && ms < min) || (max !== undefined && ms > max)) return bad(rule);
      return ok(ms);
    }) as Field<Out<number, O>>;
  },

  /** A secret string, loaded as {@link Secret}; never echoed in errors, printed as `[REDACTED]`. No default. */
  secret<const O extends SecretOptions>(options: O = {} as O): Field<Out<Secret, O>> {
    return make<Secret>(
      'secret',
      options,
      (v) => {
        const s = checkString(v, { minLength: options.minLength ?? 1, maxLength: 65_536 });
        return s.ok ? ok(new Secret(s.value)) : s;
      },
      undefined,
      true,
    ) as Field<Out<Secret, O>>;
  },

  /** A list of non-empty strings: a JSON array, or comma-separated in env (items trimmed). */
  list<const O extends ListOptions>(options: O = {} as O): Field<Out<readonly string[], O>> {
    const maxItems = options.maxItems ?? 256;
    const maxItemLength = options.maxItemLength ?? MAX_STRING;
    const fromJson = (v: unknown): FieldResult<readonly string[]> => {
      if (!Array.isArray(v)) return bad('must be a list of strings');
      if (v.length > maxItems) return bad(`must have at most ${maxItems} items`);
      const items: string[] = [];
      for (const item of v as unknown[]) {
        if (typeof item !== 'string' || item.length === 0) return bad('must be a list of non-empty strings');
        if (item.length > maxItemLength) return bad(`must have items of at most ${maxItemLength} characters`);
        items.push(item);
      }
      return ok(Object.freeze(items));
    };
    return make<readonly string[]>('list', options, fromJson, (text) => {
      if (text.length > maxItems * (maxItemLength + 1)) return bad(`must have at most ${maxItems} items`);
      return fromJson(text.split(',').map((s) => s.trim()));
    }) as Field<Out<readonly string[], O>>;
  },
});
