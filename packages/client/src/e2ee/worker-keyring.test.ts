// WorkerKeyring <-> serveE2eeKeyring over a MessageChannel (the same postMessage protocol a Worker uses): frames
// round-trip, the base key is transferred (detached on the sending side), drops keep their codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { MlsSframeKeyring, type MlsEpochSnapshot } from '@darktower/e2ee';
import { dropReasonOf } from './e2ee-keyring.ts';
import { serveE2eeKeyring } from './keyring-worker.ts';
import type { KeyringPort } from './keyring-messages.ts';
import { WorkerKeyring } from './worker-keyring.ts';

const port = (p: MessagePort): KeyringPort => p as unknown as KeyringPort;

const snapshot = (key: Uint8Array, ownLeafIndex: number): MlsEpochSnapshot => ({
  epoch: 3n,
  ownLeafIndex,
  memberLeafIndices: [0, 1],
  sframeBaseKey: key.slice(),
});

test('frames encrypted in a worker keyring decrypt in a local one and back; errors keep their codes', async (t) => {
  const { port1, port2 } = new MessageChannel();
  t.after(() => {
    port1.close();
    port2.close();
  });
  const stop = serveE2eeKeyring(port(port2));
  port2.start();
  port1.start();
  const remote = new WorkerKeyring(port(port1), { graceMs: 1_000 });
  const local = new MlsSframeKeyring();
  const key = crypto.getRandomValues(new Uint8Array(16));
  const sent = snapshot(key, 0);
  await remote.setEpoch(sent);
  assert.equal(sent.sframeBaseKey.byteLength, 0, 'the base key was transferred, not copied');
  await local.setEpoch(snapshot(key, 1));

  const frame = new TextEncoder().encode('a frame of video');
  const ct = await remote.encrypt(frame);
  const back = await local.decrypt(ct);
  assert.deepEqual(back.plaintext, frame);
  assert.equal(back.senderLeafIndex, 0);
  const ct2 = await local.encrypt(frame);
  const got = await remote.decrypt(ct2);
  assert.deepEqual(got.plaintext, frame);
  assert.equal(got.senderLeafIndex, 1);
  assert.equal(got.epoch, 3n);

  await assert.rejects(remote.decrypt(ct2), (e: unknown) => dropReasonOf(e) === 'replayed');
  const tampered = await local.encrypt(frame);
  tampered[tampered.length - 1] = (tampered.at(-1) ?? 0) ^ 1;
  await assert.rejects(remote.decrypt(tampered), (e: unknown) => dropReasonOf(e) === 'tampered');
  await assert.rejects(
    remote.decrypt(new Uint8Array([0xff])),
    (e: unknown) => dropReasonOf(e) === 'malformed',
  );

  await remote.close();
  await remote.close();
  await assert.rejects(remote.encrypt(frame), (e: unknown) => dropReasonOf(e) === 'no-group');
  await local.close();
  stop();
});
