// Races WebTransport against the WebSocket fallback, giving WebTransport a short head start, as shipping
// products do: where WebTransport works it wins; where it is missing or blocked the fallback connects without a
// long stall. The loser is cancelled, or closed if it connected anyway.
import type { Session } from './session.ts';

export interface RaceOptions {
  /** Opens a WebTransport session; omitted where WebTransport is unavailable. */
  webTransport?: (signal: AbortSignal) => Promise<Session>;
  /** Opens a WebSocket fallback session. */
  webSocket?: (signal: AbortSignal) => Promise<Session>;
  /** How long WebSocket waits before starting, unless WebTransport fails first. */
  headStartMs?: number;
  signal?: AbortSignal;
}

export class ConnectRaceError extends AggregateError {
  readonly code = 'UNAVAILABLE';
}

interface Attempt {
  promise: Promise<Session>;
  abort: AbortController;
}

export async function connectRace(options: RaceOptions): Promise<Session> {
  const { webTransport, webSocket } = options;
  if (webTransport === undefined && webSocket === undefined) {
    throw new ConnectRaceError([], 'no transport to try');
  }
  const attempts: Attempt[] = [];
  const onOuterAbort = (): void => {
    for (const a of attempts) a.abort.abort(options.signal?.reason);
  };
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });

  let startFallback: () => void = () => undefined;
  const fallbackGate = new Promise<void>((resolve) => (startFallback = resolve));
  const headStart = setTimeout(startFallback, webTransport === undefined ? 0 : (options.headStartMs ?? 300));

  if (webTransport !== undefined) {
    const abort = new AbortController();
    const promise = webTransport(abort.signal);
    promise.catch(startFallback); // a failed WebTransport attempt starts the fallback at once
    attempts.push({ promise, abort });
  }
  if (webSocket !== undefined) {
    const abort = new AbortController();
    const promise = fallbackGate.then(() => {
      if (abort.signal.aborted) throw new Error('fallback not needed');
      return webSocket(abort.signal);
    });
    attempts.push({ promise, abort });
  }
  if (options.signal?.aborted === true) onOuterAbort();

  try {
    const winner = await Promise.any(attempts.map(async (a) => ({ attempt: a, session: await a.promise })));
    for (const a of attempts) {
      if (a === winner.attempt) continue;
      a.abort.abort(new Error('lost the connect race'));
      a.promise.then(
        (s) => {
          s.close({ closeCode: 0, reason: 'lost the connect race' });
        },
        () => undefined, // a cancelled loser failing is the expected outcome
      );
    }
    return winner.session;
  } catch (error) {
    const errors = error instanceof AggregateError ? (error.errors as unknown[]) : [error];
    throw new ConnectRaceError(errors, 'every transport failed');
  } finally {
    clearTimeout(headStart);
    startFallback(); // lets a fallback that never started settle (it sees its abort and gives up)
    options.signal?.removeEventListener('abort', onOuterAbort);
  }
}
