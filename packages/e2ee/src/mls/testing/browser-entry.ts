// Bundled by chromium.test.ts and run in a real Chromium page: three members join through the DS, frames and
// verification codes are compared there, and the results handed back on window.__result.
import { isSframeError } from '../../sframe-error.ts';
import { InMemoryMeeting } from './in-memory-meeting.ts';

interface Result {
  done: boolean;
  error?: string;
  epochs?: string[];
  codes?: string[];
  plaintextOk?: boolean;
  senderOk?: boolean;
  removedDropped?: boolean;
  errors?: number;
}

const out: Result = { done: false };
(window as unknown as { __result: Result }).__result = out;

async function run(): Promise<void> {
  const meeting = new InMemoryMeeting({ wire: true });
  const a = await meeting.join('a');
  const b = await meeting.join('b');
  const c = await meeting.join('c');
  const frame = new Uint8Array(1200).map((_, i) => i & 0xff);
  const got = await c.keyring.decrypt(await a.keyring.encrypt(frame));
  out.plaintextOk = got.plaintext.every((v, i) => v === frame[i]) && got.plaintext.byteLength === 1200;
  out.senderOk = got.senderLeafIndex === a.member.ownLeafIndex;
  out.codes = await Promise.all([a, b, c].map((p) => p.member.verificationCode()));
  await meeting.leave('c');
  try {
    await c.keyring.decrypt(await a.keyring.encrypt(frame));
    out.removedDropped = false;
  } catch (error) {
    out.removedDropped = isSframeError(error, 'UNKNOWN_KID');
  }
  out.epochs = [a, b].map((p) => p.member.epoch.toString());
  out.errors = meeting.errors.length;
}

run()
  .catch((error: unknown) => {
    out.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  })
  .finally(() => {
    out.done = true;
  });
