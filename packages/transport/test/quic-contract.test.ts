// The shared Session contract suite, run against the QUIC implementation (real sockets on loopback).
import type { Session } from '../src/session.ts';
import { runSessionContract } from '../src/testing/session-contract.ts';
import { connectWebTransport } from '../src/webtransport/client.ts';
import { createWebTransportServer } from '../src/webtransport/server.ts';

runSessionContract('QUIC (WebTransport over HTTP/3)', async () => {
  let deliver!: (s: Session) => void;
  const serverSession = new Promise<Session>((resolve) => (deliver = resolve));
  const server = createWebTransportServer({
    cert: 'dev',
    onSession: (s) => {
      deliver(s);
    },
  });
  const { port } = await server.listen();
  const client = await connectWebTransport(`https://127.0.0.1:${String(port)}/contract`, {
    serverCertificateHashes: [server.certificateHash()],
  });
  return {
    client,
    server: await serverSession,
    cleanup: () => server.close(),
  };
});
