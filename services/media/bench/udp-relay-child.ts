// Baseline: the plainest possible relay. Every datagram from a publisher goes to every subscriber that said "SUB".
// No parsing, no queues, no QUIC: what forwarding costs in Node when it does nothing else.
import dgram from 'node:dgram';

const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 8 << 20, sendBufferSize: 8 << 20 });
const subscribers: { port: number; address: string }[] = [];
let forwarded = 0;
socket.on('message', (msg, rinfo) => {
  if (msg.length === 3 && msg.toString() === 'SUB') {
    subscribers.push({ port: rinfo.port, address: rinfo.address });
    socket.send('OK', rinfo.port, rinfo.address);
    return;
  }
  for (const s of subscribers) {
    socket.send(msg, s.port, s.address);
    forwarded++;
  }
});
socket.bind(0, '127.0.0.1', () => {
  process.send?.({ type: 'ready', port: socket.address().port });
});
process.on('message', (m: { type: string; id?: number }) => {
  if (m.type === 'stats')
    process.send?.({ id: m.id, cpu: process.cpuUsage(), mem: process.memoryUsage(), forwarded });
  if (m.type === 'exit') socket.close(() => process.exit(0));
});
