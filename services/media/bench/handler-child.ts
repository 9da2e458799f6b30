// The media handler under benchmark, in its own process: the transport-neutral core behind the real QUIC server.
// Driven over IPC by bench/media-bench.ts (register participants, route, report CPU and memory).
import { create } from '@bufbuild/protobuf';
import { RouteMediaRequestSchema } from '@darktower/protocol';
import { createWebTransportServer, type Session } from '@darktower/transport';
import { MediaHandlerCore } from '../src/media-handler.ts';
import { coreOptions, register } from '../src/testing/harness.ts';

type Command =
  | { type: 'register'; id: number; participantId: string }
  | { type: 'route'; id: number; source: string; to: string[]; version: number }
  | { type: 'stats'; id: number }
  | { type: 'exit' };

// BENCH_DATAGRAMS=1: audio frames as datagrams both ways (the datagram forwarding path), no datagram rate limit.
const datagrams = process.env.BENCH_DATAGRAMS === '1';
const core = new MediaHandlerCore(
  coreOptions({
    output: { maxFrames: 256, maxBytes: 4 << 20 },
    ...(datagrams
      ? {
          connection: {
            maxPayloadLength: 1 << 20,
            maxIngestStreams: 16,
            datagramsPerSecond: 1_000_000,
            audioAsDatagrams: true,
          },
        }
      : {}),
  }),
);
/** BENCH_UNBATCHED=1: the session without its batched datagram methods (the W3C path, for a before/after). */
function withoutBatching(session: Session): Session {
  return new Proxy(session, {
    get(target, key) {
      if (key === 'onDatagrams' || key === 'sendDatagrams') return undefined;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

const server = createWebTransportServer({
  cert: 'dev',
  port: 0,
  limits: { maxConnectionsPerIp: 1024 },
  onSession: (s) => {
    core.acceptSession(process.env.BENCH_UNBATCHED === '1' ? withoutBatching(s) : s);
  },
});
const addr = await server.listen();
const send = (m: unknown): void => {
  process.send?.(m);
};
send({
  type: 'ready',
  url: `https://127.0.0.1:${addr.port}/media`,
  hash: Buffer.from(server.certificateHash()).toString('base64'),
});

process.on('message', (m: Command) => {
  switch (m.type) {
    case 'register':
      send({ id: m.id, ...register(core, 'bench', m.participantId) });
      break;
    case 'route':
      core.routeMedia(
        create(RouteMediaRequestSchema, {
          meetingId: 'bench',
          planVersion: BigInt(m.version),
          commands: [{ sourceStreamId: m.source, destinationParticipantIds: m.to }],
        }),
      );
      send({ id: m.id });
      break;
    case 'stats':
      send({
        id: m.id,
        cpu: process.cpuUsage(),
        mem: process.memoryUsage(),
        totals: core.forwarder.totals(),
        // UDP packets through the handler's QUIC connections (both directions, every connection).
        packets: server
          .connectionStats()
          .reduce(
            (sum, c) => ({ sent: sum.sent + c.packetsSent, received: sum.received + c.packetsReceived }),
            { sent: 0, received: 0 },
          ),
      });
      break;
    case 'exit':
      core.close();
      void server.close().then(() => process.exit(0));
      break;
  }
});
