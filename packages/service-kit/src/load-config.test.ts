import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { field } from './config-schema.ts';
import { isConfigError, type ConfigError } from './config-error.ts';
import { loadConfig, envNameFor } from './load-config.ts';
import type { Secret } from './secret.ts';

const schema = {
  port: field.int({ env: 'MC_PORT', default: 8080, min: 1, max: 65535 }),
  maxParticipants: field.int({ env: 'MEETING_MAX_PARTICIPANTS', default: 100, min: 1 }),
  debug: field.bool({ env: 'MC_DEBUG', default: false }),
  redisUrl: field.url({ env: 'REDIS_URL', protocols: ['redis:', 'rediss:'] }),
  logLevel: field.enum(['debug', 'info', 'warn'], { env: 'LOG_LEVEL', default: 'info' }),
  drainDelay: field.duration({ env: 'MC_DRAIN_DELAY', default: '5s', max: '1m' }),
  tokenSecret: field.secret({ env: 'MC_TOKEN_SECRET', minLength: 8 }),
  regions: field.list({ env: 'MC_REGIONS', default: ['eu-west'] }),
  name: field.string({ optional: true }),
};

const base = { REDIS_URL: 'redis://127.0.0.1:6379', MC_TOKEN_SECRET: 'super-secret-value' };

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    assert.ok(isConfigError(error), `expected ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected loadConfig to throw');
}

function withFile(content: string, fn: (path: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'sk-config-'));
  try {
    const path = join(dir, 'config.json');
    writeFileSync(path, content);
    fn(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('defaults apply and the result is typed and frozen', () => {
  const config = loadConfig(schema, { env: base });
  assert.equal(config.port, 8080);
  assert.equal(config.maxParticipants, 100);
  assert.equal(config.debug, false);
  assert.equal(config.logLevel, 'info');
  assert.equal(config.drainDelay, 5000);
  assert.deepEqual(config.regions, ['eu-west']);
  assert.equal(config.name, undefined);
  assert.equal(config.tokenSecret.reveal(), 'super-secret-value');
  assert.ok(Object.isFrozen(config));
  assert.ok(Object.isFrozen(config.regions));
  assert.throws(() => {
    (config as { port: number }).port = 1;
  }, TypeError);
});

test('env overrides file overrides defaults', () => {
  withFile(
    JSON.stringify({ port: 9000, maxParticipants: 20, drainDelay: '10s', regions: ['a', 'b'] }),
    (file) => {
      const config = loadConfig(schema, { env: { ...base, MC_PORT: '9100', MC_REGIONS: ' x , y ' }, file });
      assert.equal(config.port, 9100);
      assert.equal(config.maxParticipants, 20);
      assert.equal(config.drainDelay, 10_000);
      assert.deepEqual(config.regions, ['x', 'y']);
    },
  );
});

test('error names the bad key and why', () => {
  const error = configError(() => loadConfig(schema, { env: { ...base, MEETING_MAX_PARTICIPANTS: 'abc' } }));
  assert.equal(error.code, 'CONFIG_INVALID');
  assert.equal(error.message, 'config: MEETING_MAX_PARTICIPANTS must be an integer >= 1, got "abc"');
  assert.deepEqual(
    error.issues.map((i) => i.key),
    ['maxParticipants'],
  );
});

test('every bad key is reported at once', () => {
  const error = configError(() =>
    loadConfig(schema, {
      env: {
        MC_PORT: '70000',
        MC_DEBUG: 'yes',
        REDIS_URL: 'http://x',
        LOG_LEVEL: 'trace',
        MC_DRAIN_DELAY: '2m',
        MC_REGIONS: 'a,,b',
      },
    }),
  );
  const text = error.message;
  assert.match(text, /MC_PORT must be an integer between 1 and 65535, got "70000"/);
  assert.match(text, /MC_DEBUG must be true, false, 1 or 0, got "yes"/);
  assert.match(text, /REDIS_URL must be a redis: or rediss: URL, got "http:\/\/x"/);
  assert.match(text, /LOG_LEVEL must be one of "debug", "info", "warn", got "trace"/);
  assert.match(text, /MC_DRAIN_DELAY must be a duration like "15s" or "5m" of at most 1m, got "2m"/);
  assert.match(text, /MC_REGIONS must be a list of non-empty strings/);
  assert.match(text, /MC_TOKEN_SECRET is required/);
  assert.equal(error.issues.length, 7);
});

test('secrets are never echoed, in errors or when printed', () => {
  const error = configError(() => loadConfig(schema, { env: { ...base, MC_TOKEN_SECRET: 'short' } }));
  assert.match(error.message, /MC_TOKEN_SECRET must be at least 8 characters$/);
  assert.doesNotMatch(error.message, /short/);
  const config = loadConfig(schema, { env: base });
  for (const text of [String(config.tokenSecret), JSON.stringify(config), inspect(config)]) {
    assert.doesNotMatch(text, /super-secret-value/);
  }
  assert.match(JSON.stringify(config), /"tokenSecret":"\[REDACTED\]"/);
});

test('ints refuse floats, hex and exponent forms', () => {
  for (const bad of ['1.5', '0x10', '1e3', ' 5', '']) {
    if (bad === '') continue; // empty counts as unset
    const error = configError(() => loadConfig(schema, { env: { ...base, MC_PORT: bad } }));
    assert.match(error.message, /MC_PORT must be an integer between 1 and 65535/);
  }
});

test('unknown keys and wrong JSON types in the file are errors', () => {
  withFile(JSON.stringify({ port: '8080', prot: 1, debug: 'true' }), (file) => {
    const error = configError(() => loadConfig(schema, { env: base, file }));
    assert.match(error.message, new RegExp(`${file.replaceAll('/', '\\/')}: prot is not a known setting`));
    assert.match(error.message, /: port must be an integer between 1 and 65535, got "8080"/);
    assert.match(error.message, /: debug must be true or false, got "true"/);
  });
});

test('unreadable or non-object files are refused', () => {
  withFile('{ not json', (file) => {
    const error = configError(() => loadConfig(schema, { env: base, file }));
    assert.equal(error.code, 'CONFIG_FILE_UNREADABLE');
    assert.match(error.message, /is not valid JSON/);
  });
  withFile('[1,2]', (file) => {
    assert.match(
      configError(() => loadConfig(schema, { env: base, file })).message,
      /must contain a JSON object/,
    );
  });
  const missing = configError(() => loadConfig(schema, { env: base, file: '/nonexistent/config.json' }));
  assert.equal(missing.code, 'CONFIG_FILE_UNREADABLE');
});

test('env names are derived from keys with a prefix when not given', () => {
  assert.equal(envNameFor('maxParticipants', 'MC_'), 'MC_MAX_PARTICIPANTS');
  assert.equal(envNameFor('jwksUrl'), 'JWKS_URL');
  const config = loadConfig(
    { jwksUrl: field.url() },
    { env: { GC_JWKS_URL: 'https://ac/jwks' }, envPrefix: 'GC_' },
  );
  assert.equal(config.jwksUrl, 'https://ac/jwks');
});

test('an invalid default is reported like any other value', () => {
  const error = configError(() =>
    loadConfig({ t: field.duration({ env: 'T', default: '15 seconds' }) }, { env: {} }),
  );
  assert.equal(error.message, 'config: T (default) must be a duration like "15s" or "5m", got "15 seconds"');
});

test('the loaded type is inferred from the schema', () => {
  const config = loadConfig(schema, { env: base });
  // These assignments compile only if the inferred types are exactly right.
  const typed: {
    readonly port: number;
    readonly debug: boolean;
    readonly logLevel: 'debug' | 'info' | 'warn';
    readonly drainDelay: number;
    readonly tokenSecret: Secret;
    readonly regions: readonly string[];
    readonly name: string | undefined;
  } = config;
  const level: 'debug' | 'info' | 'warn' = config.logLevel;
  assert.equal(typed.port, 8080);
  assert.equal(level, 'info');
  // @ts-expect-error an optional field may be undefined
  const _name: string = config.name;
  // @ts-expect-error secrets are not strings
  const _secret: string = config.tokenSecret;
});
