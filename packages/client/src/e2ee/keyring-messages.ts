// The messages between a WorkerKeyring (page) and serveE2eeKeyring (Worker). Only SFrame runs in the Worker: the
// page sends each epoch's exported base key (transferred, so no copy stays behind) and frames; errors come back
// as their stable code.
import type { MlsEpochSnapshot } from '@darktower/e2ee';

export interface KeyringWorkerInit {
  readonly graceMs?: number;
}

export type KeyringRequest =
  | { readonly id: number; readonly op: 'init'; readonly options: KeyringWorkerInit }
  | { readonly id: number; readonly op: 'setEpoch'; readonly snapshot: MlsEpochSnapshot }
  | { readonly id: number; readonly op: 'retire' }
  | { readonly id: number; readonly op: 'encrypt'; readonly frame: Uint8Array }
  | { readonly id: number; readonly op: 'decrypt'; readonly ciphertext: Uint8Array }
  | { readonly id: number; readonly op: 'close' };

export type KeyringResponse =
  | { readonly id: number; readonly ok: true; readonly value?: unknown }
  | { readonly id: number; readonly ok: false; readonly code: string; readonly message: string };

/** The part of Worker / MessagePort / DedicatedWorkerGlobalScope both ends use. */
export interface KeyringPort {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  removeEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
}
