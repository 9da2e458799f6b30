// Two participants through the real stack (apps/cli startDevStack) and the real UI, in separate browser contexts:
// each sees the other's named tile with moving video and hears the other, a screen share appears as a tile of its
// own (beside the camera), mute shows on the other side, leave removes the tile, and a Join clicked before the camera
// opened still brings camera and microphone. Screenshots: test-results/meeting-ui/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { layerForSlot, simulcastLadder } from '@darktower/client';
import type { Page } from 'playwright-core';
import {
  assertAudioHeard,
  assertPictureDrawn,
  assertVideoMoves,
  MeetingUi,
  skipReason,
  tile,
  WAIT_MS,
  hookOptions,
} from './support/meeting-ui.ts';

let ui: MeetingUi;
let link: string;
let alice: Page;
let bob: Page;

before(async () => {
  if (skipReason !== false) return;
  ui = await MeetingUi.start('meeting-ui');
  link = await ui.newMeeting();
  alice = await ui.join(link, 'Alice');
  await ui.shot(alice, 'alice-joined');
  bob = await ui.join(link, 'Bob');
}, hookOptions);

after(async () => {
  if (skipReason === false) await ui[Symbol.asyncDispose]();
}, hookOptions);

const options = { skip: skipReason, timeout: 300_000 };

test('each sees the other named, with moving video, and hears the other', options, async () => {
  await tile(alice, 'Bob').waitFor({ timeout: WAIT_MS });
  await tile(bob, 'Alice').waitFor({ timeout: WAIT_MS });
  await assertVideoMoves(ui, alice, tile(alice, 'Bob'), 'alice-sees-bob');
  await assertVideoMoves(ui, bob, tile(bob, 'Alice'), 'bob-sees-alice');
  // Bob joined while Alice published: the layout named her slot at the join, and its decoder was open (in her
  // codec) before her first frame arrived, so that frame only had to be decoded.
  const first = await bob.evaluate(() => {
    const room = (
      window as unknown as {
        __room: {
          remote: {
            tiles: {
              video: {
                decoderCodec: string | undefined;
                stats: { decoderPreparedAt?: number; firstReceivedAt?: number };
              };
            }[];
          };
        };
      }
    ).__room;
    const video = room.remote.tiles[0]?.video;
    return {
      codec: video?.decoderCodec,
      prepared: video?.stats.decoderPreparedAt,
      received: video?.stats.firstReceivedAt,
    };
  });
  assert.ok(first.prepared !== undefined && first.received !== undefined, JSON.stringify(first));
  assert.ok(first.prepared <= first.received, JSON.stringify(first));
  assert.ok(first.codec !== undefined && first.codec !== '', JSON.stringify(first));
  // The tile's size reached the SDK (ResizeObserver -> Meeting.setSlotSize): Bob's slot showing Alice asks for the
  // simulcast layer that fits the tile, not the same layer for every tile.
  const slotId = (await tile(bob, 'Alice').getAttribute('data-slot-id')) ?? '';
  assert.notEqual(slotId, '', 'the tile knows its layout slot');
  const asked = await bob.waitForFunction(
    (id) =>
      (
        window as unknown as { __room?: { meeting: { layerPreferences: ReadonlyMap<string, string> } } }
      ).__room?.meeting.layerPreferences.get(id) ?? false,
    slotId,
    { timeout: WAIT_MS },
  );
  const box = await tile(bob, 'Alice').boundingBox();
  const dpr = await bob.evaluate(() => window.devicePixelRatio);
  const expected = layerForSlot(
    simulcastLadder({ width: 640, height: 480, framerate: 30, maxBitrate: 800_000 }),
    { width: Math.round(box?.width ?? 0), height: Math.round(box?.height ?? 0) },
    dpr,
  );
  assert.equal(await asked.jsonValue(), expected?.layerId, `the layer for a ${box?.width}px tile`);
  await assertAudioHeard(alice, 'Bob');
  await assertAudioHeard(bob, 'Alice');
  await ui.shot(bob, 'two-participants');
});

test('a screen share appears as a tile of its own, the camera stays', options, async () => {
  await alice.getByTestId('screen-share').click();
  await tile(bob, 'Alice', 'screen').waitFor({ timeout: WAIT_MS });
  // Headless Chromium's "Entire screen" is a still picture: decoded frames drawn is what there is to see.
  await assertPictureDrawn(tile(bob, 'Alice', 'screen'));
  await ui.shot(tile(bob, 'Alice', 'screen'), 'bob-sees-alice-screen');
  await assertVideoMoves(ui, bob, tile(bob, 'Alice'), 'bob-sees-alice-camera-while-sharing');
  await ui.shot(bob, 'screen-share');
  await alice.getByTestId('screen-share').click();
  await tile(bob, 'Alice', 'screen').waitFor({ state: 'detached', timeout: WAIT_MS });
  await assertVideoMoves(ui, bob, tile(bob, 'Alice'), 'bob-sees-alice-after-sharing');
});

test('mute shows on the other side', options, async () => {
  await alice.getByTestId('mute').click();
  await tile(bob, 'Alice').locator('[data-testid="muted"]').waitFor({ timeout: WAIT_MS });
  assert.equal(await tile(bob, 'Alice').getAttribute('data-audio-muted'), 'true');
  await ui.shot(bob, 'alice-muted');
  await alice.getByTestId('mute').click();
  await tile(bob, 'Alice').locator('[data-testid="muted"]').waitFor({ state: 'detached', timeout: WAIT_MS });
  await assertAudioHeard(bob, 'Alice');
});

test('leave removes the tile', options, async () => {
  await bob.getByTestId('leave').click();
  await bob.getByTestId('left-message').waitFor({ timeout: WAIT_MS });
  await tile(alice, 'Bob').waitFor({ state: 'detached', timeout: WAIT_MS });
  await ui.shot(alice, 'bob-left');
});

/** Runs before the app: every getUserMedia answers 3 s late, as on a loaded machine or a slow camera driver. */
function slowCamera(): void {
  const gum = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = async (constraints) => {
    await new Promise((r) => setTimeout(r, 3_000));
    return gum(constraints);
  };
}

test('Join clicked before the camera opened still joins with camera and microphone', options, async () => {
  // The cause of the old flaky run: Join joined with whatever the pre-join page had opened so far (nothing).
  const dan = await ui.join(link, 'Dan', { initScript: slowCamera });
  await assertVideoMoves(ui, alice, tile(alice, 'Dan'), 'alice-sees-dan-slow-camera');
  await assertAudioHeard(alice, 'Dan');
  await ui.shot(dan, 'dan-joined');
});
