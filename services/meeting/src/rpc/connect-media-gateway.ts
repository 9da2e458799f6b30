// MediaHandlerGateway over Connect: one client per media handler, reached at the RPC URL it registered with.
import { create } from '@bufbuild/protobuf';
import { createClient, type Client, type Interceptor } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import {
  MediaHandlerService,
  RegisterParticipantRequestSchema,
  type RegisterParticipantResponse,
  type RouteMediaRequest,
  type RouteMediaResponse,
} from '@darktower/protocol';
import { MeetingError } from '../errors.ts';
import type { HandlerId, MeetingId, ParticipantId } from '../ids.ts';
import type { HandlerRegistry } from '../routing/handler-registry.ts';
import type { MediaHandlerGateway } from '../signaling/media-gateway.ts';
import type { StreamRecord } from '../state/records.ts';
import { mediaStreamOf } from '../signaling/wire.ts';

export interface ConnectMediaGatewayOptions {
  readonly httpVersion?: '1.1' | '2';
  /**
   * Bearer token presented to media handlers (undefined: none), asked for on every call (a token source caches and
   * refreshes it). The same token goes to the handler told to dial a peer, for the peer to accept the cascade.
   */
  readonly serviceToken?: () => string | undefined | Promise<string | undefined>;
  /** Run before the service token one on every call (e.g. service-kit's clientTraceInterceptor). */
  readonly interceptors?: readonly Interceptor[];
}

export class ConnectMediaGateway implements MediaHandlerGateway {
  readonly #handlers: HandlerRegistry;
  readonly #options: ConnectMediaGatewayOptions;
  readonly #clients = new Map<string, Client<typeof MediaHandlerService>>();

  constructor(handlers: HandlerRegistry, options: ConnectMediaGatewayOptions = {}) {
    this.#handlers = handlers;
    this.#options = options;
  }

  #client(handlerId: HandlerId): Client<typeof MediaHandlerService> {
    const handler = this.#handlers.get(handlerId);
    if (handler === undefined) throw MeetingError.unavailable(`unknown media handler ${handlerId}`);
    const key = `${handlerId} ${handler.rpcUrl}`;
    let client = this.#clients.get(key);
    if (client === undefined) {
      const source = this.#options.serviceToken;
      const interceptors: Interceptor[] = [...(this.#options.interceptors ?? [])];
      if (source !== undefined)
        interceptors.push((next) => async (req) => {
          const token = await source();
          if (token !== undefined) req.header.set('authorization', `Bearer ${token}`);
          return await next(req);
        });
      client = createClient(
        MediaHandlerService,
        createConnectTransport({
          baseUrl: handler.rpcUrl,
          httpVersion: this.#options.httpVersion ?? '1.1',
          interceptors,
        }),
      );
      this.#clients.set(key, client);
    }
    return client;
  }

  registerParticipant(
    handlerId: HandlerId,
    request: {
      meetingId: MeetingId;
      participantId: ParticipantId;
      streams: readonly StreamRecord[];
      tokenTtlMs: number;
    },
    signal?: AbortSignal,
  ): Promise<RegisterParticipantResponse> {
    return this.#client(handlerId).registerParticipant(
      create(RegisterParticipantRequestSchema, {
        participant: {
          participantId: request.participantId,
          meetingId: request.meetingId,
          streams: request.streams.map((s) => mediaStreamOf(request.participantId, s)),
        },
        tokenTtlMs: request.tokenTtlMs,
      }),
      { signal },
    );
  }

  async unregisterParticipant(
    handlerId: HandlerId,
    meetingId: MeetingId,
    participantId: ParticipantId,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.#client(handlerId).unregisterParticipant({ meetingId, participantId }, { signal });
  }

  routeMedia(
    handlerId: HandlerId,
    request: RouteMediaRequest,
    signal?: AbortSignal,
  ): Promise<RouteMediaResponse> {
    return this.#client(handlerId).routeMedia(request, { signal });
  }

  async setupCascade(
    handlerId: HandlerId,
    request: { meetingId: MeetingId; peer: HandlerId },
    signal?: AbortSignal,
  ): Promise<void> {
    const peer = this.#handlers.get(request.peer);
    if (peer === undefined) throw MeetingError.unavailable(`unknown media handler ${request.peer}`);
    const serviceToken = (await this.#options.serviceToken?.()) ?? '';
    await this.#client(handlerId).setupCascade(
      {
        meetingId: request.meetingId,
        serviceToken,
        peerHandlerId: request.peer,
        peerMediaUrl: peer.mediaUrl,
        peerServerCertificateHashes: [...(peer.serverCertificateHashes ?? [])],
      },
      { signal },
    );
  }

  async requestKeyframe(
    handlerId: HandlerId,
    streamId: string,
    layerId: string,
    signal?: AbortSignal,
  ): Promise<boolean> {
    const r = await this.#client(handlerId).requestKeyframe({ request: { streamId, layerId } }, { signal });
    return r.forwarded;
  }
}
