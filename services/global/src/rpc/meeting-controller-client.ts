import { create } from '@bufbuild/protobuf';
import { ConnectError, createClient, type Client, type Interceptor } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { AssignMeetingSchema, MeetingConfigSchema, MeetingControllerService } from '@darktower/protocol';
import { clientTraceInterceptor, type Tracing } from '@darktower/service-kit';
import type { Meeting } from '../domain/meeting.ts';

/** What the Global Controller asks of a Meeting Controller. */
export interface MeetingControllerPeer {
  /** Resolves with the controller's answer; rejects when it cannot be reached in time. */
  assignMeeting(
    rpcEndpoint: string,
    meeting: Meeting,
    signal?: AbortSignal,
  ): Promise<{ accepted: boolean; endpoint: string }>;
  /** Ends the meeting there: participants get MEETING_ENDED. */
  endMeeting(
    rpcEndpoint: string,
    meetingId: string,
    reason: string,
    signal?: AbortSignal,
  ): Promise<{ participantsDisconnected: number }>;
  /** Live participant count (for `participant_count` and the `max_participants` pre-check). */
  participantCount(rpcEndpoint: string, meetingId: string, signal?: AbortSignal): Promise<number>;
}

/** Supplies the service token the Global Controller presents to Meeting Controllers (undefined: none). */
export type ServiceTokenSource = (signal?: AbortSignal) => Promise<string | undefined>;

export interface ConnectMeetingControllerPeerOptions {
  readonly timeoutMs?: number;
  readonly serviceToken?: ServiceTokenSource;
  /** Connect protocol over HTTP/1.1 (default) or HTTP/2. */
  readonly httpVersion?: '1.1' | '2';
  /** Each call becomes a client span whose W3C `traceparent` travels in the request headers. */
  readonly tracing?: Tracing;
  /** Called once per finished call with its method name and outcome (`ok` or the Connect code name). */
  readonly onCall?: (method: string, outcome: string, seconds: number) => void;
}

/** Connect clients per Meeting Controller endpoint, created on first use and kept (bounded). */
export class ConnectMeetingControllerPeer implements MeetingControllerPeer {
  readonly #clients = new Map<string, Client<typeof MeetingControllerService>>();
  readonly #timeoutMs: number;
  readonly #interceptors: Interceptor[];
  readonly #httpVersion: '1.1' | '2';

  constructor(options: ConnectMeetingControllerPeerOptions = {}) {
    this.#timeoutMs = options.timeoutMs ?? 3000;
    this.#httpVersion = options.httpVersion ?? '1.1';
    const source = options.serviceToken;
    const onCall = options.onCall;
    const interceptors: Interceptor[] = [];
    // Outermost first: the span covers the token fetch and the call; the timing covers the call.
    if (options.tracing !== undefined) interceptors.push(clientTraceInterceptor(options.tracing));
    if (source !== undefined) {
      interceptors.push((next) => async (req) => {
        const token = await source(req.signal);
        if (token !== undefined) req.header.set('authorization', `Bearer ${token}`);
        return next(req);
      });
    }
    if (onCall !== undefined) {
      interceptors.push((next) => async (req) => {
        const started = performance.now();
        try {
          const res = await next(req);
          onCall(req.method.name, 'ok', (performance.now() - started) / 1000);
          return res;
        } catch (error) {
          const outcome = ConnectError.from(error).code;
          onCall(req.method.name, codeName(outcome), (performance.now() - started) / 1000);
          throw error;
        }
      });
    }
    this.#interceptors = interceptors;
  }

  async assignMeeting(
    rpcEndpoint: string,
    meeting: Meeting,
    signal?: AbortSignal,
  ): Promise<{ accepted: boolean; endpoint: string }> {
    const response = await this.#client(rpcEndpoint).assignMeeting(
      {
        assignment: create(AssignMeetingSchema, {
          meetingId: meeting.id,
          config: create(MeetingConfigSchema, {
            displayName: meeting.displayName,
            maxParticipants: meeting.maxParticipants,
            enableE2eEncryption: meeting.settings.enableE2eEncryption,
            recordingEnabled: meeting.settings.recordingEnabled,
            requireAuth: meeting.settings.requireAuth,
          }),
        }),
      },
      this.#callOptions(signal),
    );
    return { accepted: response.accepted, endpoint: response.endpoint };
  }

  async endMeeting(
    rpcEndpoint: string,
    meetingId: string,
    reason: string,
    signal?: AbortSignal,
  ): Promise<{ participantsDisconnected: number }> {
    const response = await this.#client(rpcEndpoint).endMeeting(
      { meetingId, reason },
      this.#callOptions(signal),
    );
    return { participantsDisconnected: response.participantsDisconnected };
  }

  async participantCount(rpcEndpoint: string, meetingId: string, signal?: AbortSignal): Promise<number> {
    const response = await this.#client(rpcEndpoint).getMeetingState(
      { meetingId },
      this.#callOptions(signal),
    );
    return response.participants.length;
  }

  #callOptions(signal: AbortSignal | undefined): { timeoutMs: number; signal?: AbortSignal } {
    return signal === undefined ? { timeoutMs: this.#timeoutMs } : { timeoutMs: this.#timeoutMs, signal };
  }

  #client(rpcEndpoint: string): Client<typeof MeetingControllerService> {
    let client = this.#clients.get(rpcEndpoint);
    if (client === undefined) {
      if (this.#clients.size >= 1024) this.#clients.clear();
      client = createClient(
        MeetingControllerService,
        createConnectTransport({
          baseUrl: rpcEndpoint,
          httpVersion: this.#httpVersion,
          interceptors: this.#interceptors,
        }),
      );
      this.#clients.set(rpcEndpoint, client);
    }
    return client;
  }
}

const CODE_NAMES: Readonly<Record<number, string>> = {
  1: 'canceled',
  2: 'unknown',
  3: 'invalid_argument',
  4: 'deadline_exceeded',
  5: 'not_found',
  6: 'already_exists',
  7: 'permission_denied',
  8: 'resource_exhausted',
  9: 'failed_precondition',
  10: 'aborted',
  11: 'out_of_range',
  12: 'unimplemented',
  13: 'internal',
  14: 'unavailable',
  15: 'data_loss',
  16: 'unauthenticated',
};

/** The Connect code as a metrics label (a closed set). */
function codeName(code: number): string {
  return CODE_NAMES[code] ?? 'unknown';
}
