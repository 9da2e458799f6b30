// One contract suite for the Session interface, run against every implementation (memory, WebSocket, QUIC).
// Exported so each implementation's test file registers it with its own factory.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { Session } from '../session.ts';

export interface SessionPair {
  client: Session;
  server: Session;
  /** Releases servers/sockets the factory created. */
  cleanup(): Promise<void>;
}

async function readAll(readable: ReadableStream<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of readable) parts.push(chunk);
  return Buffer.concat(parts);
}

async function writeAll(
  writable: WritableStream<Uint8Array>,
  data: Uint8Array,
  chunk = 32 * 1024,
): Promise<void> {
  const w = writable.getWriter();
  for (let i = 0; i < data.byteLength; i += chunk) await w.write(data.subarray(i, i + chunk));
  await w.close();
}

async function next<T>(stream: ReadableStream<T>): Promise<T> {
  const reader = stream.getReader();
  try {
    const r = await reader.read();
    if (r.done) throw new Error('stream ended');
    return r.value;
  } finally {
    reader.releaseLock();
  }
}

function sha(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function runSessionContract(name: string, makePair: () => Promise<SessionPair>): void {
  describe(`Session contract: ${name}`, () => {
    const withPair = (title: string, body: (pair: SessionPair) => Promise<void>): void => {
      // A deadline only so that a broken implementation fails instead of hanging the run.
      test(title, { timeout: 30_000 }, async () => {
        const pair = await makePair();
        try {
          await body(pair);
        } finally {
          pair.client.close();
          pair.server.close();
          await pair.cleanup();
        }
      });
    };

    withPair('client-opened bidirectional stream echoes 2 MB intact', async ({ client, server }) => {
      const echo = next(server.incomingBidirectionalStreams).then((s) => s.readable.pipeTo(s.writable));
      const data = randomBytes(2 * 1024 * 1024);
      const s = await client.createBidirectionalStream();
      const [, back] = await Promise.all([writeAll(s.writable, data), readAll(s.readable), echo]);
      assert.equal(back.byteLength, data.byteLength);
      assert.equal(sha(back), sha(data));
    });

    withPair('server-opened bidirectional stream works', async ({ client, server }) => {
      const s = await server.createBidirectionalStream();
      const incoming = await next(client.incomingBidirectionalStreams);
      await Promise.all([
        writeAll(s.writable, new Uint8Array([1, 2, 3])),
        writeAll(incoming.writable, new Uint8Array([4])),
      ]);
      assert.deepEqual([...(await readAll(incoming.readable))], [1, 2, 3]);
      assert.deepEqual([...(await readAll(s.readable))], [4]);
    });

    withPair('unidirectional streams both ways', async ({ client, server }) => {
      const up = await client.createUnidirectionalStream();
      const down = await server.createUnidirectionalStream();
      const [atServer, atClient] = await Promise.all([
        next(server.incomingUnidirectionalStreams),
        next(client.incomingUnidirectionalStreams),
        writeAll(up, Buffer.from('up')),
        writeAll(down, Buffer.from('down')),
      ]);
      assert.equal((await readAll(atServer)).toString(), 'up');
      assert.equal((await readAll(atClient)).toString(), 'down');
    });

    withPair('100 concurrent streams each carry their own bytes', async ({ client, server }) => {
      const serverSide = (async () => {
        const reader = server.incomingUnidirectionalStreams.getReader();
        const got = new Map<string, string>();
        for (let i = 0; i < 100; i++) {
          const r = await reader.read();
          if (r.done) break;
          const text = (await readAll(r.value)).toString();
          got.set(text.split(':')[0] ?? '', text);
        }
        reader.releaseLock();
        return got;
      })();
      await Promise.all(
        Array.from({ length: 100 }, async (_, i) => {
          const w = await client.createUnidirectionalStream();
          await writeAll(w, Buffer.from(`${i}:${'x'.repeat(i * 10)}`));
        }),
      );
      const got = await serverSide;
      assert.equal(got.size, 100);
      for (let i = 0; i < 100; i++) assert.equal(got.get(String(i)), `${i}:${'x'.repeat(i * 10)}`);
    });

    withPair('datagrams both ways', async ({ client, server }) => {
      assert.ok(client.datagrams.maxDatagramSize >= 1000);
      const serverReader = server.datagrams.readable.getReader();
      const clientReader = client.datagrams.readable.getReader();
      const cw = client.datagrams.writable.getWriter();
      const sw = server.datagrams.writable.getWriter();
      await cw.write(Buffer.from('ping'));
      const atServer = await serverReader.read();
      assert.equal(Buffer.from(atServer.value ?? []).toString(), 'ping');
      await sw.write(Buffer.from('pong'));
      const atClient = await clientReader.read();
      assert.equal(Buffer.from(atClient.value ?? []).toString(), 'pong');
      cw.releaseLock();
      sw.releaseLock();
      serverReader.releaseLock();
      clientReader.releaseLock();
    });

    withPair(
      'batched datagram fast path (onDatagrams / sendDatagrams), then back to the stream',
      async ({ client, server }) => {
        if (!server.onDatagrams || !client.sendDatagrams) {
          // The fast path is optional; an implementation without it must still have neither half.
          assert.equal('onDatagrams' in server, false);
          assert.equal('sendDatagrams' in client, false);
          return;
        }
        const payloads = Array.from({ length: 20 }, (_, i) => Buffer.from(`datagram ${String(i)}`));
        const tooLarge = new Uint8Array(client.datagrams.maxDatagramSize + 1);
        const received: string[] = [];
        let batches = 0;
        const all = new Promise<void>((resolve) => {
          const remove = server.onDatagrams?.((batch) => {
            batches++;
            for (const d of batch) received.push(Buffer.from(d).toString());
            if (received.length >= payloads.length) {
              remove?.();
              resolve();
            }
          });
        });
        client.sendDatagrams([...payloads.slice(0, 10), tooLarge, ...payloads.slice(10)]);
        await all;
        assert.deepEqual(
          [...received].sort(),
          payloads.map((p) => p.toString()).sort(),
          'every datagram once, the oversized one dropped',
        );
        assert.ok(batches >= 1 && batches <= payloads.length);
        // With the handler removed, the W3C readable gets datagrams again.
        const reader = server.datagrams.readable.getReader();
        const w = client.datagrams.writable.getWriter();
        await w.write(Buffer.from('after'));
        const r = await reader.read();
        assert.equal(Buffer.from(r.value ?? []).toString(), 'after');
        w.releaseLock();
        reader.releaseLock();
      },
    );

    withPair('close code and reason reach the peer; both sides end', async ({ client, server }) => {
      client.close({ closeCode: 4242, reason: 'bye now' });
      const [atServer, atClient] = await Promise.all([server.closed, client.closed]);
      assert.deepEqual(atServer, { closeCode: 4242, reason: 'bye now' });
      assert.equal(atClient.closeCode, 4242);
      await assert.rejects(client.createBidirectionalStream());
    });

    withPair(
      'a reader that stops reading stalls its writer (no unbounded buffering)',
      async ({ client, server }) => {
        const w = (await client.createUnidirectionalStream()).getWriter();
        const incoming = await Promise.all([
          next(server.incomingUnidirectionalStreams),
          w.write(new Uint8Array(1)),
        ]);
        let written = 0;
        let stalled = false;
        while (written < 64 * 1024 * 1024) {
          const write = w.write(new Uint8Array(64 * 1024));
          const result = await Promise.race([
            write.then(() => 'done' as const),
            new Promise<'stalled'>((resolve) =>
              setTimeout(() => {
                resolve('stalled');
              }, 500),
            ),
          ]);
          if (result === 'stalled') {
            stalled = true;
            break;
          }
          written += 64 * 1024;
        }
        assert.ok(stalled, `writer never stalled after ${written} bytes`);
        await incoming[0].cancel();
      },
    );
  });
}
