// Hostile peers against a real server: each offender is closed with the HTTP/3 error the RFCs name, and a
// concurrent well-behaved session on another connection keeps working.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import type { Session } from '../src/session.ts';
import { CAPSULE } from '../src/h3/capsules.ts';
import { FRAME, encodeFrame } from '../src/h3/frames.ts';
import { H3_CODES } from '../src/h3/h3-error.ts';
import { encodeVarint } from '../src/h3/varint.ts';
import { connectWithInternals, type ClientInternals } from '../src/webtransport/client.ts';
import { QuicStream } from '../src/webtransport/quic-stream.ts';
import { isTransportError } from '../src/webtransport/transport-error.ts';
import { serveEcho } from '../src/demo/echo-handlers.ts';
import { echoOnce, startEchoServer, within, type TestServer } from './helpers.ts';

const text = new TextEncoder();
const untext = new TextDecoder();

async function rawClient(t: TestServer): Promise<ClientInternals> {
  return connectWithInternals(t.url, { serverCertificateHashes: [t.hash] });
}

async function assertHealthy(session: Session, label: string): Promise<void> {
  const echoed = await within(echoOnce(session, text.encode(label)), 5000, `healthy echo ${label}`);
  assert.equal(untext.decode(echoed), label);
}

function hex(code: number): string {
  return `0x${code.toString(16)}`;
}

describe('hostile peers', () => {
  test('a client takes packets only from its server (RFC 9000 section 9): an off-path sender reaches nothing', async () => {
    const t = await startEchoServer();
    const sources: number[] = [];
    let clientPort = 0;
    const client = await connectWithInternals(
      t.url,
      { serverCertificateHashes: [t.hash] },
      {
        onSocket: (socket) => {
          clientPort = socket.address().port;
        },
        onConnection: (connection) => {
          const receive = connection.receive.bind(connection);
          connection.receive = (packet, host, port) => {
            sources.push(port);
            receive(packet, host, port);
          };
        },
      },
    );
    const intruder = dgram.createSocket('udp4');
    try {
      await assertHealthy(client.session, 'before');
      await new Promise<void>((resolve) => intruder.bind(0, '127.0.0.1', resolve));
      // Short-header packets aimed at the client's port, as an attacker who learnt it would send.
      for (let i = 0; i < 50; i++) {
        const packet = randomBytes(100);
        packet[0] = 0x40;
        await new Promise<void>((resolve) => {
          intruder.send(packet, clientPort, '127.0.0.1', () => {
            resolve();
          });
        });
      }
      await assertHealthy(client.session, 'after');
      assert.ok(sources.length > 0, 'the server was heard');
      assert.deepEqual(new Set(sources), new Set([t.port]), 'nothing but the server reached the connection');
    } finally {
      intruder.close();
      client.session.close();
      await t.server.close();
    }
  });

  test('garbage UDP packets are ignored', async () => {
    const t = await startEchoServer();
    try {
      const healthy = await t.connect();
      const socket = dgram.createSocket('udp4');
      for (let i = 0; i < 200; i++) {
        const size = 1 + ((i * 37) % 1400);
        const packet = randomBytes(size);
        if (i % 3 === 0) packet[0] = 0xc0; // looks like a long header
        if (i % 5 === 0) packet[0] = 0x40; // looks like a short header
        await new Promise<void>((resolve) => {
          socket.send(packet, t.port, '127.0.0.1', () => {
            resolve();
          });
        });
      }
      socket.close();
      await assertHealthy(healthy, 'after garbage');
      const fresh = await t.connect();
      await assertHealthy(fresh, 'new after garbage');
      healthy.close();
      fresh.close();
    } finally {
      await t.server.close();
    }
  });

  test('a HEADERS frame on the control stream closes that connection with H3_FRAME_UNEXPECTED', async () => {
    const t = await startEchoServer();
    try {
      const healthy = await t.connect();
      const bad = await rawClient(t);
      bad.connection.raw.write(2, encodeFrame(FRAME.HEADERS, new Uint8Array([0, 0])), false);
      const info = await within(bad.session.closed, 5000, 'offender closed');
      assert.match(info.reason, new RegExp(`error ${hex(H3_CODES.FRAME_UNEXPECTED)}`));
      await assertHealthy(healthy, 'after bad frame');
      healthy.close();
    } finally {
      await t.server.close();
    }
  });

  test('an oversized header block closes that connection with H3_EXCESSIVE_LOAD', async () => {
    const t = await startEchoServer({ limits: { maxHeaderBytes: 1024 } });
    try {
      const healthy = await t.connect();
      const bad = await rawClient(t);
      const id = bad.connection.raw.nextStreamId(true);
      bad.connection.raw.write(id, encodeFrame(FRAME.HEADERS, new Uint8Array(4000)), false);
      const info = await within(bad.session.closed, 5000, 'offender closed');
      assert.match(info.reason, new RegExp(`error ${hex(H3_CODES.EXCESSIVE_LOAD)}`));
      await assertHealthy(healthy, 'after oversized header');
      healthy.close();
    } finally {
      await t.server.close();
    }
  });

  test('a malformed capsule ends that session (H3_MESSAGE_ERROR) but not the others', async () => {
    const t = await startEchoServer();
    try {
      const healthy = await t.connect();
      const bad = await rawClient(t);
      // CLOSE_WEBTRANSPORT_SESSION must carry at least a 4-byte code; this one carries 2 bytes.
      const capsule = Uint8Array.from([...encodeVarint(CAPSULE.CLOSE_WEBTRANSPORT_SESSION), 2, 0, 1]);
      bad.connection.raw.write(0, encodeFrame(FRAME.DATA, capsule), false);
      const serverSide = t.sessions[1];
      assert.ok(serverSide);
      const serverInfo = await within(serverSide.closed, 5000, 'server session ends');
      assert.match(serverInfo.reason, /malformed capsule/);
      const clientInfo = await within(bad.session.closed, 5000, 'client session ends');
      assert.match(clientInfo.reason, /reset/);
      await assertHealthy(healthy, 'after bogus capsule');
      healthy.close();
    } finally {
      await t.server.close();
    }
  });

  test('unknown capsules and GREASE are ignored', async () => {
    const t = await startEchoServer();
    try {
      const c = await rawClient(t);
      const grease = Uint8Array.from([...encodeVarint(0x29 * 0x1f + 0x21), 3, 1, 2, 3]);
      c.connection.raw.write(0, encodeFrame(FRAME.DATA, grease), false);
      c.connection.raw.write(0, encodeFrame(0x21, new Uint8Array(5)), false); // reserved frame type
      await assertHealthy(c.session, 'after grease');
      c.session.close();
    } finally {
      await t.server.close();
    }
  });

  test('a stream for an unknown session is rejected (STOP_SENDING) and the session goes on', async () => {
    const t = await startEchoServer();
    try {
      const c = await rawClient(t);
      const id = c.connection.raw.nextStreamId(false);
      // A WebTransport uni stream (0x54) naming session 400, which does not exist.
      const stream = new QuicStream(c.connection, id, {
        read: false,
        write: true,
        prefix: Uint8Array.from([0x40, 0x54, ...encodeVarint(400)]),
      });
      const writable = stream.writable;
      assert.ok(writable);
      const writer = writable.getWriter();
      const writeUntilStopped = async (): Promise<unknown> => {
        for (;;) {
          try {
            await writer.write(new Uint8Array(1000));
          } catch (e) {
            return e;
          }
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      };
      const error = await within(writeUntilStopped(), 5000, 'stream stopped');
      assert.ok(isTransportError(error, 'STREAM_STOPPED') || isTransportError(error, 'STREAM_RESET'));
      if (isTransportError(error, 'STREAM_STOPPED'))
        assert.equal(error.status, H3_CODES.WT_BUFFERED_STREAM_REJECTED);
      assert.equal(t.server.connectionStats()[0]?.streamsRejected, 1);
      await assertHealthy(c.session, 'same session after unknown-session stream');
      c.session.close();
    } finally {
      await t.server.close();
    }
  });

  test('a stream naming a non-request stream as session closes with H3_ID_ERROR', async () => {
    const t = await startEchoServer();
    try {
      const healthy = await t.connect();
      const bad = await rawClient(t);
      const id = bad.connection.raw.nextStreamId(false);
      bad.connection.raw.write(id, Uint8Array.from([0x40, 0x54, ...encodeVarint(2)]), false);
      const info = await within(bad.session.closed, 5000, 'offender closed');
      assert.match(info.reason, new RegExp(`error ${hex(H3_CODES.ID_ERROR)}`));
      await assertHealthy(healthy, 'after id error');
      healthy.close();
    } finally {
      await t.server.close();
    }
  });

  test('a datagram flood is bounded (oldest dropped, counted) and other sessions keep working', async () => {
    const floodTarget: Session[] = [];
    const t = await startEchoServer({
      limits: { maxDatagramQueue: 64 },
      onSession: (s) => {
        // The first session's datagrams are never read; the others are echo sessions.
        if (floodTarget.length === 0) floodTarget.push(s);
        else serveEcho(s);
      },
    });
    try {
      const flooder = await rawClient(t);
      const healthy = await t.connect();
      const payload = new Uint8Array(1000);
      const writer = flooder.session.datagrams.writable.getWriter();
      for (let i = 0; i < 5000; i++) {
        await writer.write(payload);
        if (i % 200 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      await assertHealthy(healthy, 'during flood');
      const target = floodTarget[0];
      assert.ok(target);
      // Either quiche's bounded receive queue or our bounded session queue dropped the excess.
      const waitForDrops = async (): Promise<number> => {
        for (;;) {
          const dropped = target.stats().datagramsDropped;
          const received = target.stats().packetsReceived;
          if (dropped > 0 || received > 4000) return dropped;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      };
      const dropped = await within(waitForDrops(), 5000, 'drops counted');
      assert.ok(dropped > 0, 'dropped datagrams are counted');
      flooder.session.close();
      healthy.close();
    } finally {
      await t.server.close();
    }
  });

  test('a connection that never sends its CONNECT is closed after connectTimeoutMs', async () => {
    const t = await startEchoServer({ limits: { connectTimeoutMs: 300 } });
    try {
      const healthy = await t.connect();
      const attempt = connectWithInternals(
        t.url,
        { serverCertificateHashes: [t.hash], limits: { connectTimeoutMs: 10_000 } },
        { skipConnect: true },
      );
      await assert.rejects(within(attempt, 5000, 'stalled connect'), (e: unknown) => {
        assert.ok(isTransportError(e, 'CONNECT_FAILED'));
        assert.match(e.message, new RegExp(`error ${hex(H3_CODES.REQUEST_REJECTED)}`));
        return true;
      });
      await assertHealthy(healthy, 'after stalled connect');
      healthy.close();
    } finally {
      await t.server.close();
    }
  });

  test('streams beyond maxStreamsPerSession are refused; the session stays open', async () => {
    const t = await startEchoServer({
      limits: { maxStreamsPerSession: 4 },
      onSession: () => {
        // Accept nothing: opened streams stay open and count against the limit.
      },
    });
    try {
      const c = await rawClient(t);
      const writers = await Promise.all(
        Array.from({ length: 6 }, async () => {
          const w = (await c.session.createUnidirectionalStream()).getWriter();
          await w.write(Uint8Array.from([1]));
          return w;
        }),
      );
      const refused = async (): Promise<number> => {
        for (;;) {
          const n = t.server.connectionStats()[0]?.streamsRejected ?? 0;
          if (n >= 2) return n;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      };
      assert.equal(await within(refused(), 5000, 'refusals'), 2);
      assert.equal(t.server.connectionStats()[0]?.sessions, 1);
      for (const w of writers) w.releaseLock();
      c.session.close();
    } finally {
      await t.server.close();
    }
  });

  test('connections beyond maxConnectionsPerIp are not accepted', async () => {
    const t = await startEchoServer({ limits: { maxConnectionsPerIp: 1 } });
    try {
      const first = await t.connect();
      await assert.rejects(t.connect({ limits: { connectTimeoutMs: 500 } }), (e: unknown) =>
        isTransportError(e, 'TIMEOUT'),
      );
      await assertHealthy(first, 'the admitted connection');
      first.close();
    } finally {
      await t.server.close();
    }
  });
});
