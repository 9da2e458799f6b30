// The Meeting Controller's signaling service (services/meeting) in this process, over in-memory sessions, with the
// production Connect gateway to a real Media Handler process and real join tokens (Ed25519 JWKS on loopback).
// Only the Global Controller is left out: tests sign join tokens as it would.
import { randomUUID } from 'node:crypto';
import { createMemorySessionPair, type Session } from '@darktower/transport';
import type { JoinGrant } from '@darktower/client';
import { HandlerId, Millis, type Clock } from '../../../../services/meeting/src/ids.ts';
import { HandlerRegistry } from '../../../../services/meeting/src/routing/handler-registry.ts';
import { ConnectMediaGateway } from '../../../../services/meeting/src/rpc/connect-media-gateway.ts';
import { createJoinTokenVerifier } from '../../../../services/meeting/src/signaling/join-token.ts';
import { SignalingService } from '../../../../services/meeting/src/signaling/signaling-service.ts';
import { MemoryMeetingStore } from '../../../../services/meeting/src/state/memory-meeting-store.ts';
import { JoinTokenIssuer, TEST_ISSUER } from '../../../../services/meeting/src/testing/join-tokens.ts';
import type { MediaHandlerProcess } from './media-handler-process.ts';

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

export class ControllerInProcess implements AsyncDisposable {
  static readonly URL = 'memory://meeting-controller';
  readonly service: SignalingService;
  readonly issuer: JoinTokenIssuer;
  readonly servers: Session[] = [];

  private constructor(service: SignalingService, issuer: JoinTokenIssuer) {
    this.service = service;
    this.issuer = issuer;
  }

  static async start(
    handler: MediaHandlerProcess,
    options: { sessionTtlMs?: number } = {},
  ): Promise<ControllerInProcess> {
    const clock: Clock = { now: () => Millis(Date.now()) };
    const issuer = await JoinTokenIssuer.start();
    const handlers = new HandlerRegistry(clock, 600_000);
    handlers.register({
      handlerId: HandlerId('mh-web-test'),
      region: 'test',
      mediaUrl: handler.media,
      rpcUrl: handler.rpc,
      capacity: { maxParticipants: 100, maxStreams: 1000 },
    });
    const service = new SignalingService({
      controllerId: 'mc-web-test',
      clock,
      store: new MemoryMeetingStore(clock),
      media: new ConnectMediaGateway(handlers, { serviceToken: () => `svc.controller.${handler.secret}` }),
      handlers,
      verifier: createJoinTokenVerifier({ jwksUrl: issuer.jwks.url, issuer: TEST_ISSUER }),
      log: silent,
      roomOptions: { sessionTtlMs: options.sessionTtlMs ?? 30_000, heartbeatIntervalMs: 5_000 },
    });
    return new ControllerInProcess(service, issuer);
  }

  /** A signaling session to the controller (what the client's connector returns for its URL). */
  connect(): Session {
    const [client, server] = createMemorySessionPair();
    this.servers.push(server);
    this.service.accept(server);
    return client;
  }

  /** A join grant as the Global Controller would issue it. */
  grant(
    meetingId: string,
    name: string,
    role: 'host' | 'participant' = 'participant',
  ): () => Promise<JoinGrant> {
    const sub = `guest-${randomUUID()}`;
    return async () => ({
      meetingId,
      joinToken: await this.issuer.sign({ meetingId, sub, role, name }),
      meetingControllerUrl: ControllerInProcess.URL,
      role,
      expiresAt: '',
    });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.service.close();
    await this.issuer[Symbol.asyncDispose]();
  }
}
