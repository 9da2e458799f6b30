// Messages between the cluster and its front's worker thread (front-thread.ts, front-worker.ts).

export interface FrontInit {
  readonly host: string;
  readonly port?: number;
  readonly global: readonly string[];
  readonly auth: readonly string[];
  readonly devTransport?: unknown;
  /** Int32Array(3) the worker keeps current: requests, retried, failed. */
  readonly stats: SharedArrayBuffer;
}

export type FrontMessage =
  | { readonly type: 'backends'; readonly global: readonly string[]; readonly auth: readonly string[] }
  | { readonly type: 'close' };

export function isFrontMessage(value: unknown): value is FrontMessage {
  if (typeof value !== 'object' || value === null) return false;
  const type = (value as { type?: unknown }).type;
  return type === 'backends' || type === 'close';
}
