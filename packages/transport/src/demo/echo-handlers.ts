// The echo behaviour shared by the demo server, the browser test and the benchmark: bidi streams are echoed,
// datagrams are echoed, and each session gets one server-opened unidirectional stream with a greeting.
import type { Session } from '../session.ts';

export const GREETING = 'hello from the server';

export function serveEcho(session: Session): void {
  void (async () => {
    for await (const stream of session.incomingBidirectionalStreams) {
      stream.readable.pipeTo(stream.writable).catch(() => undefined); // a reset stream just ends its echo
    }
  })();
  void (async () => {
    // Uni streams from the peer are echoed back on a new uni stream.
    for await (const readable of session.incomingUnidirectionalStreams) {
      const writable = await session.createUnidirectionalStream().catch(() => undefined);
      if (!writable) return;
      readable.pipeTo(writable).catch(() => undefined);
    }
  })();
  void (async () => {
    const writer = session.datagrams.writable.getWriter();
    for await (const datagram of session.datagrams.readable) {
      await writer.write(datagram).catch(() => undefined);
    }
  })();
  void (async () => {
    try {
      const writable = await session.createUnidirectionalStream();
      const writer = writable.getWriter();
      await writer.write(new TextEncoder().encode(GREETING));
      await writer.close();
    } catch {
      // The session closed before the greeting went out.
    }
  })();
}
