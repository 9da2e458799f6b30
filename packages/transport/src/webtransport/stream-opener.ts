// Opening a WebTransport stream from this side: wait while the peer's stream limit is used up, take the next
// local stream id, start it with the WebTransport prefix (type and session id), and apply the W3C sendOrder as
// a quiche priority.
import type { Connection } from '@matrixai/quic/native/types.js';
import type { SendStreamOptions } from '../session.ts';
import { webTransportStreamPrefix } from '../h3/frames.ts';
import type { LocalStreamIds } from './local-stream-ids.ts';
import type { QuicSession } from './quic-session.ts';
import { QuicStream, type StreamHost } from './quic-stream.ts';
import { TransportError } from './transport-error.ts';
import type { WriteWaiters } from './write-waiters.ts';

export interface OpenerHost extends StreamHost {
  readonly conn: Connection;
  readonly isFinished: boolean;
  /** Registers the new stream with its session before its first bytes go out. */
  register(stream: QuicStream, session: QuicSession): void;
}

export async function openLocalStream(
  host: OpenerHost,
  ids: LocalStreamIds,
  waiters: WriteWaiters,
  session: QuicSession,
  bidi: boolean,
  options?: SendStreamOptions,
): Promise<QuicStream> {
  const conn = host.conn;
  const gone = (): boolean => session.state.state === 'closed' || host.isFinished;
  while ((bidi ? conn.peerStreamsLeftBidi() : conn.peerStreamsLeftUni()) === 0) {
    if (gone()) throw TransportError.sessionClosed();
    await waiters.waitForStreamCredit();
  }
  if (gone()) throw TransportError.sessionClosed();
  const id = ids.next(bidi);
  const prefix = webTransportStreamPrefix(bidi, session.id);
  const stream = new QuicStream(host, id, { read: bidi, write: true, prefix });
  host.register(stream, session);
  await stream.open();
  if (options?.sendOrder !== undefined) {
    const urgency = Math.max(0, Math.min(7, 3 - Math.sign(options.sendOrder)));
    try {
      conn.streamPriority(id, urgency, true);
    } catch {
      // Priority is a hint; a stream quiche already finished needs none.
    }
  }
  return stream;
}
