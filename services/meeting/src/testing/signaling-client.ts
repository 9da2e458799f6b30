// A scripted signaling client for tests (and bots): speaks ClientMessage/ServerMessage over any Session.
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import {
  ClientMessageSchema,
  ServerMessageSchema,
  encodeClientMessage,
  readMessages,
  type ServerMessage,
} from '@darktower/protocol';
import type { BidirectionalStream, Session } from '@darktower/transport';

type Kind = NonNullable<MessageInitShape<typeof ClientMessageSchema>['kind']>;
type Case = NonNullable<ServerMessage['kind']['case']>;
export type ServerOf<C extends Case> = Extract<ServerMessage['kind'], { case: C }>['value'];

export class SignalingClient implements AsyncDisposable {
  readonly session: Session;
  readonly stream: BidirectionalStream;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  /** Everything received, in order. */
  readonly received: ServerMessage[] = [];
  readonly ended: Promise<unknown>;
  #cursor = 0;
  #waiters: (() => void)[] = [];
  #nextRequestId = 1;
  #done = false;

  private constructor(session: Session, stream: BidirectionalStream) {
    this.session = session;
    this.stream = stream;
    this.#writer = stream.writable.getWriter();
    this.ended = (async () => {
      try {
        // A session that closes under us ends the reading too (whatever the transport does with its streams).
        const stop = new AbortController();
        void session.closed.then(() => {
          stop.abort(new Error('session closed'));
        });
        for await (const m of readMessages(stream.readable, ServerMessageSchema, { signal: stop.signal })) {
          this.received.push(m);
          this.#wake();
        }
      } catch (error) {
        return error;
      } finally {
        this.#done = true;
        this.#wake();
      }
      return undefined;
    })();
  }

  static async open(session: Session): Promise<SignalingClient> {
    await session.ready;
    return new SignalingClient(session, await session.createBidirectionalStream());
  }

  get isEnded(): boolean {
    return this.#done;
  }

  /** Sends a message; returns its request id. */
  async send(kind: Kind, requestId = this.#nextRequestId++): Promise<number> {
    await this.#writer.write(encodeClientMessage(create(ClientMessageSchema, { requestId, kind })));
    return requestId;
  }

  /** Writes raw bytes on the signaling stream (hostile-input tests). */
  async writeRaw(bytes: Uint8Array): Promise<void> {
    await this.#writer.write(bytes);
  }

  /** Sends and waits for the reply carrying the same request id. */
  async request(kind: Kind, timeoutMs = 5_000): Promise<ServerMessage> {
    const id = await this.send(kind);
    return this.waitFor((m) => m.requestId === id, timeoutMs, `reply to ${kind.case}`, true);
  }

  /** Next unsolicited message (request_id 0, after earlier waits) of a kind; skips others. */
  async next<C extends Case>(kind: C, timeoutMs = 5_000): Promise<ServerOf<C>> {
    const m = await this.waitFor((x) => x.requestId === 0 && x.kind.case === kind, timeoutMs, kind);
    return m.kind.value as ServerOf<C>;
  }

  /** Waits for a message matching `predicate` that arrived after the last matched one (or anywhere with `anywhere`). */
  async waitFor(
    predicate: (m: ServerMessage) => boolean,
    timeoutMs: number,
    what: string,
    anywhere = false,
  ): Promise<ServerMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const start = anywhere ? 0 : this.#cursor;
      for (let i = start; i < this.received.length; i++) {
        const m = this.received[i];
        if (m !== undefined && predicate(m)) {
          if (!anywhere) this.#cursor = i + 1;
          return m;
        }
      }
      if (this.#done) throw new Error(`stream ended before ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  of<C extends Case>(kind: C): ServerOf<C>[] {
    return this.received.filter((m) => m.kind.case === kind).map((m) => m.kind.value as ServerOf<C>);
  }

  async close(): Promise<void> {
    await this.#writer.close().catch(() => undefined);
    this.session.close();
    await this.ended;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close().catch(() => undefined);
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }
}

/** The value of `message` if it is of kind `kind`; throws (with the error text, if any) otherwise. */
export function expectKind<C extends Case>(message: ServerMessage, kind: C): ServerOf<C> {
  if (message.kind.case !== kind) {
    const detail =
      message.kind.case === 'error' ? `${message.kind.value.code}: ${message.kind.value.message}` : '';
    throw new Error(`expected ${kind}, got ${String(message.kind.case)} ${detail}`);
  }
  return message.kind.value as ServerOf<C>;
}
