import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  MEETING_CODE_ALPHABET,
  claimMeetingCode,
  generateMeetingCode,
  parseMeetingCode,
} from './meeting-code.ts';

describe('meeting codes', () => {
  test('have the abc-defg-hij shape over the unambiguous alphabet', () => {
    for (let i = 0; i < 200; i++) {
      const code = generateMeetingCode();
      assert.match(code, /^[a-z]{3}-[a-z]{4}-[a-z]{3}$/);
      for (const ch of code.replaceAll('-', '')) assert.ok(MEETING_CODE_ALPHABET.includes(ch), ch);
      assert.equal(parseMeetingCode(code), code);
    }
    for (const ch of 'ilou') assert.ok(!MEETING_CODE_ALPHABET.includes(ch));
  });

  test('use every letter of the alphabet, without modulo bias from rejected bytes', () => {
    // Bytes >= 242 (256 - 256 % 22) must be rejected, not folded onto the first letters.
    let calls = 0;
    const code = generateMeetingCode((n) => {
      calls++;
      return calls === 1 ? new Uint8Array(n).fill(250) : new Uint8Array(n).fill(23);
    });
    assert.equal(code, 'bbb-bbbb-bbb');
  });

  test('parse accepts typed variants and rejects everything else (property)', () => {
    assert.equal(parseMeetingCode('ABC-DEFG-HJK'), 'abc-defg-hjk');
    assert.equal(parseMeetingCode('abcdefghjk'), 'abc-defg-hjk');
    for (const bad of [
      '',
      'abc-defg-hi',
      'abc-defg-hil',
      'abc_defg_hjk',
      '../../etc',
      'abc-defg-hjk-',
      'a'.repeat(1000),
    ]) {
      assert.equal(parseMeetingCode(bad), undefined, bad);
    }
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (s) => {
        const parsed = parseMeetingCode(s);
        if (parsed !== undefined) assert.match(parsed, /^[a-z]{3}-[a-z]{4}-[a-z]{3}$/);
      }),
    );
  });

  test('claim retries on collision and gives up after the bound', async () => {
    const taken = new Set<string>();
    let tries = 0;
    const first = await claimMeetingCode((code) => {
      tries++;
      if (tries < 3) {
        taken.add(code);
        return Promise.resolve(false);
      }
      return Promise.resolve(true);
    });
    assert.equal(tries, 3);
    assert.ok(!taken.has(first));
    await assert.rejects(
      claimMeetingCode(() => Promise.resolve(false), { attempts: 4 }),
      { code: 'INTERNAL_ERROR' },
    );
  });
});
