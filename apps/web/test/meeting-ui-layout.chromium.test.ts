// Layouts and host controls through the real stack and UI: speaker view puts a remote participant on the stage with
// moving video, pinning chooses who is on the stage, and the host (signed in, the meeting's creator) ends the
// meeting for everyone, who then read that it has ended. Screenshots: test-results/meeting-ui-layout/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { assertVideoMoves, MeetingUi, skipReason, tile, WAIT_MS, hookOptions } from './support/meeting-ui.ts';

let ui: MeetingUi;
let host: Page;
let bob: Page;
let carol: Page;

before(async () => {
  if (skipReason !== false) return;
  ui = await MeetingUi.start('meeting-ui-layout');
  const link = await ui.newMeeting();
  host = await ui.join(link, 'Hana', { signIn: ui.host });
  bob = await ui.join(link, 'Bob');
  carol = await ui.join(link, 'Carol');
}, hookOptions);

after(async () => {
  if (skipReason === false) await ui[Symbol.asyncDispose]();
}, hookOptions);

const options = { skip: skipReason, timeout: 300_000 };
const stageTile = (page: Page, name: string): ReturnType<Page['locator']> =>
  page.getByTestId('stage').locator(`[data-testid="tile"][data-participant-name="${name}"]`);

test('speaker view puts a remote participant on the stage, moving', options, async () => {
  await tile(bob, 'Carol').waitFor({ timeout: WAIT_MS });
  await tile(bob, 'Hana').waitFor({ timeout: WAIT_MS });
  await bob.getByTestId('layout').click();
  const stage = bob.getByTestId('stage').locator('[data-testid="tile"][data-self="false"]');
  await stage.waitFor({ timeout: WAIT_MS });
  await assertVideoMoves(ui, bob, stage, 'bob-speaker-view-stage');
  await ui.shot(bob, 'bob-speaker-view');
});

test('pin chooses who is on the stage', options, async () => {
  for (const name of ['Carol', 'Hana']) {
    await tile(bob, name).getByTestId('pin').click();
    await stageTile(bob, name).waitFor({ timeout: WAIT_MS });
    assert.equal(await stageTile(bob, name).getByTestId('pin').getAttribute('aria-pressed'), 'true');
    await assertVideoMoves(ui, bob, stageTile(bob, name), `bob-pinned-${name}`);
    await ui.shot(bob, `bob-pinned-${name}`);
  }
  // Unpinned, the stage follows the speaker again and the grid view comes back on request.
  await stageTile(bob, 'Hana').getByTestId('pin').click();
  await bob.getByTestId('layout').click();
  await bob.getByTestId('stage').waitFor({ state: 'detached', timeout: WAIT_MS });
  await assertVideoMoves(ui, bob, tile(bob, 'Carol'), 'bob-grid-again-carol');
});

test('only the host can end the meeting; the others are told it ended', options, async () => {
  assert.equal(await bob.getByTestId('end-meeting').count(), 0, 'a guest has no "End for all"');
  await host.getByTestId('end-meeting').click();
  for (const [name, page] of [
    ['Bob', bob],
    ['Carol', carol],
  ] as const) {
    await page.getByTestId('left-message').waitFor({ timeout: WAIT_MS });
    assert.match((await page.getByTestId('left-message').textContent()) ?? '', /meeting has ended/i);
    await ui.shot(page, `${name}-meeting-ended`);
  }
});
