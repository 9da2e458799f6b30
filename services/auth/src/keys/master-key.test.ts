import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { isAuthControllerError } from '../errors.ts';
import { MasterKey, resolveMasterKey } from './master-key.ts';

test('AES-256-GCM round trip, bound to the kid, tamper-evident', () => {
  const key = MasterKey.generate();
  const plain = randomBytes(48);
  const blob = key.encrypt(plain, 'kid-1');
  assert.deepEqual(key.decrypt(blob, 'kid-1'), plain);
  assert.notDeepEqual(key.encrypt(plain, 'kid-1'), blob, 'fresh IV each time');
  assert.throws(
    () => key.decrypt(blob, 'kid-2'),
    (e: unknown) => isAuthControllerError(e) && e.code === 'MASTER_KEY_INVALID',
  );
  assert.throws(() => MasterKey.generate().decrypt(blob, 'kid-1'));
  const tampered = Buffer.from(blob);
  tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 1;
  assert.throws(() => key.decrypt(tampered, 'kid-1'));
});

test('property: decrypting arbitrary bytes throws a typed error, never anything else', () => {
  const key = MasterKey.generate();
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      try {
        key.decrypt(bytes, 'k');
        return false;
      } catch (err) {
        return isAuthControllerError(err);
      }
    }),
  );
});

test('master key parsing accepts only 32 bytes of base64', () => {
  const good = randomBytes(32);
  assert.ok(MasterKey.fromBase64(good.toString('base64')));
  assert.ok(MasterKey.fromBase64(good.toString('base64url')));
  for (const bad of [
    '',
    'short',
    randomBytes(31).toString('base64'),
    randomBytes(33).toString('base64'),
    'x'.repeat(44),
  ]) {
    assert.throws(() => MasterKey.fromBase64(bad), bad);
  }
});

test('resolveMasterKey: production refuses; development generates once with 0600 perms', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dt-auth-mk-'));
  try {
    assert.throws(
      () =>
        resolveMasterKey({
          value: undefined,
          file: undefined,
          production: true,
          dataDir: dir,
          warn: () => undefined,
        }),
      (e: unknown) => isAuthControllerError(e) && e.code === 'MASTER_KEY_INVALID',
    );
    const warnings: string[] = [];
    const a = resolveMasterKey({
      value: undefined,
      file: undefined,
      production: false,
      dataDir: dir,
      warn: (m) => warnings.push(m),
    });
    const path = join(dir, 'auth-master-key');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(warnings.length, 1);
    const b = resolveMasterKey({
      value: undefined,
      file: undefined,
      production: false,
      dataDir: dir,
      warn: (m) => warnings.push(m),
    });
    assert.equal(a.toBase64(), b.toBase64(), 'the persisted key is reused');
    assert.equal(warnings.length, 1);
    const fromFile = resolveMasterKey({
      value: undefined,
      file: path,
      production: true,
      dataDir: dir,
      warn: () => undefined,
    });
    assert.equal(fromFile.toBase64(), readFileSync(path, 'utf8').trim());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
