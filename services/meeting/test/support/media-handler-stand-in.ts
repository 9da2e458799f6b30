// A MediaHandlerService stand-in served over real Connect/HTTP on loopback, for the controller's integration test
// until services/media serves its RPC: it keeps routes and mints tokens, and carries no media. It registers with
// the controller through the controller's real RegisterMediaHandler RPC.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { createClient } from '@connectrpc/connect';
import { connectNodeAdapter, createConnectTransport } from '@connectrpc/connect-node';
import { MediaHandlerService, MeetingControllerService, RouteAction } from '@darktower/protocol';

interface State {
  readonly routes: Map<string, string>;
  readonly tokens: Set<string>;
  readonly calls: string[];
}

export class MediaHandlerStandIn implements AsyncDisposable {
  readonly handlerId: string;
  readonly routes: Map<string, string>;
  readonly tokens: Set<string>;
  readonly calls: string[];
  readonly #server: http.Server;

  private constructor(handlerId: string, server: http.Server, state: State) {
    this.handlerId = handlerId;
    this.#server = server;
    this.routes = state.routes;
    this.tokens = state.tokens;
    this.calls = state.calls;
  }

  static async start(handlerId: string): Promise<MediaHandlerStandIn> {
    const self: State = { routes: new Map(), tokens: new Set(), calls: [] };
    const handler = connectNodeAdapter({
      routes: (router) => {
        router.service(MediaHandlerService, {
          registerParticipant: (req) => {
            const token = randomBytes(16).toString('base64url');
            self.tokens.add(token);
            self.calls.push(`register ${req.participant?.participantId ?? ''}`);
            return {
              connectionToken: token,
              mediaHandlerUrl: `https://127.0.0.1:1/${handlerId}`,
              handlerId,
              tokenExpiresAt: BigInt(Date.now() + req.tokenTtlMs),
            };
          },
          unregisterParticipant: (req) => {
            self.calls.push(`unregister ${req.participantId}`);
            return { routesRemoved: 0 };
          },
          routeMedia: (req) => {
            for (const c of req.commands) {
              for (const d of c.destinations) {
                const to =
                  d.target.case === 'local'
                    ? `p:${d.target.value.participantId}`
                    : `h:${d.target.value?.handlerId ?? ''}`;
                const key = `${c.sourceStreamId}|${to}`;
                if (c.action === RouteAction.ADD) self.routes.set(key, to);
                else self.routes.delete(key);
              }
            }
            return { appliedPlanVersion: req.planVersion, routes: self.routes.size };
          },
          setupCascade: (req) => ({ cascadeId: `${handlerId}>${req.peerHandlerId}` }),
          requestKeyframe: () => ({ forwarded: true }),
          getStats: () => ({}),
        });
      },
    });
    const server = http.createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new MediaHandlerStandIn(handlerId, server, self);
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** Registers with a controller over its RPC, as a media handler does at start. */
  async register(controllerRpcUrl: string): Promise<void> {
    const mc = createClient(
      MeetingControllerService,
      createConnectTransport({ baseUrl: controllerRpcUrl, httpVersion: '1.1' }),
    );
    await mc.registerMediaHandler({
      handlerId: this.handlerId,
      region: 'local',
      mediaUrl: `https://127.0.0.1:1/${this.handlerId}`,
      rpcUrl: this.url,
      capacity: { maxParticipants: 100, maxStreams: 1000, maxBandwidthBps: 1_000_000_000n },
    });
    await mc.mediaHandlerHeartbeat({ handlerId: this.handlerId, load: { participants: 0, streams: 0 } });
  }

  routesTo(participantId: string): string[] {
    return [...this.routes.keys()]
      .filter((k) => k.endsWith(`|p:${participantId}`))
      .map((k) => k.split('|')[0] ?? '');
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => {
      this.#server.close(() => {
        resolve();
      });
    });
  }
}
