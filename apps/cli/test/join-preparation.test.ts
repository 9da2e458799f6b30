// JoinPreparation (the pre-join page's head start) against the real dev stack over real QUIC: the grant and the
// signaling session prepared before the join are the ones the join uses (no second grant, no second connect); a
// stale session is not used (the controller would have closed it) and is closed; a failed preparation leaves the
// join to fail with its own error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DarkTowerApi, isClientError, JoinPreparation, Meeting, type Connector } from '@darktower/client';
import { callApi } from '../src/api-client.ts';
import { startDevStack } from '../src/dev/dev-stack.ts';
import { botConnector, devCertificateHashes } from '../src/bot/bot-connector.ts';
import { signUpHost } from '../src/cluster/cluster-client.ts';
import { until } from './support/until.ts';

/** A connector that counts what it opens, per purpose, and keeps the sessions to check their state. */
function counting(inner: Connector): {
  connector: Connector;
  opened: { purpose: string; closed: boolean }[];
} {
  const opened: { purpose: string; closed: boolean }[] = [];
  return {
    opened,
    connector: async (target, signal) => {
      const session = await inner(target, signal);
      const entry = { purpose: target.purpose, closed: false };
      opened.push(entry);
      void session.closed.then(() => (entry.closed = true));
      return session;
    },
  };
}

test('a join uses the grant and signaling session prepared before it', { timeout: 120_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'dt-prep-'));
  const stack = await startDevStack({ port: 0, dataDir, logLevel: 'silent' });
  const meetings: Meeting[] = [];
  const preparations: JoinPreparation[] = [];
  try {
    const host = await signUpHost(stack);
    let created: { meeting_url: string } | undefined;
    for (const deadline = Date.now() + 60_000; created === undefined;) {
      try {
        created = await callApi<{ meeting_url: string }>(stack.url, {
          method: 'POST',
          path: '/api/v1/meetings',
          token: host.token,
          json: { display_name: 'Prepared', max_participants: 10, settings: { require_auth: false } },
        });
      } catch (error) {
        // The Meeting Controller may not have registered yet (503, retry later).
        if ((error as { status?: unknown }).status !== 503 || Date.now() > deadline) throw error;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    const code = created.meeting_url.split('/').at(-1) ?? '';
    const base = botConnector(await devCertificateHashes(stack.url));
    let grants = 0;
    const api = new DarkTowerApi({ baseUrl: stack.url });
    const joinMeeting = api.joinMeeting.bind(api);
    api.joinMeeting = (...args) => {
      grants++;
      return joinMeeting(...args);
    };

    // Prepared and fresh: the join fetches no grant and opens no signaling session of its own.
    const c1 = counting(base);
    const p1 = new JoinPreparation({ api, connector: c1.connector, meeting: code, displayName: 'Ann' });
    preparations.push(p1);
    assert.equal(p1.matches('Ann', undefined), true);
    assert.equal(p1.matches('Bob', undefined), false);
    await until('the prepared session', () => (c1.opened.length > 0 ? true : undefined));
    assert.deepEqual(
      c1.opened.map((o) => o.purpose),
      ['signaling'],
      'prepared: one grant, one session',
    );
    assert.equal(grants, 1);
    const ann = await Meeting.join({ meeting: code, displayName: 'Ann', ...p1.joinOptions() });
    meetings.push(ann);
    assert.equal(ann.state.state, 'joined');
    assert.equal(grants, 1, 'the join fetched no grant of its own');
    assert.deepEqual(
      c1.opened.map((o) => o.purpose),
      ['signaling', 'media'],
      'the join opened only its media connection',
    );
    const marks = new Map(ann.joinMarks.map((m) => [m.name, m.at]));
    assert.ok((marks.get('webtransport_connect:end') ?? Infinity) - (marks.get('join:start') ?? 0) < 50);
    await p1.close(); // what the join took is the join's: still open
    assert.equal(c1.opened[0]?.closed, false);

    // Stale (older than sessionFreshMs): not used; the join connects afresh, and the stale session is closed.
    let now = 0;
    // A preparation on a clock the test moves, whose first session is open.
    const prepareAt = async (displayName: string) => {
      const c = counting(base);
      const p = new JoinPreparation({
        api,
        connector: c.connector,
        meeting: code,
        displayName,
        sessionFreshMs: 5_000,
        now: () => now,
      });
      preparations.push(p);
      await until('the prepared session', () => (c.opened.length > 0 ? true : undefined));
      return { c, p };
    };
    const { c: c2, p: p2 } = await prepareAt('Bea');
    now = 6_000;
    const bea = await Meeting.join({ meeting: code, displayName: 'Bea', ...p2.joinOptions() });
    meetings.push(bea);
    assert.equal(bea.state.state, 'joined');
    assert.deepEqual(
      c2.opened.map((o) => o.purpose),
      ['signaling', 'signaling', 'media'],
    );
    await until('the stale session closed', () => (c2.opened[0]?.closed === true ? true : undefined), 10_000);
    assert.equal(c2.opened[0]?.closed, true, 'the stale session was closed');
    assert.equal(c2.opened[1]?.closed, false);
    assert.deepEqual(
      bea.participants.map((p) => p.name),
      ['Ann'],
    );

    // warm() on a stale session opens a new one (the pointer reached Join).
    now = 12_000;
    const { c: c3, p: p3 } = await prepareAt('Cy');
    now = 18_000;
    p3.warm();
    await until('a new session after warm()', () => (c3.opened.length >= 2 ? true : undefined));
    assert.equal(c3.opened.length, 2);
    await p3.close();
    await until('both closed', () => (c3.opened.every((o) => o.closed) ? true : undefined), 10_000);
    assert.deepEqual(
      c3.opened.map((o) => o.closed),
      [true, true],
      'close() closes what was not handed out',
    );

    // A meeting that does not exist: the preparation fails quietly; the join fails with NOT_FOUND.
    const missing = randomUUID();
    const p4 = new JoinPreparation({ api, connector: base, meeting: missing, displayName: 'Dee' });
    preparations.push(p4);
    await assert.rejects(
      Meeting.join({ meeting: missing, displayName: 'Dee', ...p4.joinOptions() }),
      (e: unknown) => isClientError(e, 'NOT_FOUND'),
    );
  } finally {
    for (const p of preparations) await p.close();
    for (const m of meetings) await m.close();
    await stack[Symbol.asyncDispose]();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
