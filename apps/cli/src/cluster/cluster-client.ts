// What drills and the soak do to a cluster from the outside: a host account, meetings, bots, and the durable state
// (meeting metadata, audit records, row counts) read back to prove nothing was lost.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { BotFleet, type FleetOptions } from '../bot/bot-fleet.ts';
import { botConnector } from '../bot/bot-connector.ts';
import type { Cluster } from './cluster.ts';

export interface HostSession {
  readonly token: string;
}

// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the JSON shape the caller expects
async function call<T>(
  url: string,
  init: RequestInit & { token?: string },
): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  const res = await fetch(url, { ...init, headers, signal: init.signal ?? AbortSignal.timeout(10_000) });
  const text = await res.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body: body as T };
}

/** A new host account on a cluster (or anything serving the API at `url`, e.g. the dev stack), signed in. */
export async function signUpHost(cluster: Pick<Cluster, 'url'>): Promise<HostSession> {
  const username = `host${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('base64url');
  const reg = await call(`${cluster.url}/api/v1/users`, {
    method: 'POST',
    body: JSON.stringify({ username, password, display_name: 'Drill host' }),
  });
  if (reg.status >= 300) throw new Error(`sign-up failed (${String(reg.status)})`);
  const login = await call<{ access_token?: string }>(`${cluster.url}/v1/auth/user/token`, {
    method: 'POST',
    body: JSON.stringify({ username, password }),
  });
  if (login.body.access_token === undefined) throw new Error(`sign-in failed (${String(login.status)})`);
  return { token: login.body.access_token };
}

export interface CreatedMeeting {
  readonly meetingId: string;
  readonly code: string;
  readonly displayName: string;
  readonly controllerUrl: string;
}

export async function createMeeting(
  cluster: Cluster,
  host: HostSession,
  name: string,
): Promise<CreatedMeeting> {
  const r = await call<{ meeting_id?: string; meeting_url?: string; meeting_controller_url?: string }>(
    `${cluster.url}/api/v1/meetings`,
    {
      method: 'POST',
      token: host.token,
      body: JSON.stringify({ display_name: name, max_participants: 100, settings: { require_auth: false } }),
    },
  );
  if (r.status !== 201 && r.status !== 200) throw new Error(`create meeting failed (${String(r.status)})`);
  return {
    meetingId: r.body.meeting_id ?? '',
    code: r.body.meeting_url?.split('/').at(-1) ?? '',
    displayName: name,
    controllerUrl: r.body.meeting_controller_url ?? '',
  };
}

/** GET /api/v1/meetings/{code}: status and display name. */
export async function getMeeting(
  cluster: Cluster,
  host: HostSession,
  code: string,
  signal?: AbortSignal,
): Promise<{ status: number; displayName: string; meetingId: string }> {
  const r = await call<{ display_name?: string; meeting_id?: string } | undefined>(
    `${cluster.url}/api/v1/meetings/${code}`,
    {
      method: 'GET',
      token: host.token,
      ...(signal === undefined ? {} : { signal }),
    },
  );
  return { status: r.status, displayName: r.body?.display_name ?? '', meetingId: r.body?.meeting_id ?? '' };
}

export function fleetOn(
  cluster: Cluster,
  options: Omit<FleetOptions, 'baseUrl' | 'connector'> & { readonly connector?: FleetOptions['connector'] },
): BotFleet {
  return new BotFleet({
    baseUrl: cluster.url,
    connector: options.connector ?? botConnector([cluster.certificateHash]),
    ...options,
  });
}

/** Row counts of the durable tables (audit log, users, meetings...) straight from PostgreSQL (not through the relay). */
export async function durableCounts(cluster: Cluster): Promise<Record<string, number>> {
  const client = new pg.Client({ connectionString: cluster.database.url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    const tables = await client.query<{ table_name: string }>(
      "select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1",
    );
    const out: Record<string, number> = {};
    for (const { table_name: t } of tables.rows) {
      if (!/^[a-z0-9_]+$/.test(t)) continue;
      const r = await client.query<{ n: string }>(`select count(*)::text as n from "${t}"`);
      out[t] = Number(r.rows[0]?.n ?? 0);
    }
    return out;
  } finally {
    await client.end();
  }
}

/** Tables whose row count went down between two snapshots (durable data lost). */
export function lostRows(before: Record<string, number>, after: Record<string, number>): string[] {
  return Object.entries(before)
    .filter(([t, n]) => (after[t] ?? 0) < n)
    .map(([t, n]) => `${t}: ${String(n)} -> ${String(after[t] ?? 0)}`);
}
