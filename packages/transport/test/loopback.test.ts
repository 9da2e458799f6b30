// Node client <-> server on loopback over real QUIC: streams, datagrams, volume, close codes, refusal, restart.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { GREETING } from '../src/demo/echo-handlers.ts';
import { connectWebTransport } from '../src/webtransport/client.ts';
import { isTransportError } from '../src/webtransport/transport-error.ts';
import { echoOnce, readAll, sha256, startEchoServer, within } from './helpers.ts';

const text = new TextEncoder();
const untext = new TextDecoder();

describe('WebTransport over QUIC on loopback', () => {
  test('bidirectional echo and the server greeting on a uni stream', async () => {
    const t = await startEchoServer();
    try {
      const session = await t.connect();
      assert.equal(session.protocol, 'webtransport');
      const echoed = await echoOnce(session, text.encode('hello over quic'));
      assert.equal(untext.decode(echoed), 'hello over quic');
      const reader = session.incomingUnidirectionalStreams.getReader();
      const first = await reader.read();
      assert.ok(first.value);
      assert.equal(untext.decode(await readAll(first.value)), GREETING);
      reader.releaseLock();
      assert.equal(t.requests[0]?.path, '/echo');
      session.close();
      await session.closed;
    } finally {
      await t.server.close();
    }
  });

  test('unidirectional streams both ways', async () => {
    const t = await startEchoServer();
    try {
      const session = await t.connect();
      const out = await session.createUnidirectionalStream();
      const w = out.getWriter();
      await w.write(text.encode('client '));
      await w.write(text.encode('to server'));
      await w.close();
      // The echo server answers each client uni stream with a new server uni stream; skip the greeting.
      const received: string[] = [];
      for await (const readable of session.incomingUnidirectionalStreams) {
        received.push(untext.decode(await readAll(readable)));
        if (received.length === 2) break;
      }
      assert.deepEqual(received.sort(), ['client to server', GREETING].sort());
      session.close();
    } finally {
      await t.server.close();
    }
  });

  test('datagrams are echoed with their bytes intact', async () => {
    const t = await startEchoServer();
    try {
      const session = await t.connect();
      assert.ok(session.datagrams.maxDatagramSize >= 1199);
      const writer = session.datagrams.writable.getWriter();
      const reader = session.datagrams.readable.getReader();
      const sent = new Set<string>();
      for (let i = 0; i < 20; i++) {
        const payload = randomBytes(1000);
        sent.add(payload.toString('hex'));
        await writer.write(payload);
      }
      // Datagrams may be lost; on loopback nearly all arrive. Require most, and all to be ones we sent.
      let got = 0;
      while (got < 15) {
        const r = await within(reader.read(), 5000, 'datagram echo');
        assert.ok(r.value);
        assert.ok(sent.has(Buffer.from(r.value).toString('hex')));
        got++;
      }
      session.close();
    } finally {
      await t.server.close();
    }
  });

  test('100 concurrent bidirectional streams', async () => {
    const t = await startEchoServer();
    try {
      const session = await t.connect();
      const results = await Promise.all(
        Array.from({ length: 100 }, async (_, i) => {
          const payload = text.encode(`stream ${String(i)} `.repeat(50));
          const echoed = await echoOnce(session, payload);
          return Buffer.from(echoed).equals(Buffer.from(payload));
        }),
      );
      assert.equal(results.filter(Boolean).length, 100);
      session.close();
    } finally {
      await t.server.close();
    }
  });

  test('20 MB through a bidi echo arrives intact (checksum)', async () => {
    const t = await startEchoServer();
    try {
      const session = await t.connect();
      const data = randomBytes(20 * 1024 * 1024);
      const stream = await session.createBidirectionalStream();
      const writing = (async () => {
        const w = stream.writable.getWriter();
        for (let off = 0; off < data.length; off += 256 * 1024)
          await w.write(data.subarray(off, off + 256 * 1024));
        await w.close();
      })();
      const echoed = await readAll(stream.readable);
      await writing;
      assert.equal(echoed.length, data.length);
      assert.equal(sha256(echoed), sha256(data));
      session.close();
    } finally {
      await t.server.close();
    }
  });

  test('close code and reason reach the other side (client closes, then server closes)', async () => {
    const t = await startEchoServer();
    try {
      const a = await t.connect();
      a.close({ closeCode: 4001, reason: 'client says bye ✓' });
      assert.deepEqual(await a.closed, { closeCode: 4001, reason: 'client says bye ✓' });
      const serverSide = t.sessions[0];
      assert.ok(serverSide);
      assert.deepEqual(await within(serverSide.closed, 5000, 'server close'), {
        closeCode: 4001,
        reason: 'client says bye ✓',
      });

      const b = await t.connect();
      const serverB = t.sessions[1];
      assert.ok(serverB);
      serverB.close({ closeCode: 77, reason: 'server says bye' });
      assert.deepEqual(await within(b.closed, 5000, 'client close'), {
        closeCode: 77,
        reason: 'server says bye',
      });
    } finally {
      await t.server.close();
    }
  });

  test('a refusal with 401 reaches the client as SESSION_REFUSED', async () => {
    const t = await startEchoServer({
      decide: (r) =>
        r.headers.get('authorization') === 'Bearer good' ? { accept: true } : { accept: false, status: 401 },
    });
    try {
      await assert.rejects(t.connect({ headers: { authorization: 'Bearer bad' } }), (e: unknown) => {
        assert.ok(isTransportError(e, 'SESSION_REFUSED'));
        assert.equal(e.status, 401);
        return true;
      });
      assert.equal(t.sessions.length, 0);
      const ok = await t.connect({ headers: { authorization: 'Bearer good' } });
      assert.equal(untext.decode(await echoOnce(ok, text.encode('authorized'))), 'authorized');
      ok.close();
    } finally {
      await t.server.close();
    }
  });

  test('a pinned hash that does not match is refused before anything is sent', async () => {
    const t = await startEchoServer();
    try {
      await assert.rejects(t.connect({ serverCertificateHashes: [new Uint8Array(32)] }), (e: unknown) =>
        isTransportError(e, 'CERTIFICATE_MISMATCH'),
      );
      assert.equal(t.requests.length, 0);
    } finally {
      await t.server.close();
    }
  });

  test('server restart: the client sees the close and reconnects to the new server', async () => {
    const first = await startEchoServer();
    const session = await first.connect();
    assert.equal(untext.decode(await echoOnce(session, text.encode('one'))), 'one');
    await first.server.close('restarting');
    const info = await within(session.closed, 5000, 'close after server shutdown');
    assert.equal(info.reason, 'restarting');
    const second = await startEchoServer({ port: first.port });
    try {
      assert.notEqual(Buffer.from(second.hash).toString('hex'), Buffer.from(first.hash).toString('hex'));
      const again = await second.connect();
      assert.equal(untext.decode(await echoOnce(again, text.encode('two'))), 'two');
      again.close();
    } finally {
      await second.server.close();
    }
  });

  test('a quiet session outlives the idle timeout (keep-alive PINGs)', async () => {
    const t = await startEchoServer({ limits: { idleTimeoutMs: 400 } });
    try {
      const session = await t.connect({ limits: { idleTimeoutMs: 400 } });
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.equal(untext.decode(await echoOnce(session, text.encode('still here'))), 'still here');
      session.close();
    } finally {
      await t.server.close();
    }
  });

  test('connect honours its AbortSignal and its deadline', async () => {
    // A UDP port nobody answers on: the handshake never completes.
    const silent = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    const url = `https://127.0.0.1:${String(silent.address().port)}/`;
    try {
      const controller = new AbortController();
      const attempt = connectWebTransport(url, {
        serverCertificateHashes: [new Uint8Array(32)],
        signal: controller.signal,
      });
      setImmediate(() => {
        controller.abort(new Error('user gave up'));
      });
      await assert.rejects(attempt, (e: unknown) => isTransportError(e, 'ABORTED'));
      await assert.rejects(connectWebTransport(url, { signal: AbortSignal.abort() }), (e: unknown) =>
        isTransportError(e, 'ABORTED'),
      );
      await assert.rejects(
        connectWebTransport(url, {
          serverCertificateHashes: [new Uint8Array(32)],
          limits: { connectTimeoutMs: 200 },
        }),
        (e: unknown) => isTransportError(e, 'TIMEOUT'),
      );
    } finally {
      silent.close();
    }
  });
});
