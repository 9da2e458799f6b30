// The client side of the WebSocket fallback, for browsers and Node (both have a global WebSocket).
import type { Session } from '../session.ts';
import { MuxSession } from './mux-session.ts';
import type { WebSocketLike } from './websocket-like.ts';

export interface ConnectWebSocketOptions {
  signal?: AbortSignal;
  /** Give up when the socket is not open after this long. */
  timeoutMs?: number;
  /** A WebSocket constructor; defaults to the global one. */
  WebSocket?: new (url: string) => WebSocketLike & { onopen: (() => void) | null };
}

export class WebSocketConnectError extends Error {
  readonly code = 'UNAVAILABLE';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'WebSocketConnectError';
  }
}

/** Opens a fallback session to a `ws:`/`wss:` URL (an `http(s):` URL is converted). */
export function connectWebSocket(url: string, options: ConnectWebSocketOptions = {}): Promise<Session> {
  const wsUrl = url.replace(/^http(s?):/, 'ws$1:');
  const Ctor =
    options.WebSocket ??
    (globalThis as unknown as { WebSocket?: ConnectWebSocketOptions['WebSocket'] }).WebSocket ??
    undefined;
  if (Ctor === undefined) return Promise.reject(new WebSocketConnectError('no WebSocket implementation'));
  return new Promise<Session>((resolve, reject) => {
    if (options.signal?.aborted === true) {
      reject(new WebSocketConnectError('aborted', { cause: options.signal.reason }));
      return;
    }
    const ws = new Ctor(wsUrl);
    ws.binaryType = 'arraybuffer';
    const cleanup = (): void => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    };
    const fail = (message: string, cause?: unknown): void => {
      cleanup();
      ws.onopen = null;
      ws.onclose = null;
      ws.onerror = null;
      try {
        ws.close();
      } catch {
        // never opened: nothing to close
      }
      reject(new WebSocketConnectError(message, { cause }));
    };
    const onAbort = (): void => {
      fail('aborted', options.signal?.reason);
    };
    const timer = setTimeout(() => {
      fail('timed out');
    }, options.timeoutMs ?? 10_000);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    ws.onerror = (event) => {
      fail('connection failed', event);
    };
    ws.onclose = (event) => {
      fail(`refused (${String(event.code)} ${event.reason})`);
    };
    ws.onopen = () => {
      cleanup();
      ws.onopen = null;
      resolve(new MuxSession(ws, { role: 'client' }));
    };
  });
}
