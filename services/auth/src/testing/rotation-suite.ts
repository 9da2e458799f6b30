import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase, type Database } from '@darktower/data';
import { AuditLog } from '../audit/audit-log.ts';
import type { AuthDatabase } from '../db/schema.ts';
import { KeyManager } from '../keys/key-manager.ts';
import { MasterKey } from '../keys/master-key.ts';
import { startHarness, type Harness } from './harness.ts';
import { adminToken, injector, type Inject } from './http-helpers.ts';
import { signWith } from './forge.ts';
import type { SuiteTarget } from './suite-target.ts';

const PERIOD_MS = 3 * 3_600_000;
const PREPUBLISH_MS = 3_600_000;

/** Key rotation: admin call, schedule, timer, retirement, and two instances racing on one database. */
export function rotationSuite(target: SuiteTarget): void {
  describe(`key rotation (${target.name})`, () => {
    let h: Harness;
    let inject: Inject;
    let cleanup: (() => Promise<void>) | undefined;
    let databaseUrl: string | undefined;

    before(async () => {
      const opts = await target.setup();
      cleanup = opts.cleanup;
      databaseUrl = opts.databaseUrl;
      h = await startHarness({
        ...opts,
        overrides: {
          keyRotationPeriod: '3h',
          keyPrepublish: '1h',
          keyRotationCheckInterval: '1h',
          ...opts.overrides,
        },
      });
      inject = injector(h.controller);
    });
    after(async () => {
      await h.close();
      await cleanup?.();
    });

    const jwksKids = async (): Promise<string[]> =>
      (await inject({ method: 'GET', url: '/.well-known/jwks.json' }))
        .json<{ keys: { kid: string }[] }>()
        .keys.map((k) => k.kid);
    const makeManager = (database: Database<AuthDatabase>, checkIntervalMs: number): KeyManager =>
      new KeyManager({
        database,
        masterKey: MasterKey.fromBase64(h.config.masterKey?.reveal() ?? ''),
        audit: new AuditLog(database.db, () => undefined),
        rotationPeriodMs: PERIOD_MS,
        prepublishMs: PREPUBLISH_MS,
        checkIntervalMs,
        now: () => h.clock.now,
        onError: () => undefined,
      });
    const rotateCall = (token: string) =>
      inject({ method: 'POST', url: '/v1/admin/keys/rotate', headers: { authorization: `Bearer ${token}` } });

    test('admin rotation publishes the new key and keeps the old one for one period, then retires it', async () => {
      const old = h.controller.keys.signingKey();
      const token = await adminToken(inject, h.adminSecret);
      const res = await rotateCall(token);
      assert.equal(res.statusCode, 200);
      const { kid } = res.json<{ kid: string }>();
      assert.notEqual(kid, old.kid);
      assert.equal(h.controller.keys.signingKey().kid, kid);
      assert.deepEqual(await jwksKids(), [kid, old.kid]);
      // A token signed by the previous key still works during the overlap...
      assert.equal((await rotateCall(token)).statusCode, 200);
      // ...and after one more period the key is retired: a fresh, otherwise valid token under it is refused.
      h.clock.now += PERIOD_MS + 1000;
      await h.controller.keys.reload();
      assert.ok(!(await jwksKids()).includes(old.kid));
      const forged = await signWith({
        kid: old.kid,
        key: old.privateKey,
        nowSec: Math.floor(h.clock.now / 1000),
      });
      const refused = await rotateCall(forged);
      assert.equal(refused.statusCode, 401);
      assert.equal(
        refused.json<{ error: { details: { reason: string } } }>().error.details.reason,
        'unknown_kid',
      );
      const audit = await h.controller.audit.recent(50);
      assert.ok(audit.some((e) => e.event === 'key.rotated' && e.details.reason === 'admin'));
    });

    test('scheduled rotation publishes the successor ahead and switches at the end of the period', async () => {
      assert.equal((await h.controller.keys.rotateNow('test')).rotated, true);
      const current = h.controller.keys.signingKey().kid;
      assert.deepEqual(await h.controller.keys.rotateIfDue('scheduled'), {
        rotated: false,
        reason: 'not_due',
      });
      h.clock.now += PERIOD_MS - PREPUBLISH_MS - 1000;
      assert.deepEqual(await h.controller.keys.rotateIfDue('scheduled'), {
        rotated: false,
        reason: 'not_due',
      });
      h.clock.now += 1000;
      const result = await h.controller.keys.rotateIfDue('scheduled');
      assert.ok(result.rotated);
      // Published now, signing later: verifiers everywhere learn the key before its first token.
      assert.equal(h.controller.keys.signingKey().kid, current);
      assert.deepEqual((await jwksKids()).slice(0, 2), [current, result.kid]);
      assert.deepEqual(await h.controller.keys.rotateIfDue('scheduled'), {
        rotated: false,
        reason: 'not_due',
      });
      h.clock.now += PREPUBLISH_MS - 1;
      assert.equal(h.controller.keys.signingKey().kid, current);
      h.clock.now += 1;
      assert.equal(h.controller.keys.signingKey().kid, result.kid);
      assert.deepEqual((await jwksKids()).slice(0, 2), [result.kid, current]);
      const token = await adminToken(inject, h.adminSecret);
      const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()) as {
        kid: string;
      };
      assert.equal(header.kid, result.kid);
    });

    test('the timer rotates by itself', async () => {
      const timed = makeManager(h.controller.database, 100);
      await timed.start();
      try {
        const before = timed.signingKey().kid;
        h.clock.now += PERIOD_MS;
        const deadline = Date.now() + 20_000;
        while (timed.signingKey().kid === before) {
          assert.ok(Date.now() < deadline, 'timer did not rotate within 20 s');
          await new Promise((r) => setTimeout(r, 50));
        }
        await h.controller.keys.reload();
        assert.equal(
          h.controller.keys.signingKey().kid,
          timed.signingKey().kid,
          'the other instance picks the new key up',
        );
      } finally {
        await timed.close();
      }
    });

    test('two instances sharing the database never both rotate', async () => {
      const second =
        databaseUrl === undefined
          ? h.controller.database
          : await openDatabase<AuthDatabase>({ url: databaseUrl });
      try {
        const other = makeManager(second, 3_600_000);
        await other.reload();
        const rotations = async (): Promise<number> =>
          (
            await h.controller.database.db
              .selectFrom('auth_audit_log')
              .select('id')
              .where('event', '=', 'key.rotated')
              .execute()
          ).length;
        for (let round = 0; round < 3; round++) {
          h.clock.now += PERIOD_MS;
          await h.controller.keys.reload();
          const before = await rotations();
          const results = await Promise.all([
            h.controller.keys.rotateIfDue('scheduled'),
            other.rotateIfDue('scheduled'),
            h.controller.keys.rotateIfDue('scheduled'),
            other.rotateIfDue('scheduled'),
          ]);
          assert.equal(results.filter((r) => r.rotated).length, 1, JSON.stringify(results));
          assert.equal(await rotations(), before + 1);
          const active = await h.controller.database.db
            .selectFrom('auth_signing_keys')
            .select('kid')
            .where('retire_at', 'is', null)
            .execute();
          assert.equal(active.length, 1);
        }
        await other.close();
      } finally {
        if (second !== h.controller.database) await second.close();
      }
    });
  });
}
