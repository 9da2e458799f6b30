import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CAPSULE, capsulePolicy, decodeCloseCapsule, encodeCloseCapsule } from './capsules.ts';
import { FRAME, encodeFrame, requestStreamPolicy } from './frames.ts';
import { isH3Error } from './h3-error.ts';
import {
  SETTING,
  decodeSettings,
  encodeSettingsFrame,
  ourSettings,
  peerSupportsWebTransport,
} from './settings.ts';
import { TlvReader, type TlvEvent } from './tlv-reader.ts';

function feedInPieces(reader: TlvReader, bytes: Uint8Array, cuts: number[]): TlvEvent[] {
  const events: TlvEvent[] = [];
  let pos = 0;
  for (const cut of [...cuts.map((c) => c % (bytes.length + 1))].sort((a, b) => a - b)) {
    reader.push(bytes.subarray(pos, Math.max(pos, cut)), (e) => events.push({ ...e }));
    pos = Math.max(pos, cut);
  }
  reader.push(bytes.subarray(pos), (e) => events.push({ ...e }));
  return events;
}

test('frames split at arbitrary points reassemble: HEADERS whole, DATA streamed, unknown skipped', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 300 }),
      fc.uint8Array({ maxLength: 3000 }),
      fc.array(fc.nat(), { maxLength: 6 }),
      (headers, data, cuts) => {
        const bytes = Buffer.concat([
          encodeFrame(0x21, new Uint8Array(17)), // reserved (GREASE) type: skipped
          encodeFrame(FRAME.HEADERS, headers),
          encodeFrame(FRAME.DATA, data),
        ]);
        const reader = new TlvReader(requestStreamPolicy(1024));
        const events = feedInPieces(reader, bytes, cuts);
        assert.ok(reader.atBoundary);
        const whole = events.filter((e) => e.kind === 'whole');
        assert.equal(whole.length, 1);
        assert.deepEqual(whole[0]?.kind === 'whole' ? [...whole[0].payload] : [], [...headers]);
        const streamed = Buffer.concat(events.flatMap((e) => (e.kind === 'piece' ? [e.bytes] : [])));
        assert.deepEqual([...streamed], [...data]);
      },
    ),
  );
});

test('random bytes on a request stream end in events or typed H3 errors only', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      const reader = new TlvReader(requestStreamPolicy(64));
      try {
        reader.push(bytes, () => undefined);
      } catch (e) {
        assert.ok(isH3Error(e), String(e));
      }
    }),
    { numRuns: 3000 },
  );
});

test('an oversized HEADERS frame is refused from its length alone, before any payload is buffered', () => {
  const reader = new TlvReader(requestStreamPolicy(1024));
  assert.throws(
    () => {
      reader.push(Uint8Array.from([0x01, 0x80, 0x10, 0x00, 0x00]), () => undefined); // HEADERS of 1 MiB
    },
    (e: unknown) => isH3Error(e) && e.codeName === 'EXCESSIVE_LOAD',
  );
});

test('CLOSE_WEBTRANSPORT_SESSION round-trips; short or non-UTF-8 payloads are MESSAGE_ERROR', () => {
  fc.assert(
    fc.property(fc.nat({ max: 0xffffffff }), fc.string({ maxLength: 300 }), (code, reason) => {
      const events = feedInPieces(new TlvReader(capsulePolicy()), encodeCloseCapsule(code, reason), []);
      const ev = events[0];
      assert.ok(ev?.kind === 'whole' && ev.type === CAPSULE.CLOSE_WEBTRANSPORT_SESSION);
      assert.deepEqual(decodeCloseCapsule(ev.payload), { closeCode: code, reason });
    }),
  );
  assert.throws(() => decodeCloseCapsule(new Uint8Array(3)), isH3Error);
  assert.throws(() => decodeCloseCapsule(Uint8Array.from([0, 0, 0, 0, 0xff])), isH3Error);
  // Reasons are cut to 1024 bytes without splitting a character.
  const long = encodeCloseCapsule(1, 'é'.repeat(600));
  const ev = feedInPieces(new TlvReader(capsulePolicy()), long, [])[0];
  assert.ok(ev?.kind === 'whole');
  assert.equal(decodeCloseCapsule(ev.payload).reason, 'é'.repeat(512));
});

test('our SETTINGS carry what Chromium requires and decode back', () => {
  const frame = encodeSettingsFrame(ourSettings({ maxFieldSectionSize: 16384, maxSessions: 4 }));
  const events = feedInPieces(new TlvReader(() => ({ mode: 'stream' })), frame, []);
  const payload = Buffer.concat(events.flatMap((e) => (e.kind === 'piece' ? [e.bytes] : [])));
  const settings = decodeSettings(payload);
  assert.equal(settings.get(SETTING.ENABLE_WEBTRANSPORT_DRAFT02), 1);
  assert.equal(settings.get(SETTING.H3_DATAGRAM), 1);
  assert.equal(settings.get(SETTING.QPACK_MAX_TABLE_CAPACITY), 0);
  assert.ok(peerSupportsWebTransport(settings));
  assert.throws(() => decodeSettings(Uint8Array.from([0x02, 0x00])), isH3Error); // HTTP/2 setting
  assert.throws(() => decodeSettings(Uint8Array.from([0x21, 0x00, 0x21, 0x01])), isH3Error); // duplicate
});
