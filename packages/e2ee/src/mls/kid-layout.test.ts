import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isMlsError } from './mls-error.ts';
import { DEFAULT_KID_LAYOUT, parseKid, senderKid, validateKidLayout } from './kid-layout.ts';
import { verificationCodeFor } from './verification-code.ts';

test('KID = (context << (S + E)) + (index << E) + (epoch mod 2^E), RFC 9605 section 5.2', () => {
  const layout = { epochBits: 4, indexBits: 6 };
  assert.equal(senderKid(layout, 0n, 0), 0n);
  assert.equal(senderKid(layout, 17n, 3), (3n << 4n) + 1n);
  assert.equal(senderKid(layout, 5n, 2, 1n), (1n << 10n) + (2n << 4n) + 5n);
  assert.equal(senderKid(DEFAULT_KID_LAYOUT, 0x1234n, 0x0102), (0x0102n << 8n) + 0x34n);
  assert.throws(
    () => senderKid(layout, 0n, 64),
    (e) => isMlsError(e, 'BAD_KID_LAYOUT'),
  );
  assert.throws(
    () => validateKidLayout({ epochBits: 40, indexBits: 24 }),
    (e) => isMlsError(e, 'BAD_KID_LAYOUT'),
  );
  assert.throws(
    () => validateKidLayout({ epochBits: 0, indexBits: 8 }),
    (e) => isMlsError(e, 'BAD_KID_LAYOUT'),
  );
});

test('parseKid inverts senderKid for any layout, epoch and index', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 31 }),
      fc.integer({ min: 1, max: 31 }),
      fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      fc.nat(),
      (e, s, epoch, rawIndex) => {
        const layout = validateKidLayout({ epochBits: e, indexBits: s });
        const index = rawIndex % 2 ** s;
        const parsed = parseKid(layout, senderKid(layout, epoch, index));
        assert.equal(parsed.context, 0n);
        assert.equal(parsed.senderIndex, index);
        assert.equal(parsed.epochBits, epoch % (1n << BigInt(e)));
      },
    ),
  );
});

test('verification code: 6 groups of 5 digits, a function of the authenticator only', async () => {
  const a = await verificationCodeFor(new Uint8Array(32).fill(1));
  assert.match(a, /^\d{5}( \d{5}){5}$/);
  assert.equal(await verificationCodeFor(new Uint8Array(32).fill(1)), a);
  assert.notEqual(await verificationCodeFor(new Uint8Array(32).fill(2)), a);
});
