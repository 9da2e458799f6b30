// Free ports on loopback for the cluster's processes (TCP for HTTP, UDP for WebTransport). A port found free can
// still be taken before the process binds it; the supervisor's readiness check catches that.
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
export function freeTcpPort(host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}
/** A port free for both UDP and TCP (WebTransport on UDP; the same number is then safe to reuse for nothing else). */
export async function freeUdpPort(host = '127.0.0.1') {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await freeTcpPort(host);
    const ok = await new Promise((resolve) => {
      const socket = createSocket('udp4');
      socket.once('error', () => {
        socket.close();
        resolve(false);
      });
      socket.bind(port, host, () => {
        socket.close(() => {
          resolve(true);
        });
      });
    });
    if (ok) return port;
  }
  throw new Error('no free UDP port found');
}
//# sourceMappingURL=ports.js.map
