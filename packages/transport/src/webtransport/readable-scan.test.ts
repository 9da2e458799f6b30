import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FULL_SCAN_MS, MAX_POLLED, PROBE_AHEAD, ReadableScan, type ReadableSource } from './readable-scan.ts';

/** quiche's view of one connection: the streams that are readable now; counts what the scan asks. */
class FakeConn implements ReadableSource {
  readonly readableIds = new Set<number>();
  probes = 0;
  fullScans = 0;
  streamReadable(id: number): boolean {
    this.probes++;
    return this.readableIds.has(id);
  }
  readable(): Iterable<number> {
    this.fullScans++;
    return [...this.readableIds];
  }
}

/** A router table: every visited id becomes known (as StreamRouter.onReadable does). */
function harness(role: 'server' | 'client') {
  let now = 0;
  const scan = new ReadableScan(role, () => now);
  const conn = new FakeConn();
  const known = new Map<number, true>();
  const run = (): number[] => {
    const seen: number[] = [];
    scan.scan(conn, known, (id) => {
      seen.push(id);
      known.set(id, true);
    });
    return seen.sort((a, b) => a - b);
  };
  return {
    scan,
    conn,
    known,
    run,
    advance(ms: number) {
      now += ms;
    },
  };
}

test('after the first full scan, known streams and new peer streams are found without readable()', () => {
  const h = harness('server');
  h.conn.readableIds.add(0); // the client's CONNECT stream
  assert.deepEqual(h.run(), [0]);
  assert.equal(h.conn.fullScans, 1);
  h.conn.readableIds.clear();
  // Data on the known stream, and the client opens its first uni and second bidi streams.
  h.conn.readableIds.add(0).add(2).add(4);
  h.advance(1);
  assert.deepEqual(h.run(), [0, 2, 4]);
  h.conn.readableIds.clear();
  h.conn.readableIds.add(6).add(8); // the next of each type
  h.advance(1);
  assert.deepEqual(h.run(), [6, 8]);
  assert.equal(h.conn.fullScans, 1);
});

test('a later stream id that arrives first is found, and so is the earlier one when it comes', () => {
  const h = harness('client');
  h.run(); // the first scan is a full one
  h.advance(1);
  // Server-initiated uni streams are 3, 7, 11, ...: 11 and 19 arrive before 3, 7 and 15.
  h.conn.readableIds.add(11).add(19);
  assert.deepEqual(h.run(), [11, 19]);
  h.conn.readableIds.clear();
  h.advance(1);
  h.conn.readableIds.add(7).add(3).add(15);
  assert.deepEqual(h.run(), [3, 7, 15]);
  assert.equal(h.conn.fullScans, 1);
});

test('only readable streams are visited, and our own unidirectional streams are never asked', () => {
  const h = harness('server');
  h.run();
  h.advance(1);
  h.known.set(3, true); // a server-initiated (our) uni stream: write-only
  h.known.set(1, true); // a server-initiated bidi stream: readable once the peer answers
  h.conn.readableIds.add(1);
  h.conn.probes = 0;
  assert.deepEqual(h.run(), [1]);
  // Known: 1 (3 is skipped). Probes: PROBE_AHEAD ids of each peer type.
  assert.equal(h.conn.probes, 1 + 2 * PROBE_AHEAD);
});

test('a new stream beyond the probes is found by the full scan within FULL_SCAN_MS', () => {
  const h = harness('server');
  h.run();
  h.advance(1);
  const far = 2 + 4 * (PROBE_AHEAD + 3);
  h.conn.readableIds.add(far);
  assert.deepEqual(h.run(), []);
  h.advance(FULL_SCAN_MS);
  assert.deepEqual(h.run(), [far]);
  assert.equal(h.conn.fullScans, 2);
  // The ids it skipped are probed from now on (they may still come), and found without a full scan.
  h.conn.readableIds.clear();
  h.advance(1);
  h.conn.readableIds.add(2).add(far - 4);
  assert.deepEqual(h.run(), [2, far - 4]);
  assert.equal(h.conn.fullScans, 2);
});

test('large tables and wide gaps use readable(): the probes per scan stay bounded', () => {
  const big = harness('server');
  big.run();
  for (let i = 0; i <= MAX_POLLED; i++) big.known.set(4 * i, true);
  big.advance(1);
  big.conn.probes = 0;
  big.run();
  assert.equal(big.conn.fullScans, 2);
  assert.equal(big.conn.probes, 0);

  // A hostile peer opens stream 4000 and nothing below it: probing every skipped id would be 1,000 calls a scan.
  const gap = harness('server');
  gap.run();
  gap.advance(FULL_SCAN_MS);
  gap.conn.readableIds.add(4002);
  assert.deepEqual(gap.run(), [4002]);
  gap.conn.readableIds.clear();
  gap.advance(1);
  gap.conn.probes = 0;
  gap.run();
  assert.equal(gap.conn.probes, 0);
  assert.equal(gap.conn.fullScans, 3);
});
