// Three participants through the real stack and UI, one of them on the WebSocket fallback (the others on
// WebTransport): everyone sees the other two named, with moving video, and hears them; leave removes the tile on
// both remaining sides. The grid puts the three side by side. Screenshots: test-results/meeting-ui-three/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import {
  assertAudioHeard,
  assertVideoMoves,
  MeetingUi,
  skipReason,
  tile,
  WAIT_MS,
  hookOptions,
} from './support/meeting-ui.ts';

let ui: MeetingUi;
const pages = new Map<string, Page>();
const page = (name: string): Page => {
  const p = pages.get(name);
  if (p === undefined) throw new Error(`${name} has not joined`);
  return p;
};

before(async () => {
  if (skipReason !== false) return;
  ui = await MeetingUi.start('meeting-ui-three');
  const link = await ui.newMeeting();
  pages.set('Alice', await ui.join(link, 'Alice', { transport: 'webtransport' }));
  pages.set('Bob', await ui.join(link, 'Bob', { transport: 'webtransport' }));
  pages.set('Carol', await ui.join(link, 'Carol', { transport: 'websocket' }));
}, hookOptions);

after(async () => {
  if (skipReason === false) await ui[Symbol.asyncDispose]();
}, hookOptions);

const options = { skip: skipReason, timeout: 400_000 };

test('the transports are the ones asked for', options, async () => {
  for (const [name, transport] of [
    ['Alice', 'webtransport'],
    ['Bob', 'webtransport'],
    ['Carol', 'websocket'],
  ] as const) {
    assert.match(
      (await page(name).getByTestId('connection-quality').textContent()) ?? '',
      new RegExp(transport),
    );
  }
});

test('everyone sees the other two named, with moving video', options, async () => {
  for (const viewer of pages.keys()) {
    for (const other of pages.keys()) {
      if (other === viewer) continue;
      await tile(page(viewer), other).waitFor({ timeout: WAIT_MS });
      await assertVideoMoves(ui, page(viewer), tile(page(viewer), other), `${viewer}-sees-${other}`);
    }
    await ui.shot(page(viewer), `${viewer}-view`);
  }
});

test('the grid shows the three tiles side by side, filling the 1000 px window', options, async () => {
  for (const viewer of pages.keys()) {
    const boxes = await page(viewer)
      .getByTestId('tile')
      .evaluateAll((tiles) => tiles.map((t) => t.getBoundingClientRect().toJSON() as DOMRect));
    assert.equal(boxes.length, 3, `${viewer}: three tiles`);
    const tops = new Set(boxes.map((b) => Math.round(b.top)));
    assert.equal(tops.size, 1, `${viewer}: one row, tiles at ${JSON.stringify(boxes)}`);
    for (const b of boxes)
      assert.ok(b.width >= 300, `${viewer}: tiles share the width (${String(b.width)} px)`);
  }
});

test('everyone hears the other two', options, async () => {
  for (const viewer of pages.keys())
    for (const other of pages.keys()) if (other !== viewer) await assertAudioHeard(page(viewer), other);
});

test('the WebSocket participant leaves: its tile goes on both WebTransport sides', options, async () => {
  await page('Carol').getByTestId('leave').click();
  await page('Carol').getByTestId('left-message').waitFor({ timeout: WAIT_MS });
  await tile(page('Alice'), 'Carol').waitFor({ state: 'detached', timeout: WAIT_MS });
  await tile(page('Bob'), 'Carol').waitFor({ state: 'detached', timeout: WAIT_MS });
  await ui.shot(page('Alice'), 'carol-left');
  // The two who stay still see each other.
  await assertVideoMoves(ui, page('Alice'), tile(page('Alice'), 'Bob'), 'alice-sees-bob-after');
});
