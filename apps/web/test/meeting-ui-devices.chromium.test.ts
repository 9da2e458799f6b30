// Camera hot-swap through the real stack and UI: with two fake cameras, a participant switches camera in the meeting
// and the other keeps seeing moving video (the same publication carries the new camera's frames).
// Screenshots: test-results/meeting-ui-devices/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { assertVideoMoves, MeetingUi, skipReason, tile, WAIT_MS, hookOptions } from './support/meeting-ui.ts';

let ui: MeetingUi;
let alice: Page;
let bob: Page;

before(async () => {
  if (skipReason !== false) return;
  ui = await MeetingUi.start('meeting-ui-devices', ['--use-fake-device-for-media-stream=device-count=2']);
  const link = await ui.newMeeting();
  alice = await ui.join(link, 'Alice');
  bob = await ui.join(link, 'Bob');
}, hookOptions);

after(async () => {
  if (skipReason === false) await ui[Symbol.asyncDispose]();
}, hookOptions);

/** The device id of the camera Bob's meeting sends (read from the SDK's local media through the app's hook). */
const sendingCamera = (page: Page): Promise<string | undefined> =>
  page.evaluate(
    () =>
      (
        window as unknown as {
          __room?: { local: { cameraTrack: MediaStreamTrack | undefined } };
        }
      ).__room?.local.cameraTrack?.getSettings().deviceId,
  );

test(
  'switching camera in the meeting keeps the video flowing to the others',
  { skip: skipReason, timeout: 300_000 },
  async () => {
    await assertVideoMoves(ui, alice, tile(alice, 'Bob'), 'alice-sees-bob-camera-1');
    const picker = bob.getByLabel('Switch camera');
    const ids = await picker
      .locator('option')
      .evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    assert.ok(ids.length >= 2, `two fake cameras are offered (got ${ids.length})`);
    const before = await sendingCamera(bob);
    const next = ids.find((id) => id !== before);
    assert.ok(before !== undefined && next !== undefined);
    await picker.selectOption(next);
    await bob.waitForFunction(
      (id) =>
        (
          window as unknown as { __room?: { local: { cameraTrack: MediaStreamTrack | undefined } } }
        ).__room?.local.cameraTrack?.getSettings().deviceId === id,
      next,
      { timeout: WAIT_MS },
    );
    await assertVideoMoves(ui, alice, tile(alice, 'Bob'), 'alice-sees-bob-camera-2');
    await ui.shot(alice, 'after-switch');
  },
);
