// Deep, key-based redaction for log records. pino's path-based `redact` only covers paths known in advance;
// secrets show up at any depth (a request body, a nested error context), so we match by key name instead.

/** What a redacted value is replaced with. */
export const REDACTED = '[REDACTED]';

/** Key names (compared lowercased, without `_` and `-`) whose values never reach a log line. */
export const DEFAULT_SECRET_KEYS: readonly string[] = [
  'password',
  'passwd',
  'secret',
  'client_secret',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'join_token',
  'connection_token',
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'private_key',
  'api_key',
  'x-api-key',
  'signing_key',
];

const MAX_DEPTH = 12;

/** Normalises `client_secret`, `clientSecret` and `Client-Secret` to the same form. */
export function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[_-]/g, '');
}

function isPlain(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null || Array.isArray(value);
}

/**
 * Returns a redactor: a function that copies `value` with every secret-named key replaced by
 * {@link REDACTED}, at any depth of plain objects and arrays. Values without secrets are returned as is
 * (no copy). Errors are walked through their own enumerable properties.
 */
export function createRedactor(keys: readonly string[] = DEFAULT_SECRET_KEYS): (value: unknown) => unknown {
  const secret = new Set(keys.map(normalizeKey));

  const walk = (value: unknown, depth: number, seen: WeakSet<object>): unknown => {
    if (typeof value !== 'object' || value === null || depth > MAX_DEPTH) return value;
    if (seen.has(value)) return value;
    const error = value instanceof Error;
    if (!error && !isPlain(value)) return value;
    seen.add(value);
    let copy: Record<string, unknown> | unknown[] | undefined;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        const next = walk(item, depth + 1, seen);
        if (next !== item) {
          const arrayCopy: unknown[] = (copy as unknown[] | undefined) ?? [...(value as unknown[])];
          arrayCopy[i] = next;
          copy = arrayCopy;
        }
      }
    } else {
      const record = value as Record<string, unknown>;
      for (const key of Object.keys(record)) {
        const item = record[key];
        const next =
          secret.has(normalizeKey(key)) && item !== undefined ? REDACTED : walk(item, depth + 1, seen);
        if (next !== item) {
          copy ??= error ? errorCopy(value) : { ...record };
          (copy as Record<string, unknown>)[key] = next;
        }
      }
    }
    seen.delete(value);
    return copy ?? value;
  };

  return (value) => walk(value, 0, new WeakSet());
}

// Same prototype and own properties (message, stack, cause, ...), so serializers still see the original error type.
function errorCopy(error: Error): Record<string, unknown> {
  const copy = Object.create(Object.getPrototypeOf(error) as object | null) as Record<string, unknown>;
  Object.defineProperties(copy, Object.getOwnPropertyDescriptors(error));
  // V8's `stack` is an accessor bound to the original object: copy its value.
  Object.defineProperty(copy, 'stack', { value: error.stack, writable: true, configurable: true });
  return copy;
}
