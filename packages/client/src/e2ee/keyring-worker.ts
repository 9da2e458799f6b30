// The Worker side of a WorkerKeyring: an MlsSframeKeyring that encrypts and decrypts frames off the page's main
// thread. A Worker entry is one line: `serveE2eeKeyring(self)`.
import { MlsSframeKeyring } from '@darktower/e2ee';
import type { KeyringPort, KeyringRequest, KeyringResponse } from './keyring-messages.ts';

export type { KeyringPort } from './keyring-messages.ts';

export function serveE2eeKeyring(port: KeyringPort): () => void {
  let keyring: MlsSframeKeyring | undefined;
  // One request at a time, in order: an epoch change and the frames after it belong together.
  let queue: Promise<void> = Promise.resolve();
  const reply = (response: KeyringResponse, transfer: Transferable[] = []): void => {
    port.postMessage(response, transfer);
  };
  const run = async (request: KeyringRequest): Promise<void> => {
    try {
      switch (request.op) {
        case 'init':
          await keyring?.close();
          keyring = new MlsSframeKeyring(
            request.options.graceMs === undefined ? {} : { graceMs: request.options.graceMs },
          );
          reply({ id: request.id, ok: true });
          return;
        case 'setEpoch':
          await need(keyring).setEpoch(request.snapshot);
          reply({ id: request.id, ok: true });
          return;
        case 'retire':
          need(keyring).retire();
          reply({ id: request.id, ok: true });
          return;
        case 'encrypt': {
          const ciphertext = await need(keyring).encrypt(request.frame);
          reply({ id: request.id, ok: true, value: ciphertext }, [ciphertext.buffer as ArrayBuffer]);
          return;
        }
        case 'decrypt': {
          const f = await need(keyring).decrypt(request.ciphertext);
          reply(
            {
              id: request.id,
              ok: true,
              value: { senderLeafIndex: f.senderLeafIndex, epoch: f.epoch, plaintext: f.plaintext },
            },
            [f.plaintext.buffer as ArrayBuffer],
          );
          return;
        }
        case 'close':
          await keyring?.close();
          keyring = undefined;
          reply({ id: request.id, ok: true });
          return;
        default: {
          const never: never = request;
          return never;
        }
      }
    } catch (error) {
      const code =
        typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
      reply({
        id: request.id,
        ok: false,
        code: typeof code === 'string' ? code : 'INTERNAL',
        message: error instanceof Error ? error.message : String(error),
      });
    }
  };
  const listener = (event: MessageEvent): void => {
    const request = event.data as KeyringRequest;
    queue = queue.then(() => run(request));
  };
  port.addEventListener('message', listener);
  return () => {
    port.removeEventListener('message', listener);
    void keyring?.close();
  };
}

function need(keyring: MlsSframeKeyring | undefined): MlsSframeKeyring {
  if (keyring === undefined) throw Object.assign(new Error('keyring not initialised'), { code: 'CLOSED' });
  return keyring;
}
