// Backpressure end to end: a peer that does not read holds the writer through QUIC flow control (bounded
// memory on both sides), and everything arrives once it reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { BidirectionalStream } from '../src/session.ts';
import { readAll, sha256, startEchoServer, within } from './helpers.ts';

test('an unread stream stalls the writer at the flow-control window, then drains intact', async () => {
  let serverStream: BidirectionalStream | undefined;
  let gotStream!: () => void;
  const arrived = new Promise<void>((resolve) => (gotStream = resolve));
  const t = await startEchoServer({
    onSession: (s) => {
      void (async () => {
        for await (const stream of s.incomingBidirectionalStreams) {
          serverStream = stream;
          gotStream();
        }
      })();
    },
  });
  try {
    const session = await t.connect();
    const stream = await session.createBidirectionalStream();
    const writer = stream.writable.getWriter();
    const chunk = randomBytes(64 * 1024);
    const total = 16 * 1024 * 1024;
    let accepted = 0;
    let writing = true;
    const done = (async () => {
      while (accepted < total) {
        await writer.write(chunk);
        accepted += chunk.length;
      }
      await writer.close();
      writing = false;
    })();
    await within(arrived, 5000, 'server stream');
    // Wait until the writer stops making progress: quiche has no more credit from the unread peer.
    let last = -1;
    let still = 0;
    while (still < 10) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (accepted === last) still++;
      else still = 0;
      last = accepted;
    }
    assert.ok(writing, 'the writer is still waiting');
    assert.ok(accepted < 12 * 1024 * 1024, `accepted ${String(accepted)} bytes without a reader`);
    assert.ok(accepted >= 512 * 1024, 'at least the initial window was used');
    // Now the server reads everything; the writer resumes and finishes.
    assert.ok(serverStream);
    const received = await within(readAll(serverStream.readable), 30_000, 'drain');
    await done;
    assert.equal(received.length, total);
    assert.equal(sha256(received.subarray(0, chunk.length)), sha256(chunk));
    session.close();
  } finally {
    await t.server.close();
  }
});
