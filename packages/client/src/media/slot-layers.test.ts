import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Emitter } from '../core/emitter.ts';
import type { LayoutSlotView, MeetingEvents, RemoteParticipant } from '../meeting/meeting-types.ts';
import { SlotLayerPreferences, type SlotLayerHost } from './slot-layers.ts';

const layers = [
  { layerId: 'q', width: 160, height: 120, maxBitrate: 100_000 },
  { layerId: 'h', width: 320, height: 240, maxBitrate: 300_000 },
  { layerId: 'f', width: 640, height: 480, maxBitrate: 800_000 },
];

class Host implements SlotLayerHost {
  readonly events = new Emitter<MeetingEvents>();
  layoutSlots: LayoutSlotView[] = [];
  readonly people = new Map<string, RemoteParticipant>();
  readonly sent: string[] = [];
  readonly roster = { get: (id: string) => this.people.get(id) };
  preferLayer(slot: string, layerId: string): Promise<void> {
    this.sent.push(`${slot}:${layerId}`);
    return Promise.resolve();
  }
}

const person = (id: string, streamId: string, withLayers = true): RemoteParticipant => ({
  participantId: id,
  name: id,
  userId: id,
  audioMuted: false,
  videoMuted: false,
  streams: [
    {
      streamId,
      kind: 'camera',
      codec: 'VP9',
      width: 640,
      height: 480,
      muted: false,
      ...(withLayers ? { layers } : {}),
    },
  ],
});
const slot = (n: number, id: string, p: string, s: string): LayoutSlotView => ({
  slot: n,
  slotStreamId: id,
  participantId: p,
  sourceStreamId: s,
  kind: 'camera',
});

test('each slot asks for the smallest layer covering it; again only when its size or source changes', () => {
  const host = new Host();
  host.people.set('alice', person('alice', 'cam-a'));
  host.people.set('bob', person('bob', 'cam-b', false));
  host.layoutSlots = [slot(0, 'slot-0', 'alice', 'cam-a'), slot(1, 'slot-1', 'bob', 'cam-b')];
  using prefs = new SlotLayerPreferences(host, { resendEveryMs: 0 });
  prefs.setSlotSize('slot-0', { width: 160, height: 120 });
  prefs.setSlotSize('slot-1', { width: 160, height: 120 });
  assert.deepEqual(host.sent, ['slot-0:q'], 'a source without layers needs no preference');
  prefs.setSlotSize('slot-0', { width: 150, height: 110 });
  assert.deepEqual(host.sent, ['slot-0:q'], 'same layer: nothing sent');
  prefs.setSlotSize('slot-0', { width: 640, height: 480 });
  assert.deepEqual(host.sent, ['slot-0:q', 'slot-0:f']);
  // Bob publishes with layers; the slots swap sources.
  host.people.set('bob', person('bob', 'cam-b'));
  host.layoutSlots = [slot(0, 'slot-0', 'bob', 'cam-b'), slot(1, 'slot-1', 'alice', 'cam-a')];
  host.events.emit('layoutChanged', host.layoutSlots);
  assert.deepEqual(host.sent, ['slot-0:q', 'slot-0:f', 'slot-1:q']);
  assert.equal(prefs.preferences.get('slot-1'), 'q');
});

test('preferences are sent again on a timer until closed', async () => {
  const host = new Host();
  host.people.set('alice', person('alice', 'cam-a'));
  host.layoutSlots = [slot(0, 'slot-0', 'alice', 'cam-a')];
  const prefs = new SlotLayerPreferences(host, { resendEveryMs: 5 });
  prefs.setSlotSize('slot-0', { width: 300, height: 200 });
  while (host.sent.length < 3) await new Promise((r) => setTimeout(r, 5));
  assert.ok(host.sent.every((s) => s === 'slot-0:h'));
  prefs.close();
  const n = host.sent.length;
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(host.sent.length, n);
});
