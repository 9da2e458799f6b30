import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, type LogLevel } from './logger.ts';
import { Secret } from './secret.ts';

function capture(level: LogLevel = 'debug') {
  const lines: string[] = [];
  const logger = createLogger({
    component: 'mc-service',
    level,
    destination: {
      write(line: string) {
        lines.push(line);
      },
    },
  });
  const records = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { logger, lines, records };
}

test('JSON lines carry timestamp, level label, component and message', () => {
  const { logger, lines, records } = capture();
  logger.info('meeting started');
  assert.equal(lines.length, 1);
  assert.ok(lines[0]?.endsWith('\n'));
  const [record] = records();
  assert.ok(record !== undefined);
  assert.equal(record.level, 'info');
  assert.equal(record.component, 'mc-service');
  assert.equal(record.message, 'meeting started');
  assert.equal(typeof record.timestamp, 'string');
  assert.equal(new Date(record.timestamp as string).toISOString(), record.timestamp);
  assert.equal(record.msg, undefined);
  assert.equal(record.time, undefined);
});

test('child loggers bind trace, span, meeting and participant ids', () => {
  const { logger, records } = capture();
  const child = logger.child({ trace_id: 't1', span_id: 's1', meeting_id: 'm1' });
  child.child({ participant_id: 'p1' }).warn({ reason: 'slow' }, 'participant lagging');
  const [record] = records();
  assert.deepEqual(
    { ...record, timestamp: undefined },
    {
      timestamp: undefined,
      level: 'warn',
      component: 'mc-service',
      trace_id: 't1',
      span_id: 's1',
      meeting_id: 'm1',
      participant_id: 'p1',
      reason: 'slow',
      message: 'participant lagging',
    },
  );
});

test('levels below the configured one are dropped', () => {
  const { logger, records } = capture('warn');
  logger.info('hidden');
  logger.debug('hidden');
  logger.error('shown');
  assert.deepEqual(
    records().map((r) => r.message),
    ['shown'],
  );
});

const SECRETS = {
  password: 'pw-VALUE-1',
  secret: 'secret-VALUE-2',
  client_secret: 'client-secret-VALUE-3',
  token: 'token-VALUE-4',
  access_token: 'access-token-VALUE-5',
  join_token: 'join-token-VALUE-6',
  connection_token: 'connection-token-VALUE-7',
  private_key: 'private-key-VALUE-8',
  privateKey: 'private-key-VALUE-9',
  clientSecret: 'client-secret-VALUE-10',
};

test('secret-named keys are redacted at any depth, in objects, arrays, bindings and errors', () => {
  const { logger, lines, records } = capture();
  logger.info(
    {
      ...SECRETS,
      req: {
        headers: {
          authorization: 'Bearer header-VALUE-11',
          cookie: 'sid=cookie-VALUE-12',
          'set-cookie': ['sid=cookie-VALUE-13'],
          'x-api-key': 'api-key-VALUE-14',
          accept: 'application/json',
        },
      },
      body: {
        credentials: [{ username: 'alice', Password: 'pw-VALUE-15' }],
        nested: { a: { b: { c: { token: 'token-VALUE-16' } } } },
      },
      config: { tokenSecret: new Secret('secret-VALUE-17') },
    },
    'login attempt',
  );
  logger.child({ join_token: 'join-token-VALUE-18', meeting_id: 'm1' }).info('bound');
  const err = Object.assign(new Error('auth failed'), { access_token: 'access-token-VALUE-19', status: 401 });
  logger.error({ err }, 'failed');

  const all = lines.join('');
  assert.doesNotMatch(all, /VALUE/, `a secret leaked: ${all}`);
  const [first, second, third] = records();
  assert.ok(first !== undefined && second !== undefined && third !== undefined);
  assert.equal(first.password, '[REDACTED]');
  assert.equal(first.clientSecret, '[REDACTED]');
  const req = first.req as { headers: Record<string, unknown> };
  assert.equal(req.headers.authorization, '[REDACTED]');
  assert.equal(req.headers.accept, 'application/json');
  const body = first.body as { credentials: { username: string; Password: string }[] };
  assert.deepEqual(body.credentials, [{ username: 'alice', Password: '[REDACTED]' }]);
  assert.equal(second.join_token, '[REDACTED]');
  assert.equal(second.meeting_id, 'm1');
  const loggedErr = third.err as Record<string, unknown>;
  assert.equal(loggedErr.message, 'auth failed');
  assert.equal(loggedErr.type, 'Error');
  assert.equal(loggedErr.status, 401);
  assert.equal(loggedErr.access_token, '[REDACTED]');
  assert.match(String(loggedErr.stack), /auth failed/);
});

test('objects without secrets are logged unchanged and cycles do not hang', () => {
  const { logger, records } = capture();
  const cyclic: Record<string, unknown> = { name: 'x' };
  cyclic.self = cyclic;
  logger.info({ data: { a: 1, list: [1, 2, { b: 'c' }] }, cyclic }, 'plain');
  const [record] = records();
  assert.ok(record !== undefined);
  assert.deepEqual(record.data, { a: 1, list: [1, 2, { b: 'c' }] });
  assert.equal((record.cyclic as Record<string, unknown>).name, 'x');
});

test('extra redact keys are honoured', () => {
  const lines: string[] = [];
  const logger = createLogger({
    component: 'ac-service',
    redactKeys: ['sfu_key'],
    destination: {
      write(line: string) {
        lines.push(line);
      },
    },
  });
  logger.info({ sfuKey: 'x-VALUE' }, 'k');
  assert.doesNotMatch(lines.join(''), /VALUE/);
});

test('each call builds an independent logger', () => {
  const a = capture();
  const b = capture();
  a.logger.info('only a');
  assert.equal(a.lines.length, 1);
  assert.equal(b.lines.length, 0);
});
