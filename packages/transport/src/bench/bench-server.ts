// Child process of the transport benchmark: a WebTransport server (/echo echoes, /sink counts) and a plain
// node:dgram UDP relay as the baseline, so the parent can read this process's CPU time alone.
import dgram from 'node:dgram';
import { createWebTransportServer } from '../webtransport/server.ts';
import { serveEcho } from '../demo/echo-handlers.ts';
import type { Session } from '../session.ts';

let datagrams = 0;
let streamBytes = 0;

function sink(session: Session): void {
  void (async () => {
    for await (const readable of session.incomingUnidirectionalStreams) {
      void (async () => {
        for await (const chunk of readable) streamBytes += chunk.length;
      })().catch(() => undefined);
    }
  })();
  void (async () => {
    for await (const _ of session.datagrams.readable) datagrams++;
  })();
}

const server = createWebTransportServer({
  cert: 'dev',
  limits: { maxConnections: 1000, maxConnectionsPerIp: 1000, maxDatagramQueue: 4096 },
  onSession: (session, request) => {
    if (request.path === '/sink') sink(session);
    else serveEcho(session);
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
  if (m.cmd === 'stats') process.send?.({ cpu: process.cpuUsage(), datagrams, streamBytes });
  if (m.cmd === 'stop') {
    relay.close();
    void server.close().then(() => process.exit(0));
  }
});
process.send?.({ port, relayPort: relay.address().port, hash: [...server.certificateHash()] });
