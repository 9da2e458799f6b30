// The part of the WHATWG WebSocket API the fallback uses. The browser's WebSocket, Node's global WebSocket and
// the `ws` package's WebSocket all satisfy it.
export interface WebSocketLike {
  binaryType: string;
  readonly bufferedAmount: number;
  readonly readyState: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

export const WS_OPEN = 1;
