import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { buildAuthController, authConfig, type AuthController, type AuthDatabase } from '@darktower/auth';
import { openDatabase } from '@darktower/data';
import {
  createLogger,
  createMetrics,
  createTracing,
  type Logger,
  type Tracing,
} from '@darktower/service-kit';
import { loadGlobalConfig } from '../src/config.ts';
import { buildGlobalController, type GlobalController } from '../src/global-controller.ts';
import { call } from './support/http.ts';
import { TestMeetingController } from './support/test-meeting-controller.ts';

const ISSUER = 'http://auth.logs.test';
const AUDIENCE = 'darktower-logs';

/** A logger at `trace` (everything, request logs included) into `lines`, with the active span's ids. */
function bufferLogger(component: string, tracing: Tracing, lines: string[]): Logger {
  return createLogger({
    component,
    level: 'trace',
    traceIds: () => tracing.activeIds(),
    destination: {
      write: (line: string) => {
        lines.push(line);
      },
    },
  });
}

// The whole meeting flow through a real Auth Controller and a real Global Controller in one process (both on
// loopback HTTP, PGlite databases), logging everything at trace level into a buffer: no password, token or client
// secret issued during the flow may appear in any line.
describe('logs of a full meeting carry no secrets', () => {
  const lines: string[] = [];
  const acTracing = createTracing({ serviceName: 'ac-service', exporter: 'none' });
  const gcTracing = createTracing({ serviceName: 'gc-service', exporter: 'none' });
  let auth: AuthController;
  let gc: GlobalController;
  let mc: TestMeetingController;
  let authUrl: string;
  let gcUrl: string;
  let closeAuthDb: () => Promise<void>;
  const adminSecret = randomBytes(32).toString('base64url');
  const adminId = 'svc_bootstrap_admin_logs';

  before(async () => {
    const authDb = await openDatabase<AuthDatabase>({});
    closeAuthDb = () => authDb.close();
    auth = await buildAuthController(
      authConfig({
        masterKey: randomBytes(32).toString('base64'),
        issuer: ISSUER,
        audience: AUDIENCE,
        port: '0',
        opsPort: '0',
        argon2MemoryKib: '1024',
        argon2TimeCost: '1',
        bootstrapAdminClientId: adminId,
        bootstrapAdminClientSecret: adminSecret,
      }),
      {
        database: authDb,
        logger: bufferLogger('ac-service', acTracing, lines),
        metrics: createMetrics({ prefix: 'dt_' }),
        tracing: acTracing,
        rateLimitPrefix: `logs:${randomBytes(6).toString('hex')}`,
      },
    );
    authUrl = (await auth.listen()).http.url;
  });

  after(async () => {
    await gc.close();
    await mc.close();
    await auth.close();
    await closeAuthDb();
    await acTracing.close();
    await gcTracing.close();
  });

  test('register, log in, create, guest join, end: secrets never logged, every line well-formed', async () => {
    const secrets: string[] = [adminSecret];
    const remember = (token: string): string => {
      secrets.push(token);
      // A token's signature alone identifies it: a truncated or re-encoded token must not be logged either.
      const signature = token.split('.')[2];
      if (signature !== undefined && signature.length >= 20) secrets.push(signature);
      return token;
    };
    const json = (r: { body: Record<string, unknown> }, key: string): string => {
      const v = r.body[key];
      assert.equal(typeof v, 'string', `${key} in ${JSON.stringify(r.body)}`);
      return v as string;
    };

    // Service credentials: an admin token (client secret in the body), two registered services.
    const admin = remember(
      json(
        await call(authUrl, 'POST', '/api/v1/auth/token', {
          body: { grant_type: 'client_credentials', client_id: adminId, client_secret: adminSecret },
        }),
        'access_token',
      ),
    );
    const register = async (name: string, scopes: string[]): Promise<{ id: string; secret: string }> => {
      const r = await call(authUrl, 'POST', '/v1/admin/services/register', {
        token: admin,
        body: { name, scopes },
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const secret = json(r, 'client_secret');
      secrets.push(secret);
      return { id: json(r, 'client_id'), secret };
    };
    const gcClient = await register('global-controller', ['service.write.mc']);
    const mcClient = await register('meeting-controller', ['service.write.gc']);
    // The Meeting Controller's token, with HTTP Basic client authentication (secret in a header).
    const mcToken = remember(
      json(
        await call(authUrl, 'POST', '/v1/auth/service/token', {
          rawBody: 'grant_type=client_credentials',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: `Basic ${Buffer.from(`${mcClient.id}:${mcClient.secret}`).toString('base64')}`,
          },
        }),
        'access_token',
      ),
    );

    // The Global Controller verifies with the Auth Controller's JWKS and gets its own token by client credentials.
    const config = loadGlobalConfig({
      env: {
        GC_PORT: '0',
        GC_OPS_PORT: '0',
        AUTH_JWKS_URLS: `${authUrl}/.well-known/jwks.json`,
        AUTH_ISSUERS: ISSUER,
        AUTH_AUDIENCE: AUDIENCE,
        AUTH_TOKEN_URL: `${authUrl}/v1/auth/service/token`,
        GC_CLIENT_ID: gcClient.id,
        GC_CLIENT_SECRET: gcClient.secret,
        REGION: 'test-region',
        LOG_LEVEL: 'trace',
      },
    });
    gc = await buildGlobalController(config, {
      logger: bufferLogger('gc-service', gcTracing, lines),
      tracing: gcTracing,
    });
    gcUrl = (await gc.listen()).api.url;
    mc = await TestMeetingController.start('mc-logs');
    await mc.register(gcUrl, mcToken);

    // A user: registration and login (password in the body), one wrong password too.
    const password = `correct horse ${randomBytes(8).toString('hex')} staple`;
    secrets.push(password);
    const wrongPassword = `wrong horse ${randomBytes(8).toString('hex')}`;
    secrets.push(wrongPassword);
    const reg = await call(authUrl, 'POST', '/api/v1/users', {
      body: { username: 'alice', password, display_name: 'Alice' },
    });
    assert.equal(reg.status, 201, JSON.stringify(reg.body));
    const refused = await call(authUrl, 'POST', '/v1/auth/user/token', {
      body: { username: 'alice', password: wrongPassword },
    });
    assert.equal(refused.status, 400);
    const alice = remember(
      json(
        await call(authUrl, 'POST', '/v1/auth/user/token', { body: { username: 'alice', password } }),
        'access_token',
      ),
    );

    // A meeting: create (host join token), read, guest join (guest join token), end.
    const created = await call(gcUrl, 'POST', '/api/v1/meetings', {
      token: alice,
      body: { display_name: 'Standup', settings: { require_auth: false } },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    remember(json(created, 'join_token'));
    const id = json(created, 'meeting_id');
    assert.equal((await call(gcUrl, 'GET', `/api/v1/meetings/${id}`, { token: alice })).status, 200);
    const guest = await call(gcUrl, 'POST', `/api/v1/meetings/${id}/join`, {
      body: { display_name: 'Guest' },
    });
    assert.equal(guest.status, 200, JSON.stringify(guest.body));
    remember(json(guest, 'join_token'));
    // A refused bearer token (a real one, tampered) is not logged either.
    remember(`${alice.slice(0, -4)}AAAA`);
    assert.equal(
      (await call(gcUrl, 'GET', '/api/v1/meetings', { token: `${alice.slice(0, -4)}AAAA` })).status,
      401,
    );
    assert.equal((await call(gcUrl, 'DELETE', `/api/v1/meetings/${id}`, { token: alice })).status, 200);
    // The token the Global Controller obtained for itself and presented to the Meeting Controller.
    const presented = mc.authorizations.at(-1) ?? '';
    assert.ok(presented.startsWith('Bearer '), 'the GC authenticated to the MC');
    remember(presented.slice('Bearer '.length));

    await gc.close();
    await auth.close();

    // Both services logged the flow (trace level includes request logs) ...
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const components = new Set(records.map((r) => r.component));
    assert.ok(components.has('ac-service') && components.has('gc-service'), [...components].join(','));
    assert.ok(records.length >= 30, `${records.length} lines`);
    // ... and no secret appears anywhere in any line.
    for (const line of lines) {
      for (const secret of secrets) {
        assert.ok(
          !line.includes(secret),
          `a secret (${secret.slice(0, 6)}…) is in the log line ${line.slice(0, 200)}`,
        );
      }
    }
    // Every line has the architecture.md fields; lines of a request carry the ids of its span.
    let inRequest = 0;
    for (const r of records) {
      assert.ok(typeof r.timestamp === 'string' && !Number.isNaN(Date.parse(r.timestamp)), JSON.stringify(r));
      assert.ok(typeof r.level === 'string', JSON.stringify(r));
      assert.ok(r.component === 'ac-service' || r.component === 'gc-service', JSON.stringify(r));
      assert.ok(typeof r.message === 'string' && r.message !== '', JSON.stringify(r));
      if (r.request_id !== undefined) {
        inRequest++;
        assert.match(String(r.trace_id), /^[0-9a-f]{32}$/, JSON.stringify(r));
        assert.match(String(r.span_id), /^[0-9a-f]{16}$/, JSON.stringify(r));
      }
    }
    assert.ok(inRequest >= 20, `${inRequest} request lines`);
    // Meeting events carry meeting_id (and participant_id for a join) next to the trace ids.
    const joined = records.find((r) => r.message === 'join token issued');
    assert.equal(joined?.meeting_id, id);
    assert.equal(joined.participant_id, guest.body.participant_identity);
    assert.match(String(joined.trace_id), /^[0-9a-f]{32}$/);
    assert.ok(records.some((r) => r.message === 'meeting ended' && r.meeting_id === id));
  });
});
