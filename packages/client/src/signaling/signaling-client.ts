// The client side of signaling (client <-> Meeting Controller): one bidirectional stream of length-prefixed
// ClientMessage / ServerMessage envelopes. Requests carry a request_id and get exactly one reply with it;
// unsolicited server messages (request_id 0) are emitted as events. Heartbeats run while connected.
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import {
  ClientMessageSchema,
  MessageWriter,
  ServerMessageSchema,
  readMessages,
  type JoinResponse,
  type ServerMessage,
} from '@darktower/protocol';
import type { Session } from '@darktower/transport/browser';
import { withDeadline } from '../core/abort.ts';
import { ClientError, isClientError } from '../core/client-error.ts';
import { Emitter } from '../core/emitter.ts';
import { fromErrorMessage } from '../core/wire-error.ts';
import type { SignalingState } from './signaling-state.ts';

export type ClientKind = NonNullable<MessageInitShape<typeof ClientMessageSchema>['kind']>;
export type ServerCase = NonNullable<ServerMessage['kind']['case']>;
export type ServerValue<C extends ServerCase> = Extract<ServerMessage['kind'], { case: C }>['value'];

/** Unsolicited server messages, one event per kind, plus the state. */
export type SignalingEvents = {
  [C in ServerCase]: [ServerValue<C>];
} & {
  stateChanged: [SignalingState];
};

export interface SignalingOptions {
  /** How long a request waits for its reply (default 10 s). */
  requestTimeoutMs?: number;
  /**
   * Hold unsolicited server messages until `releaseEvents()` (default false). An owner that still has work to do
   * between the JoinResponse and attaching its listeners (opening media) would otherwise miss a ParticipantJoined
   * sent in between, and its roster would lack that participant for good.
   */
  holdEvents?: boolean;
  /**
   * Kinds emitted at once even while events are held: their listeners are attached before the join (the MLS
   * messages of an E2EE meeting: holding the KeyPackage request until the media connection was open delayed the
   * joiner's entry into the group, and its first decryptable frame, by that long).
   */
  unheld?: readonly ServerCase[];
}

interface Pending {
  resolve: (m: ServerMessage) => void;
  reject: (e: unknown) => void;
}

export class SignalingClient implements AsyncDisposable {
  readonly events = new Emitter<SignalingEvents>();
  readonly closed: Promise<void>;
  readonly #session: Session;
  readonly #requestTimeoutMs: number;
  readonly #pending = new Map<number, Pending>();
  readonly #abort = new AbortController();
  #writer: MessageWriter<typeof ClientMessageSchema> | undefined;
  #state: SignalingState = { state: 'connecting' };
  #nextRequestId = 1;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #closing: Promise<void> | undefined;
  #resolveClosed!: () => void;
  /** When the last message from the controller arrived (performance.now()). */
  #lastReceivedAt = 0;
  /** Unsolicited messages waiting for `releaseEvents()` (undefined once released). */
  #held: ServerMessage[] | undefined;
  readonly #unheld: ReadonlySet<string>;
  /** Round-trip time of the last heartbeat, ms. */
  rttMs = 0;

  private constructor(session: Session, options: SignalingOptions) {
    this.#session = session;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    if (options.holdEvents === true) this.#held = [];
    this.#unheld = new Set(options.unheld ?? []);
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    void session.closed.then((info) => {
      this.#fail(ClientError.closed(`signaling session (${info.closeCode} ${info.reason})`));
    });
  }

  /** Opens the signaling stream on a connected session (state: connecting -> authenticating). */
  static async open(
    session: Session,
    options: SignalingOptions & { signal?: AbortSignal } = {},
  ): Promise<SignalingClient> {
    const client = new SignalingClient(session, options);
    try {
      await withDeadline(session.ready, { signal: options.signal, what: 'signaling session ready' });
      const stream = await withDeadline(session.createBidirectionalStream(), {
        signal: options.signal,
        what: 'signaling stream',
      });
      client.#writer = new MessageWriter(stream.writable, ClientMessageSchema);
      client.#setState({ state: 'authenticating' });
      void client.#read(stream.readable);
      return client;
    } catch (error) {
      await client.close();
      throw error;
    }
  }

  get state(): SignalingState {
    return this.#state;
  }

  get protocol(): Session['protocol'] {
    return this.#session.protocol;
  }

  /** Sends JoinRequest or ResumeSession; connected on success, closed on refusal (the error is thrown). */
  async join(
    kind: Extract<ClientKind, { case: 'join' | 'resume' }>,
    signal?: AbortSignal,
    /** W3C trace context: the controller's join_request_processing span becomes its child. */
    traceparent?: string,
  ): Promise<JoinResponse> {
    if (this.#state.state !== 'authenticating')
      throw ClientError.invalidState(`cannot join in ${this.#state.state}`);
    let reply: ServerMessage;
    try {
      reply = await this.request(kind, signal, traceparent);
    } catch (error) {
      await this.close();
      throw error;
    }
    if (reply.kind.case !== 'joinResponse') {
      await this.close();
      throw ClientError.protocol(`expected joinResponse, got ${String(reply.kind.case)}`);
    }
    const response = reply.kind.value;
    this.#setState({ state: 'connected', participantId: response.participantId });
    const interval = Math.max(1_000, response.heartbeatIntervalMs || 15_000);
    this.#heartbeat = setInterval(() => void this.#sendHeartbeat(), interval);
    return response;
  }

  /** Sends a request and waits for its reply; an ErrorMessage reply is thrown as a ClientError. */
  async request(kind: ClientKind, signal?: AbortSignal, traceparent?: string): Promise<ServerMessage> {
    const writer = this.#writer;
    if (writer === undefined || this.#closing !== undefined) throw ClientError.closed('signaling');
    const requestId = this.#nextRequestId++;
    const reply = new Promise<ServerMessage>((resolve, reject) => {
      this.#pending.set(requestId, { resolve, reject });
    });
    try {
      // The write and the reply are awaited together: the stream may end (and the reply fail) while the write is
      // still waiting for room, and neither failure may go unheeded. The deadline covers both.
      const written = writer
        .write(create(ClientMessageSchema, { requestId, kind, traceparent: traceparent ?? '' }))
        .catch(closedError);
      const message = await withDeadline(
        Promise.all([written, reply]).then(([, m]) => m),
        { signal, timeoutMs: this.#requestTimeoutMs, what: `reply to ${kind.case}` },
      );
      if (message.kind.case === 'error') {
        throw fromErrorMessage(message.kind.value);
      }
      return message;
    } finally {
      this.#pending.delete(requestId);
    }
  }

  /** Emits the unsolicited messages held so far, in order, and every later one as it arrives. Idempotent. */
  releaseEvents(): void {
    const held = this.#held;
    this.#held = undefined;
    for (const message of held ?? []) this.#emit(message);
  }

  /** Sends a message that expects no reply (request_id 0). */
  async send(kind: ClientKind): Promise<void> {
    const writer = this.#writer;
    if (writer === undefined || this.#closing !== undefined) throw ClientError.closed('signaling');
    await writer.write(create(ClientMessageSchema, { requestId: 0, kind })).catch(closedError);
  }

  /** Closes the stream and the session. Idempotent. */
  close(reason = 'client closed'): Promise<void> {
    this.#closing ??= (async () => {
      if (this.#state.state !== 'disconnected') this.#setState({ state: 'disconnecting' });
      clearInterval(this.#heartbeat);
      this.#abort.abort(ClientError.closed('signaling'));
      await this.#writer?.close().catch(() => undefined);
      this.#session.close({ closeCode: 0, reason });
      this.#fail(ClientError.closed('signaling'));
    })();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #sendHeartbeat(): Promise<void> {
    const started = Date.now();
    try {
      const reply = await this.request({ case: 'heartbeat', value: { clientTimeMs: BigInt(started) } });
      if (reply.kind.case === 'heartbeatAck') this.rttMs = Date.now() - started;
    } catch (error) {
      // An unanswered heartbeat means the controller is gone or unreachable (webtransport-flow.md: close and
      // reconnect after ~10 s). Without this a dead controller is noticed only at the transport's idle timeout.
      // A controller that is only slow (it still sends other messages) is not given up on.
      if (
        isClientError(error, 'TIMEOUT') &&
        performance.now() - this.#lastReceivedAt >= this.#requestTimeoutMs
      )
        this.#fail(error);
    }
  }

  async #read(readable: ReadableStream<Uint8Array>): Promise<void> {
    let error: unknown;
    try {
      for await (const message of readMessages(readable, ServerMessageSchema, {
        signal: this.#abort.signal,
      })) {
        if (message.requestId !== 0) {
          const pending = this.#pending.get(message.requestId);
          pending?.resolve(message);
          continue;
        }
        this.#lastReceivedAt = performance.now();
        if (this.#held !== undefined && !this.#unheld.has(message.kind.case ?? '')) this.#held.push(message);
        else this.#emit(message);
      }
    } catch (e) {
      error = e;
    }
    this.#fail(error ?? ClientError.closed('signaling stream'));
  }

  #emit(message: ServerMessage): void {
    const kind = message.kind;
    if (kind.case === undefined) return;
    (this.events.emit as (e: string, v: unknown) => void)(kind.case, kind.value);
  }

  #fail(error: unknown): void {
    clearInterval(this.#heartbeat);
    for (const p of this.#pending.values()) p.reject(error);
    this.#pending.clear();
    if (this.#state.state !== 'disconnected') {
      this.#setState({ state: 'disconnected', error });
      this.#session.close({ closeCode: 0, reason: 'signaling ended' });
      this.#resolveClosed();
    }
  }

  #setState(state: SignalingState): void {
    this.#state = state;
    this.events.emit('stateChanged', state);
  }
}

/** A write on the signaling stream failed: the stream is closed (a ClientError, as everything this client throws). */
function closedError(error: unknown): never {
  throw isClientError(error) ? error : ClientError.closed('signaling stream', error);
}
