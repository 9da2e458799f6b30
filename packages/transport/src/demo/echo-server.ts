// Echo demo: a WebTransport server with a freshly minted development certificate, plus an HTTP page (a secure
// context on http://localhost) that connects to it with the certificate hash pinned and shows the echoes.
//   node --conditions=source --import tsx packages/transport/src/demo/echo-server.ts
// Options via environment: WT_PORT (default 4433), HTTP_PORT (default 8080).
import http from 'node:http';
import { createWebTransportServer } from '../webtransport/server.ts';
import { serveEcho } from './echo-handlers.ts';
import { echoPageHtml } from './echo-page.ts';

const wtPort = Number(process.env.WT_PORT ?? 4433);
const httpPort = Number(process.env.HTTP_PORT ?? 8080);

const server = createWebTransportServer({
  host: '127.0.0.1',
  port: wtPort,
  cert: 'dev',
  onRequest: (request) => (request.path === '/echo' ? { accept: true } : { accept: false, status: 404 }),
  onSession: (session, request) => {
    console.log(`session from ${request.remoteAddress} (origin ${request.origin ?? 'none'})`);
    serveEcho(session);
    void session.closed.then((info) => {
      console.log(`session closed: code ${String(info.closeCode)} ${info.reason}`);
    });
  },
  logger: {
    debug() {
      // quiet
    },
    info: (fields, message) => {
      console.log(message, fields);
    },
    warn: (fields, message) => {
      console.warn(message, fields);
    },
  },
});
const { port } = await server.listen();

const web = http.createServer((req, res) => {
  if (req.url !== '/') {
    res.writeHead(404).end();
    return;
  }
  // The hash is read per request: a renewed development certificate shows up on reload.
  const html = echoPageHtml({
    url: `https://127.0.0.1:${String(port)}/echo`,
    hash: server.certificateHash(),
  });
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(html);
});
web.listen(httpPort, '127.0.0.1', () => {
  console.log(`WebTransport echo on udp 127.0.0.1:${String(port)}`);
  console.log(`certificate sha-256 ${Buffer.from(server.certificateHash()).toString('hex')}`);
  console.log(`open http://localhost:${String(httpPort)}/ in Chromium`);
});

const stop = (): void => {
  web.close();
  void server.close('demo stopped').then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
