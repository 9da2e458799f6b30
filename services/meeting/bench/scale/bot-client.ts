// A lean signaling bot for the scale benchmark: one session, one stream, requests matched to answers by request
// id, unsolicited messages only counted (ten thousand of these live in a few processes, so nothing is kept).
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import {
  ClientMessageSchema,
  ServerMessageSchema,
  encodeClientMessage,
  readMessages,
  type ServerMessage,
} from '@darktower/protocol';
import type { Session } from '@darktower/transport';

type Kind = NonNullable<MessageInitShape<typeof ClientMessageSchema>['kind']>;

interface Pending {
  resolve: (m: ServerMessage) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class BotClient {
  readonly session: Session;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #pending = new Map<number, Pending>();
  readonly ended: Promise<void>;
  #nextId = 1;
  #open = true;

  private constructor(
    session: Session,
    stream: { readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> },
    unsolicited: Map<string, number>,
  ) {
    this.session = session;
    this.#writer = stream.writable.getWriter();
    const stop = new AbortController();
    void session.closed.then(
      () => {
        stop.abort(new Error('session closed'));
      },
      () => {
        stop.abort(new Error('session closed'));
      },
    );
    this.ended = (async () => {
      try {
        for await (const m of readMessages(stream.readable, ServerMessageSchema, { signal: stop.signal })) {
          if (m.requestId !== 0) {
            const p = this.#pending.get(m.requestId);
            if (p !== undefined) {
              this.#pending.delete(m.requestId);
              clearTimeout(p.timer);
              p.resolve(m);
            }
          } else {
            const k = m.kind.case ?? 'none';
            unsolicited.set(k, (unsolicited.get(k) ?? 0) + 1);
          }
        }
      } catch {
        // the session closed under us: pending requests fail below
      } finally {
        this.#open = false;
        for (const p of this.#pending.values()) {
          clearTimeout(p.timer);
          p.reject(new Error('signaling stream ended'));
        }
        this.#pending.clear();
      }
    })();
  }

  static async open(session: Session, unsolicited: Map<string, number>): Promise<BotClient> {
    await session.ready;
    return new BotClient(session, await session.createBidirectionalStream(), unsolicited);
  }

  get isOpen(): boolean {
    return this.#open;
  }

  /** Sends `kind` and resolves with the answer carrying its request id. */
  async request(kind: Kind, timeoutMs: number): Promise<ServerMessage> {
    if (!this.#open) throw new Error('signaling stream ended');
    const requestId = this.#nextId++;
    const answer = new Promise<ServerMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(requestId);
        reject(new Error(`no answer to ${String(kind.case)} in ${String(timeoutMs)} ms`));
      }, timeoutMs);
      this.#pending.set(requestId, { resolve, reject, timer });
    });
    try {
      await this.#writer.write(encodeClientMessage(create(ClientMessageSchema, { requestId, kind })));
    } catch (error) {
      const p = this.#pending.get(requestId);
      if (p !== undefined) clearTimeout(p.timer);
      this.#pending.delete(requestId);
      throw error;
    }
    return answer;
  }

  async close(): Promise<void> {
    await this.#writer.close().catch(() => undefined);
    this.session.close();
    await this.ended;
  }
}
