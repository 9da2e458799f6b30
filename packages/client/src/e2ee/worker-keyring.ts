// An E2eeKeyring whose SFrame work runs in a Worker (serveE2eeKeyring on the other end): the page keeps MLS and
// sends each epoch's base key across (transferred: no copy stays on the page); frames go there and back.
// Errors keep their code (UNKNOWN_KID, AUTH_FAILED, REPLAY, ...), so drops are classified as on one thread.
import type { MlsEpochSnapshot } from '@darktower/e2ee';
import { ClientError } from '../core/client-error.ts';
import type { E2eeDecryptedFrame, E2eeKeyring } from './e2ee-keyring.ts';
import type { KeyringPort, KeyringRequest, KeyringResponse, KeyringWorkerInit } from './keyring-messages.ts';

type Op = KeyringRequest extends infer R ? (R extends { op: infer O } ? O : never) : never;
type Body<O extends Op> = Omit<Extract<KeyringRequest, { op: O }>, 'id' | 'op'>;

/** An error from the Worker, with the keyring's stable code. */
export class KeyringWorkerError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'KeyringWorkerError';
    this.code = code;
  }
}

export class WorkerKeyring implements E2eeKeyring {
  readonly #port: KeyringPort;
  readonly #onClose: () => void;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  readonly #listener: (event: MessageEvent) => void;
  #nextId = 1;
  #closing: Promise<void> | undefined;
  #resolveClosed!: () => void;
  readonly closed = new Promise<void>((resolve) => (this.#resolveClosed = resolve));

  /** `onClose`: e.g. `() => worker.terminate()`. */
  constructor(port: KeyringPort, options: KeyringWorkerInit = {}, onClose: () => void = () => undefined) {
    this.#port = port;
    this.#onClose = onClose;
    this.#listener = (event) => {
      const r = event.data as KeyringResponse;
      const p = this.#pending.get(r.id);
      if (p === undefined) return;
      this.#pending.delete(r.id);
      if (r.ok) p.resolve(r.value);
      else p.reject(new KeyringWorkerError(r.code, r.message));
    };
    port.addEventListener('message', this.#listener);
    void this.#call('init', { options }).catch(() => undefined);
  }

  async setEpoch(snapshot: MlsEpochSnapshot): Promise<void> {
    // Transferred: the page's copy of the base key is detached (nothing left to zero).
    await this.#call('setEpoch', { snapshot }, [snapshot.sframeBaseKey.buffer as ArrayBuffer]);
  }

  retire(): void {
    void this.#call('retire', {}).catch(() => undefined);
  }

  async encrypt(frame: Uint8Array): Promise<Uint8Array> {
    return (await this.#call('encrypt', { frame })) as Uint8Array;
  }

  async decrypt(ciphertext: Uint8Array): Promise<E2eeDecryptedFrame> {
    return (await this.#call('decrypt', { ciphertext })) as E2eeDecryptedFrame;
  }

  /** Deletes every key in the Worker, then calls onClose. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#call('close', {}).catch(() => undefined);
      this.#port.removeEventListener('message', this.#listener);
      for (const p of this.#pending.values()) p.reject(new KeyringWorkerError('CLOSED', 'keyring closed'));
      this.#pending.clear();
      this.#onClose();
      this.#resolveClosed();
    })();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #call<O extends Op>(op: O, body: Body<O>, transfer: Transferable[] = []): Promise<unknown> {
    if (this.#closing !== undefined && op !== 'close')
      return Promise.reject(new KeyringWorkerError('CLOSED', 'keyring closed'));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      try {
        this.#port.postMessage({ id, op, ...body }, transfer);
      } catch (error) {
        this.#pending.delete(id);
        reject(ClientError.protocol('cannot reach the E2EE worker', error));
      }
    });
  }
}
