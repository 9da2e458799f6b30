import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Session } from '../session.ts';
import { runSessionContract } from '../testing/session-contract.ts';
import { connectWebSocket } from './websocket-client.ts';
import { createWebSocketSessionServer } from './websocket-server.ts';
import { decodeMuxFrame, encodeMuxFrame, MuxType } from './mux-frame.ts';
import fc from 'fast-check';

async function startServer(onRequest = () => ({ accept: true as const })) {
  const accepted: Session[] = [];
  const waiters: ((s: Session) => void)[] = [];
  const server = createWebSocketSessionServer({
    onRequest,
    onSession: (s) => {
      const w = waiters.shift();
      if (w) w(s);
      else accepted.push(s);
    },
  });
  const { port } = await server.listen(0);
  const nextSession = (): Promise<Session> => {
    const s = accepted.shift();
    return s ? Promise.resolve(s) : new Promise((resolve) => waiters.push(resolve));
  };
  return { server, url: `ws://127.0.0.1:${port}/session`, nextSession };
}

runSessionContract('websocket', async () => {
  const { server, url, nextSession } = await startServer();
  const [client, accepted] = await Promise.all([connectWebSocket(url), nextSession()]);
  return { client, server: accepted, cleanup: () => server.close() };
});

test('websocket: the application refuses a request before the session exists', async () => {
  const seen: string[] = [];
  const refusing = createWebSocketSessionServer({
    onRequest: (req) => {
      seen.push(req.path);
      return { accept: false, status: 401 };
    },
    onSession: () => assert.fail('no session expected'),
  });
  try {
    const { port } = await refusing.listen(0);
    await assert.rejects(connectWebSocket(`ws://127.0.0.1:${port}/meeting?x=1`), { code: 'UNAVAILABLE' });
    assert.ok(seen.length >= 1 && seen.every((p) => p === '/meeting?x=1'), seen.join());
    assert.equal(refusing.sessionCount, 0);
  } finally {
    await refusing.close();
  }
});

test('websocket: a peer sending garbage is closed; another session keeps working', async () => {
  const { server, url, nextSession } = await startServer();
  const [good, goodServer] = await Promise.all([connectWebSocket(url), nextSession()]);
  const raw = new WebSocket(url);
  await new Promise((resolve) => (raw.onopen = resolve));
  const badServer = await nextSession();
  raw.send(new Uint8Array([0x7f, 1, 2, 3]).buffer);
  const info = await badServer.closed;
  assert.equal(info.closeCode, 1);
  assert.match(info.reason, /unknown frame type/);
  // The other session is unaffected.
  const echo = goodServer.incomingBidirectionalStreams
    .getReader()
    .read()
    .then(async (r) => {
      if (!r.done) await r.value.readable.pipeTo(r.value.writable);
    });
  const s = await good.createBidirectionalStream();
  const w = s.writable.getWriter();
  await w.write(Buffer.from('still here'));
  await w.close();
  const chunks: Uint8Array[] = [];
  for await (const c of s.readable) chunks.push(c);
  await echo;
  assert.equal(Buffer.concat(chunks).toString(), 'still here');
  good.close();
  await server.close();
});

test('websocket: data beyond granted credit is a protocol violation', async () => {
  const { server, url, nextSession } = await startServer();
  const raw = new WebSocket(url);
  raw.binaryType = 'arraybuffer';
  await new Promise((resolve) => (raw.onopen = resolve));
  const accepted = await nextSession();
  raw.send(encodeMuxFrame({ type: MuxType.OpenUni, id: 0 }));
  for (let i = 0; i < 20; i++)
    raw.send(encodeMuxFrame({ type: MuxType.Data, id: 0, data: new Uint8Array(16 * 1024) }));
  const info = await accepted.closed;
  assert.match(info.reason, /flow control exceeded/);
  await server.close();
});

test('mux frames: round trip and random bytes never crash the decoder', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      try {
        const frame = decodeMuxFrame(bytes);
        assert.deepEqual(decodeMuxFrame(encodeMuxFrame(frame)), frame);
      } catch (error) {
        assert.equal((error as { code?: string }).code, 'INVALID_REQUEST');
      }
    }),
  );
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.uint8Array({ maxLength: 100 }), (id, data) => {
      const frame = decodeMuxFrame(encodeMuxFrame({ type: MuxType.Data, id, data }));
      assert.deepEqual(frame, { type: MuxType.Data, id, data });
    }),
  );
});

test('websocket: closing after the application cancelled its incoming-stream queues does not throw', async () => {
  const { server, url, nextSession } = await startServer();
  try {
    const [client, accepted] = await Promise.all([connectWebSocket(url), nextSession()]);
    await accepted.incomingBidirectionalStreams.cancel();
    await accepted.incomingUnidirectionalStreams.cancel();
    await client.incomingBidirectionalStreams.cancel();
    assert.doesNotThrow(() => {
      accepted.close({ closeCode: 9, reason: 'done' });
    });
    assert.equal((await client.closed).closeCode, 9);
  } finally {
    await server.close();
  }
});
