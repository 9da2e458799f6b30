// The MeetingControllerService calls that trigger restoring redundancy, through Connect's in-memory router transport:
// a handler registering, and a handler heartbeating healthy after it was unhealthy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createClient, createRouterTransport } from '@connectrpc/connect';
import { HealthStatus, MeetingControllerService } from '@darktower/protocol';
import { MemoryMeetingStore } from '../state/memory-meeting-store.ts';
import { Harness, MH1, MH2, silentLog } from '../testing/harness.ts';
import { meetingControllerRoutes } from './meeting-controller-rpc.ts';

const openStore = (clock: Parameters<Parameters<typeof Harness.start>[0]>[0]) =>
  Promise.resolve(new MemoryMeetingStore(clock));

test('a handler healthy again, and a handler registering, give participants short of a standby one', async () => {
  await using h = await Harness.start(openStore);
  const rpc = createClient(
    MeetingControllerService,
    createRouterTransport(
      meetingControllerRoutes({
        service: h.service,
        handlers: h.handlers,
        endpoint: 'https://mc.test',
        handlerHeartbeatIntervalMs: 1000,
        log: silentLog,
      }),
    ),
  );
  const meeting = randomUUID();
  h.handlers.markUnhealthy(MH2);
  const a = await h.join(meeting, 'a');
  assert.deepEqual(
    a.response.mediaServers.map((s) => s.handlerId),
    [MH1],
  );

  // MH2 heartbeats healthy again: a gets it as standby.
  await rpc.mediaHandlerHeartbeat({ handlerId: MH2, health: HealthStatus.HEALTHY, load: {} });
  const first = await a.client.next('mediaServersUpdate');
  assert.deepEqual(
    first.mediaServers.map((s) => s.handlerId),
    [MH1, MH2],
  );

  // b joins while MH2 is down again; a new handler registers: b gets it as standby.
  h.handlers.markUnhealthy(MH2);
  const b = await h.join(meeting, 'b');
  assert.deepEqual(
    b.response.mediaServers.map((s) => s.handlerId),
    [MH1],
  );
  await rpc.registerMediaHandler({
    handlerId: 'mh3',
    region: 'test',
    mediaUrl: 'https://mh3.test:4434',
    rpcUrl: 'http://mh3.test',
    capacity: { maxParticipants: 100, maxStreams: 1000 },
  });
  const second = await b.client.next('mediaServersUpdate');
  assert.deepEqual(
    second.mediaServers.map((s) => s.handlerId),
    [MH1, 'mh3'],
  );
});
