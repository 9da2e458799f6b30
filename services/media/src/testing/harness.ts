import { create } from '@bufbuild/protobuf';
import { RegisterParticipantRequestSchema, StreamType, randomStreamId } from '@darktower/protocol';
import { createMemorySessionPair } from '@darktower/transport';
import type { ServiceTokenVerifier } from '../auth.ts';
import { systemClock, type Clock } from '../clock.ts';
import { CapacityMeter } from '../core/capacity.ts';
import { MediaError } from '../errors.ts';
import { asHandlerId, type HandlerId } from '../ids.ts';
import { MediaHandlerCore, type MediaHandlerCoreOptions } from '../media-handler.ts';
import { MediaBot } from './media-bot.ts';

/**
 * Service tokens for tests: "svc.<handler id>.<secret>" accepted when the secret matches. The deployable verifies
 * JWTs from the Auth Controller instead; the handler core only sees the ServiceTokenVerifier interface.
 */
export function sharedSecretVerifier(secret: string): ServiceTokenVerifier {
  return {
    verify(token) {
      const [prefix, handler, given] = token.split('.');
      if (prefix !== 'svc' || handler === undefined || handler === '' || given !== secret) {
        return Promise.reject(MediaError.unauthorized('bad service token'));
      }
      return Promise.resolve({ handlerId: asHandlerId(handler) });
    },
  };
}

export function serviceToken(handlerId: string, secret: string): string {
  return `svc.${handlerId}.${secret}`;
}

/** Handlers reachable by URL over in-memory sessions (cascading without sockets). */
export class MemoryNetwork {
  readonly #handlers = new Map<string, MediaHandlerCore>();

  add(url: string, handler: MediaHandlerCore): void {
    this.#handlers.set(url, handler);
  }

  readonly dialer = (url: string): ReturnType<NonNullable<MediaHandlerCoreOptions['dialer']>> => {
    const target = this.#handlers.get(url);
    if (target === undefined) return Promise.reject(new Error(`no handler at ${url}`));
    const [client, server] = createMemorySessionPair();
    target.acceptSession(server);
    return Promise.resolve(client);
  };
}

export function coreOptions(
  overrides: Partial<MediaHandlerCoreOptions> & { handlerId?: HandlerId } = {},
): MediaHandlerCoreOptions {
  const clock: Clock = overrides.clock ?? systemClock;
  return {
    handlerId: asHandlerId('mh-test'),
    mediaUrl: () => 'https://127.0.0.1:4434/media',
    clock,
    capacity: new CapacityMeter({ maxBandwidthBps: 1e10 }),
    output: { maxFrames: 64, maxBytes: 2 * 1024 * 1024 },
    connection: {
      maxPayloadLength: 1024 * 1024,
      maxIngestStreams: 16,
      datagramsPerSecond: 2000,
      audioAsDatagrams: false,
    },
    keyframeIntervalMs: 100,
    authTimeoutMs: 5000,
    tokenTtlMs: 30_000,
    maxParticipants: 1000,
    serviceTokens: sharedSecretVerifier('test-secret'),
    ...overrides,
  };
}

export interface RegisteredBot {
  token: string;
  video: string;
  audio: string;
}

/** Registers a participant with one camera and one microphone stream. */
export function register(core: MediaHandlerCore, meetingId: string, participantId: string): RegisteredBot {
  const video = randomStreamId();
  const audio = randomStreamId();
  const res = core.registerParticipant(
    create(RegisterParticipantRequestSchema, {
      participant: {
        participantId,
        meetingId,
        streams: [
          { streamId: video, streamType: StreamType.VIDEO_CAMERA, metadata: { codec: 'vp09' } },
          { streamId: audio, streamType: StreamType.AUDIO, metadata: { codec: 'opus' } },
        ],
      },
    }),
  );
  return { token: res.connectionToken, video, audio };
}

/** Connects a bot to a handler core over an in-memory session pair. */
export function connectBot(
  core: MediaHandlerCore,
  token: string,
  options?: Parameters<typeof MediaBot.connect>[2],
): Promise<MediaBot> {
  const [client, server] = createMemorySessionPair({ datagramQueue: 4096 });
  core.acceptSession(server);
  return MediaBot.connect(client, token, options);
}
