// The audio playout path of the SDK in Chromium, as far as it can be checked here (issue: "audio playout must keep the
// browser's echo cancellation working: verify the chosen playout path in Chromium").
// Chromium's echo canceller (WebRTC AEC3 in the audio service) takes as its reference what the page plays through
// media elements and WebRTC; audio a page renders through its own WebAudio AudioContext destination is not always
// part of that reference, so a remote voice played that way can leak back into the microphone.
// What this test checks, through the real stack and UI with two participants:
// 1. the microphone is opened with echoCancellation asked for, and the published track's getSettings() reports it on;
// 2. each remote voice plays through an <audio> element whose srcObject is a MediaStream holding one live audio
//    MediaStreamTrack (the MediaStreamTrackGenerator the decoder writes into), unmuted, and actually playing
//    (currentTime advances);
// 3. no WebAudio is involved: the page creates no AudioContext at all (constructors observed from before the app loads).
// Not checked (cannot be here): the cancellation itself. Headless Chromium's fake devices have no acoustic path from
// output to microphone, so there is no echo to measure.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { assertAudioHeard, MeetingUi, skipReason, tile, hookOptions } from './support/meeting-ui.ts';

interface Observed {
  audioContexts: number;
  gum: { constraints: unknown; tracks: MediaStreamTrack[] }[];
}

interface ElementState {
  srcIsMediaStream: boolean;
  tracks: string[];
  paused: boolean;
  muted: boolean;
  volume: number;
  time: number;
}

/** Runs before the app: records getUserMedia calls and any AudioContext the page creates. */
function observeAudioApis(): void {
  const w = window as unknown as { __observed: Observed };
  w.__observed = { audioContexts: 0, gum: [] };
  for (const name of ['AudioContext', 'webkitAudioContext', 'OfflineAudioContext'] as const) {
    const Original = (window as unknown as Record<string, (new (...a: unknown[]) => object) | undefined>)[
      name
    ];
    if (Original === undefined) continue;
    (window as unknown as Record<string, unknown>)[name] = class extends Original {
      constructor(...args: unknown[]) {
        super(...args);
        w.__observed.audioContexts++;
      }
    };
  }
  const gum = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = async (constraints) => {
    const stream = await gum(constraints);
    w.__observed.gum.push({ constraints, tracks: stream.getTracks() });
    return stream;
  };
}

let ui: MeetingUi;
let alice: Page;
let bob: Page;

before(async () => {
  if (skipReason !== false) return;
  ui = await MeetingUi.start('audio-playout');
  const link = await ui.newMeeting();
  alice = await ui.join(link, 'Alice', { initScript: observeAudioApis });
  bob = await ui.join(link, 'Bob', { initScript: observeAudioApis });
}, hookOptions);

after(async () => {
  if (skipReason === false) await ui[Symbol.asyncDispose]();
}, hookOptions);

test('the microphone runs with echo cancellation on', { skip: skipReason, timeout: 120_000 }, async () => {
  for (const page of [alice, bob]) {
    const mic = await page.evaluate(() => {
      const observed = (window as unknown as { __observed: Observed }).__observed;
      const call = observed.gum.find((c) => c.tracks.some((t) => t.kind === 'audio'));
      const track = call?.tracks.find((t) => t.kind === 'audio');
      return {
        asked: (call?.constraints as { audio?: { echoCancellation?: unknown } } | undefined)?.audio
          ?.echoCancellation,
        settings: track?.getSettings().echoCancellation,
        live: track?.readyState,
      };
    });
    assert.deepEqual(mic, { asked: true, settings: true, live: 'live' });
  }
});

test(
  'remote audio plays through a media element fed by a MediaStreamTrack, no WebAudio',
  { skip: skipReason, timeout: 180_000 },
  async () => {
    await assertAudioHeard(alice, 'Bob');
    await assertAudioHeard(bob, 'Alice');
    await ui.shot(tile(alice, 'Bob'), 'alice-hears-bob');
    for (const page of [alice, bob]) {
      const path = await page.evaluate(async () => {
        const elements = [...document.querySelectorAll('audio')];
        const describe = (): ElementState[] =>
          elements.map((a) => {
            const src = a.srcObject;
            const tracks = src instanceof MediaStream ? src.getTracks() : [];
            return {
              srcIsMediaStream: src instanceof MediaStream,
              tracks: tracks.map((t) => `${t.kind}:${t.readyState}:${t.enabled ? 'enabled' : 'disabled'}`),
              paused: a.paused,
              muted: a.muted,
              volume: a.volume,
              time: a.currentTime,
            };
          });
        const first = describe();
        await new Promise((r) => setTimeout(r, 1_000));
        const second = describe();
        return {
          first,
          second,
          audioContexts: (window as unknown as { __observed: Observed }).__observed.audioContexts,
        };
      });
      // One remote voice (the other participant's microphone).
      assert.equal(path.first.length, 1, JSON.stringify(path));
      const [a] = path.first;
      const [b] = path.second;
      assert.ok(a !== undefined && b !== undefined);
      assert.deepEqual(
        { ...a, time: 0 },
        {
          srcIsMediaStream: true,
          tracks: ['audio:live:enabled'],
          paused: false,
          muted: false,
          volume: 1,
          time: 0,
        },
      );
      assert.ok(b.time > a.time, `the element is playing: ${JSON.stringify(path)}`);
      assert.equal(path.audioContexts, 0, 'no AudioContext in the page');
    }
    await ui.shot(bob, 'bob-hears-alice');
  },
);
