import { test } from 'node:test';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Code, ConnectError } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { GlobalControllerService } from '@darktower/protocol';
import type { RoomLogger } from '../signaling/room-types.ts';
import { GlobalControllerLink } from './global-controller-link.ts';

/** A Global Controller over the real Connect wire that can be taken down (every call fails) and back. */
async function fakeGc() {
  const state = { down: false, registrations: [] as number[], heartbeats: 0 };
  const unavailable = (): never => {
    throw new ConnectError('redis unreachable', Code.Unavailable);
  };
  const server = createServer(
    connectNodeAdapter({
      routes: (router) => {
        router.service(GlobalControllerService, {
          registerMeetingController: () => {
            if (state.down) unavailable();
            state.registrations.push(Date.now());
            return { heartbeatIntervalMs: 100, assignments: [] };
          },
          heartbeat: () => {
            if (state.down) unavailable();
            state.heartbeats++;
            return { reregister: false, heartbeatIntervalMs: 100, assignments: [] };
          },
          deregisterMeetingController: () => ({}),
        });
      },
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
  return {
    state,
    url,
    [Symbol.asyncDispose]: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  };
}

async function until(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const silent: RoomLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

test('after a failed heartbeat the link registers again within retryMs, not a whole default interval later', async () => {
  await using gc = await fakeGc();
  const link = new GlobalControllerLink({
    url: gc.url,
    controllerId: 'mc-test',
    region: 'test',
    endpoint: 'https://127.0.0.1:1',
    rpcEndpoint: 'http://127.0.0.1:2',
    certificateHashes: () => [],
    capacity: () => ({ maxMeetings: 1, currentMeetings: 0, maxParticipants: 1, currentParticipants: 0 }),
    meetingIds: () => [],
    onAssignments: () => Promise.resolve(),
    log: silent,
    // Long enough that waiting for it would time the test out; the retry must come first.
    defaultIntervalMs: 60_000,
    retryMs: 200,
  });
  try {
    await link.start();
    await until(() => gc.state.heartbeats >= 2, 'heartbeats');
    gc.state.down = true;
    await until(() => !link.registered, 'the failed heartbeat');
    gc.state.down = false;
    const before = gc.state.registrations.length;
    await until(() => gc.state.registrations.length > before && link.registered, 'the registration again');
  } finally {
    await link.close();
  }
});
