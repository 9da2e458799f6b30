import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { field } from './config-schema.ts';
import { isConfigError } from './config-error.ts';
import { parseDuration } from './duration.ts';
import { loadConfig } from './load-config.ts';
import type { Secret } from './secret.ts';

const UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

test('durations: composed parts parse to their sum in ms', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.tuple(fc.nat({ max: 10_000 }), fc.constantFrom(...(Object.keys(UNITS) as (keyof typeof UNITS)[]))),
        {
          minLength: 1,
          maxLength: 4,
        },
      ),
      (parts) => {
        const text = parts.map(([n, u]) => `${n}${u}`).join('');
        const expected = parts.reduce((sum, [n, u]) => sum + n * UNITS[u], 0);
        assert.equal(parseDuration(text), expected);
      },
    ),
  );
});

test('durations: any string parses to undefined or a safe non-negative integer, never throws', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 80 }), (text) => {
      const ms = parseDuration(text);
      assert.ok(ms === undefined || (Number.isSafeInteger(ms) && ms >= 0));
    }),
  );
  for (const bad of ['15', '15 s', '-5s', '1.5s', 's', '5sec', '1m 30s', ''])
    assert.equal(parseDuration(bad), undefined);
});

test('ints: every safe integer in range round-trips through env text', () => {
  const f = field.int({ min: -1000, max: 1_000_000 });
  fc.assert(
    fc.property(fc.integer({ min: -1000, max: 1_000_000 }), (n) => {
      assert.deepEqual(f.fromEnv(String(n)), { ok: true, value: n });
    }),
  );
});

test('loadConfig on arbitrary env values either loads or throws a ConfigError, never anything else', () => {
  const schema = {
    port: field.int({ env: 'P', default: 1, min: 1, max: 65535 }),
    flag: field.bool({ env: 'F', default: false }),
    url: field.url({ env: 'U', default: 'http://x' }),
    level: field.enum(['a', 'b'], { env: 'L', default: 'a' }),
    wait: field.duration({ env: 'W', default: '1s' }),
    key: field.secret({ env: 'K', optional: true, minLength: 20 }),
    list: field.list({ env: 'T', default: [] }),
    name: field.string({ env: 'N', default: 'n', maxLength: 10 }),
  };
  const value = fc.string({ maxLength: 40 });
  fc.assert(
    fc.property(
      fc.record(
        { P: value, F: value, U: value, L: value, W: value, K: value, T: value, N: value },
        { requiredKeys: [] },
      ),
      (env) => {
        try {
          const config = loadConfig(schema, { env });
          assert.ok(Object.isFrozen(config));
          const secret: Secret | undefined = config.key;
          if (secret !== undefined) assert.equal(JSON.stringify(secret), '"[REDACTED]"');
        } catch (error) {
          assert.ok(isConfigError(error), String(error));
          // A refused secret is reported by rule only, never by value.
          for (const issue of error.issues.filter((i) => i.key === 'key')) {
            assert.equal(issue.reason, 'must be at least 20 characters');
          }
        }
      },
    ),
  );
});
