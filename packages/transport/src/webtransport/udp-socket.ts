// The UDP socket both roles use. Node's dgram resolves the address of every send() through dns.lookup, which
// costs a process.nextTick hop and two closures per packet even for an IP literal; every address we send to is
// already an IP (the peer's, from the received packet or resolved once at connect), so IP literals are answered
// synchronously and only names (a server host such as "localhost" at bind time) go to dns.lookup.
import dgram from 'node:dgram';
import { lookup as dnsLookup } from 'node:dns';
import { isIP } from 'node:net';

const SOCKET_BUFFER_BYTES = 4 << 20;

type Lookup = NonNullable<dgram.SocketOptions['lookup']>;

const ipLookup: Lookup = (hostname, options, callback) => {
  const family = isIP(hostname);
  if (family !== 0) {
    callback(null, hostname, family);
    return;
  }
  dnsLookup(hostname, options, callback);
};

export function createUdpSocket(type: 'udp4' | 'udp6'): dgram.Socket {
  return dgram.createSocket({
    type,
    recvBufferSize: SOCKET_BUFFER_BYTES,
    sendBufferSize: SOCKET_BUFFER_BYTES,
    lookup: ipLookup,
  });
}
