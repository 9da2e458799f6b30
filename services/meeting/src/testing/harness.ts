// A controller core wired for tests: real join tokens (Ed25519 JWKS on loopback), a real store (memory or Redis),
// two registered media handlers behind the gateway double, and a clock tests can move forward.
import { randomUUID } from 'node:crypto';
import { createMemorySessionPair } from '@darktower/transport';
import { HandlerId, Millis, type Clock } from '../ids.ts';
import { HandlerRegistry } from '../routing/handler-registry.ts';
import { createJoinTokenVerifier } from '../signaling/join-token.ts';
import { SignalingService, type SignalingServiceDeps } from '../signaling/signaling-service.ts';
import type { RoomLogger } from '../signaling/room-types.ts';
import type { MeetingStore } from '../state/meeting-store.ts';
import { JoinTokenIssuer, TEST_ISSUER } from './join-tokens.ts';
import { MediaGatewayDouble } from './media-gateway-double.ts';
import { SignalingClient } from './signaling-client.ts';
import type { JoinResponse } from '@darktower/protocol';

/** Real time plus an offset tests can advance (presence, TTLs), so JWT expiry still uses real time. */
export class OffsetClock implements Clock {
  offset = 0;
  now(): Millis {
    return Millis(Date.now() + this.offset);
  }
}

export const silentLog: RoomLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

export const MH1 = HandlerId('mh1');
export const MH2 = HandlerId('mh2');

export interface Joined {
  readonly client: SignalingClient;
  readonly participantId: string;
  readonly response: JoinResponse;
}

export class Harness implements AsyncDisposable {
  readonly clock: OffsetClock;
  readonly media = new MediaGatewayDouble();
  readonly handlers: HandlerRegistry;
  readonly issuer: JoinTokenIssuer;
  readonly service: SignalingService;
  readonly store: MeetingStore;
  readonly clients: SignalingClient[] = [];

  private constructor(
    issuer: JoinTokenIssuer,
    clock: OffsetClock,
    store: MeetingStore,
    overrides: Partial<SignalingServiceDeps>,
  ) {
    this.issuer = issuer;
    this.clock = clock;
    this.store = store;
    this.handlers = new HandlerRegistry(this.clock, 60_000);
    for (const id of [MH1, MH2]) {
      this.handlers.register({
        handlerId: id,
        region: 'test',
        mediaUrl: `https://${id}.test:4434`,
        rpcUrl: `http://${id}.test`,
        capacity: { maxParticipants: 100, maxStreams: 1000 },
      });
    }
    this.service = new SignalingService({
      controllerId: 'mc-test',
      clock: this.clock,
      store,
      media: this.media,
      handlers: this.handlers,
      verifier: createJoinTokenVerifier({ jwksUrl: issuer.jwks.url, issuer: TEST_ISSUER }),
      log: silentLog,
      ...overrides,
    });
  }

  static async start(
    openStore: (clock: Clock) => Promise<MeetingStore>,
    overrides: Partial<SignalingServiceDeps> = {},
  ): Promise<Harness> {
    const clock = new OffsetClock();
    return new Harness(await JoinTokenIssuer.start(), clock, await openStore(clock), overrides);
  }

  /** Moves time forward; the handlers keep heartbeating. */
  advance(ms: number): void {
    this.clock.offset += ms;
    for (const id of [MH1, MH2]) this.handlers.heartbeat(id, { participants: 0, streams: 0 });
  }

  async connect(): Promise<SignalingClient> {
    const [client, server] = createMemorySessionPair();
    this.service.accept(server);
    const c = await SignalingClient.open(client);
    this.clients.push(c);
    return c;
  }

  async join(meetingId: string, sub: string, role: 'host' | 'participant' = 'participant'): Promise<Joined> {
    const client = await this.connect();
    const token = await this.issuer.sign({ meetingId, sub, role });
    const reply = await client.request({
      case: 'join',
      value: { meetingId, joinToken: token, participantName: sub, protocolVersion: 1 },
    });
    if (reply.kind.case !== 'joinResponse') {
      throw new Error(
        `join refused: ${reply.kind.case === 'error' ? reply.kind.value.message : String(reply.kind.case)}`,
      );
    }
    return { client, participantId: reply.kind.value.participantId, response: reply.kind.value };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.service.close();
    for (const c of this.clients) await c[Symbol.asyncDispose]();
    await this.issuer[Symbol.asyncDispose]();
    await this.store.close();
  }
}

export const newStreamId = (): string => randomUUID();
