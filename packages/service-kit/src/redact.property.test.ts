import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createRedactor, DEFAULT_SECRET_KEYS, REDACTED } from './redact.ts';

const MARK = 'SECRETVALUE';

/** Puts `{ [key]: MARK }` somewhere inside `value` by following `path` choices. */
function plant(value: unknown, path: number[], key: string): unknown {
  if (path.length === 0 || typeof value !== 'object' || value === null)
    return { wrapped: value, [key]: MARK };
  const [choice = 0, ...rest] = path;
  if (Array.isArray(value)) {
    if (value.length === 0) return [{ [key]: MARK }];
    const i = choice % value.length;
    return value.map((v: unknown, j) => (j === i ? plant(v, rest, key) : v));
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length === 0) return { [key]: MARK };
  const k = keys[choice % keys.length] ?? '';
  return { ...record, [k]: plant(record[k], rest, key) };
}

test('a secret-named key anywhere in a JSON value never survives redaction', () => {
  const redact = createRedactor();
  const safeJson = fc.jsonValue({ maxDepth: 4 }).filter((v) => !JSON.stringify(v).includes(MARK));
  fc.assert(
    fc.property(
      safeJson,
      fc.array(fc.nat(), { maxLength: 6 }),
      fc.constantFrom(...DEFAULT_SECRET_KEYS, 'clientSecret', 'Authorization', 'JOIN_TOKEN', 'privateKey'),
      (json, path, key) => {
        const input = plant(json, path, key);
        const before = JSON.stringify(input);
        const out = JSON.stringify(redact(input));
        assert.ok(!out.includes(MARK), out);
        assert.ok(out.includes(REDACTED));
        assert.equal(JSON.stringify(input), before, 'the input is not mutated');
      },
    ),
  );
});

function hasSecretKey(value: unknown, names: Set<string>): boolean {
  if (typeof value !== 'object' || value === null) return false;
  return Object.entries(value).some(
    ([k, v]) => names.has(k.toLowerCase().replace(/[_-]/g, '')) || hasSecretKey(v, names),
  );
}

test('values without secret keys come back identical (same reference)', () => {
  const redact = createRedactor();
  const names = new Set(DEFAULT_SECRET_KEYS.map((k) => k.toLowerCase().replace(/[_-]/g, '')));
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 4 }), (json) => {
      fc.pre(!hasSecretKey(json, names));
      assert.equal(redact(json), json);
    }),
  );
});
