// Child process of the transport benchmark: a WebTransport server and a plain node:dgram UDP relay as the
// baseline, so the parent can read this process's CPU time alone. Paths: /sink counts datagrams read from
// `datagrams.readable` (and stream bytes), /sink-batched counts them through `onDatagrams`, /echo echoes through
// the W3C streams, /echo-batched through `onDatagrams` + `sendDatagrams` (what the SFU does).
import dgram from 'node:dgram';
import { createWebTransportServer } from '../webtransport/server.ts';
import type { Session } from '../session.ts';

let datagrams = 0;
let streamBytes = 0;

function countStreams(session: Session): void {
  void (async () => {
    for await (const readable of session.incomingUnidirectionalStreams) {
      void (async () => {
        for await (const chunk of readable) streamBytes += chunk.length;
      })().catch(() => undefined);
    }
  })().catch(() => undefined);
}

function sink(session: Session): void {
  countStreams(session);
  void (async () => {
    for await (const _ of session.datagrams.readable) datagrams++;
  })().catch(() => undefined);
}

function sinkBatched(session: Session): void {
  countStreams(session);
  session.onDatagrams?.((batch) => {
    datagrams += batch.length;
  });
}

function echo(session: Session): void {
  void (async () => {
    const writer = session.datagrams.writable.getWriter();
    for await (const datagram of session.datagrams.readable) {
      datagrams++;
      await writer.write(datagram).catch(() => undefined);
    }
  })().catch(() => undefined);
}

function echoBatched(session: Session): void {
  session.onDatagrams?.((batch) => {
    datagrams += batch.length;
    session.sendDatagrams?.(batch);
  });
}

const handlers: Record<string, (s: Session) => void> = {
  '/sink': sink,
  '/sink-batched': sinkBatched,
  '/echo': echo,
  '/echo-batched': echoBatched,
};

const server = createWebTransportServer({
  cert: 'dev',
  limits: { maxConnections: 1000, maxConnectionsPerIp: 1000, maxDatagramQueue: 4096 },
  onSession: (session, request) => {
    (handlers[request.path] ?? sink)(session);
  },
});
const { port } = await server.listen();

const relay = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
relay.on('message', (msg, rinfo) => {
  datagrams++;
  relay.send(msg, rinfo.port, rinfo.address);
});
await new Promise<void>((resolve) => relay.bind(0, '127.0.0.1', resolve));

process.on('message', (m: { cmd: string }) => {
  if (m.cmd === 'stats') {
    let packetsSent = 0;
    let packetsReceived = 0;
    for (const c of server.connectionStats()) {
      packetsSent += c.packetsSent;
      packetsReceived += c.packetsReceived;
    }
    process.send?.({ cpu: process.cpuUsage(), datagrams, streamBytes, packetsSent, packetsReceived });
  }
  if (m.cmd === 'stop') {
    relay.close();
    void server.close().then(() => process.exit(0));
  }
});
process.send?.({ port, relayPort: relay.address().port, hash: [...server.certificateHash()] });
