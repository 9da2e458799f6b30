// What drills and the soak do to a cluster from the outside: a host account, meetings, bots, and the durable state
// (meeting metadata, audit records, row counts) read back to prove nothing was lost.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { BotFleet } from '../bot/bot-fleet.js';
import { botConnector } from '../bot/bot-connector.js';
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the JSON shape the caller expects
async function call(url, init) {
  const headers = { 'content-type': 'application/json' };
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  const res = await fetch(url, { ...init, headers, signal: init.signal ?? AbortSignal.timeout(10_000) });
  const text = await res.text();
  let body;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body: body };
}
export async function signUpHost(cluster) {
  const username = `host${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('base64url');
  const reg = await call(`${cluster.url}/api/v1/users`, {
    method: 'POST',
    body: JSON.stringify({ username, password, display_name: 'Drill host' }),
  });
  if (reg.status >= 300) throw new Error(`sign-up failed (${String(reg.status)})`);
  const login = await call(`${cluster.url}/v1/auth/user/token`, {
    method: 'POST',
    body: JSON.stringify({ username, password }),
  });
  if (login.body.access_token === undefined) throw new Error(`sign-in failed (${String(login.status)})`);
  return { token: login.body.access_token };
}
export async function createMeeting(cluster, host, name) {
  const r = await call(`${cluster.url}/api/v1/meetings`, {
    method: 'POST',
    token: host.token,
    body: JSON.stringify({ display_name: name, max_participants: 100, settings: { require_auth: false } }),
  });
  if (r.status !== 201 && r.status !== 200) throw new Error(`create meeting failed (${String(r.status)})`);
  return {
    meetingId: r.body.meeting_id ?? '',
    code: r.body.meeting_url?.split('/').at(-1) ?? '',
    displayName: name,
    controllerUrl: r.body.meeting_controller_url ?? '',
  };
}
/** GET /api/v1/meetings/{code}: status and display name. */
export async function getMeeting(cluster, host, code, signal) {
  const r = await call(`${cluster.url}/api/v1/meetings/${code}`, {
    method: 'GET',
    token: host.token,
    ...(signal === undefined ? {} : { signal }),
  });
  return { status: r.status, displayName: r.body?.display_name ?? '', meetingId: r.body?.meeting_id ?? '' };
}
export function fleetOn(cluster, options) {
  return new BotFleet({
    baseUrl: cluster.url,
    connector: options.connector ?? botConnector([cluster.certificateHash]),
    ...options,
  });
}
/** Row counts of the durable tables (audit log, users, meetings...) straight from PostgreSQL (not through the relay). */
export async function durableCounts(cluster) {
  const client = new pg.Client({ connectionString: cluster.database.url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    const tables = await client.query(
      "select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1",
    );
    const out = {};
    for (const { table_name: t } of tables.rows) {
      if (!/^[a-z0-9_]+$/.test(t)) continue;
      const r = await client.query(`select count(*)::text as n from "${t}"`);
      out[t] = Number(r.rows[0]?.n ?? 0);
    }
    return out;
  } finally {
    await client.end();
  }
}
/** Tables whose row count went down between two snapshots (durable data lost). */
export function lostRows(before, after) {
  return Object.entries(before)
    .filter(([t, n]) => (after[t] ?? 0) < n)
    .map(([t, n]) => `${t}: ${String(n)} -> ${String(after[t] ?? 0)}`);
}
//# sourceMappingURL=cluster-client.js.map
