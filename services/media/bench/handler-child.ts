// The media handler under benchmark, in its own process: the transport-neutral core behind the real QUIC server.
// Driven over IPC by bench/media-bench.ts (register participants, route, report CPU and memory).
import { create } from '@bufbuild/protobuf';
import { RouteMediaRequestSchema } from '@darktower/protocol';
import { createWebTransportServer } from '@darktower/transport';
import { MediaHandlerCore } from '../src/media-handler.ts';
import { coreOptions, register } from '../src/testing/harness.ts';

type Command =
  | { type: 'register'; id: number; participantId: string }
  | { type: 'route'; id: number; source: string; to: string[]; version: number }
  | { type: 'stats'; id: number }
  | { type: 'exit' };

const core = new MediaHandlerCore(coreOptions({ output: { maxFrames: 256, maxBytes: 4 << 20 } }));
const server = createWebTransportServer({
  cert: 'dev',
  port: 0,
  limits: { maxConnectionsPerIp: 1024 },
  onSession: (s) => {
    core.acceptSession(s);
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
      });
      break;
    case 'exit':
      core.close();
      void server.close().then(() => process.exit(0));
      break;
  }
});
