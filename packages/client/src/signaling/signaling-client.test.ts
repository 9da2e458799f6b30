// SignalingClient against a scripted controller over an in-memory session: unsolicited messages held until the
// owner releases them (none lost, order kept), an unanswered heartbeat ends the session, and a stream that ends while
// a request is being written fails that request (no unhandled rejection).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import {
  ClientMessageSchema,
  MessageWriter,
  ServerMessageSchema,
  readMessages,
  type ClientMessage,
} from '@darktower/protocol';
import { createMemorySessionPair, type Session } from '@darktower/transport';
import { isClientError } from '../core/client-error.ts';
import type { SignalingState } from './signaling-state.ts';
import { SignalingClient } from './signaling-client.ts';

/** The controller's side: answers the join, then sends `after` unsolicited; never answers a heartbeat. */
function scriptedController(
  server: Session,
  after: readonly string[],
  mlsAfter = false,
): { received: ClientMessage[] } {
  const received: ClientMessage[] = [];
  const reader = server.incomingBidirectionalStreams.getReader();
  void (async () => {
    const { value: stream } = await reader.read();
    if (stream === undefined) return;
    const writer = new MessageWriter(stream.writable, ServerMessageSchema);
    for await (const m of readMessages(stream.readable, ClientMessageSchema)) {
      received.push(m);
      if (m.kind.case !== 'join') continue;
      await writer.write(
        create(ServerMessageSchema, {
          requestId: m.requestId,
          kind: { case: 'joinResponse', value: { participantId: 'me', heartbeatIntervalMs: 1_000 } },
        }),
      );
      for (const id of after) {
        await writer.write(
          create(ServerMessageSchema, {
            kind: { case: 'participantJoined', value: { participant: { participantId: id } } },
          }),
        );
      }
      if (mlsAfter)
        await writer.write(
          create(ServerMessageSchema, { kind: { case: 'mlsKeyPackageRequest', value: {} } }),
        );
    }
  })().catch(() => undefined);
  return { received };
}

test('held events: nothing sent after the JoinResponse is lost before releaseEvents, and order is kept', async () => {
  const [client, server] = createMemorySessionPair();
  scriptedController(server, ['p1', 'p2', 'p3']);
  const signaling = await SignalingClient.open(client, { holdEvents: true });
  try {
    const response = await signaling.join({ case: 'join', value: { meetingId: 'm', joinToken: 't' } });
    assert.equal(response.participantId, 'me');
    // Work between the JoinResponse and the listeners (the Meeting opens its media connections here).
    await new Promise((resolve) => setTimeout(resolve, 100));
    const seen: string[] = [];
    signaling.events.on('participantJoined', (m) => seen.push(m.participant?.participantId ?? ''));
    assert.deepEqual(seen, []);
    signaling.releaseEvents();
    assert.deepEqual(seen, ['p1', 'p2', 'p3']);
    signaling.releaseEvents(); // idempotent: nothing twice
    assert.deepEqual(seen, ['p1', 'p2', 'p3']);
  } finally {
    await signaling.close();
  }
});

test('unheld kinds (the MLS messages) are emitted at once while the rest stays held, in order', async () => {
  const [client, server] = createMemorySessionPair();
  scriptedController(server, ['p1', 'p2'], true);
  const signaling = await SignalingClient.open(client, {
    holdEvents: true,
    unheld: ['mlsKeyPackageRequest'],
  });
  try {
    const seen: string[] = [];
    signaling.events.on('participantJoined', (m) => seen.push(m.participant?.participantId ?? ''));
    const asked = new Promise<void>((resolve) => {
      signaling.events.on('mlsKeyPackageRequest', () => {
        seen.push('kp');
        resolve();
      });
    });
    await signaling.join({ case: 'join', value: { meetingId: 'm', joinToken: 't' } });
    await asked; // before releaseEvents: a held KeyPackage request would wait here for ever
    assert.deepEqual(seen, ['kp']);
    signaling.releaseEvents();
    assert.deepEqual(seen, ['kp', 'p1', 'p2']);
  } finally {
    await signaling.close();
  }
});

test('an unanswered heartbeat ends the session (TIMEOUT) instead of waiting for the transport', async () => {
  const [client, server] = createMemorySessionPair();
  const controller = scriptedController(server, []);
  const signaling = await SignalingClient.open(client, { requestTimeoutMs: 300 });
  try {
    const ended = new Promise<SignalingState>((resolve) => {
      signaling.events.on('stateChanged', (s) => {
        if (s.state === 'disconnected') resolve(s);
      });
    });
    await signaling.join({ case: 'join', value: { meetingId: 'm', joinToken: 't' } });
    const state = await ended;
    assert.ok(state.state === 'disconnected' && isClientError(state.error, 'TIMEOUT'), state.state);
    assert.ok(controller.received.some((m) => m.kind.case === 'heartbeat'));
  } finally {
    await signaling.close();
  }
});

test('the stream ends while a request is still being written: the request fails CLOSED, nothing unhandled', async () => {
  const [client, server] = createMemorySessionPair();
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };
  process.on('unhandledRejection', onUnhandled);
  // A controller that answers the join, then stops reading (our writes back up) and ends its side of the stream.
  const reader = server.incomingBidirectionalStreams.getReader();
  const endStream = Promise.withResolvers<undefined>();
  void (async () => {
    const { value: stream } = await reader.read();
    if (stream === undefined) return;
    const writer = new MessageWriter(stream.writable, ServerMessageSchema);
    const messages = readMessages(stream.readable, ClientMessageSchema)[Symbol.asyncIterator]();
    const join = await messages.next();
    if (join.done === true) return;
    await writer.write(
      create(ServerMessageSchema, {
        requestId: join.value.requestId,
        kind: { case: 'joinResponse', value: { participantId: 'me', heartbeatIntervalMs: 60_000 } },
      }),
    );
    await endStream.promise;
    await writer.close();
  })().catch(() => undefined);
  const signaling = await SignalingClient.open(client);
  try {
    await signaling.join({ case: 'join', value: { meetingId: 'm', joinToken: 't' } });
    // Fill what the stream buffers, so that the next write waits.
    const backlog: Promise<void>[] = [];
    for (let i = 0; i < 64; i++)
      backlog.push(signaling.send({ case: 'heartbeat', value: { clientTimeMs: BigInt(i) } }));
    for (const b of backlog) b.catch(() => undefined);
    const request = signaling.request({ case: 'heartbeat', value: { clientTimeMs: 0n } });
    const outcome = request.then(
      () => 'answered',
      (error: unknown) => error,
    );
    await new Promise((r) => setTimeout(r, 50));
    endStream.resolve(undefined);
    const error = await Promise.race([
      outcome,
      new Promise((r) => {
        setTimeout(() => {
          r('still waiting');
        }, 5_000).unref();
      }),
    ]);
    assert.ok(isClientError(error, 'CLOSED'), `the request fails CLOSED, got ${String(error)}`);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
    await signaling.close();
  }
});
