import { StreamType } from '@darktower/protocol';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { asHandlerId, asParticipantId, asStreamId, streamIdToBytes, type StreamId } from '../ids.ts';
import { makeFrame, RecordingSink } from '../testing/frames.ts';
import { ManualClock } from '../testing/manual-clock.ts';
import { CapacityMeter } from './capacity.ts';
import type {
  Destination,
  EgressEndpoint,
  EgressStreamSpec,
  PublisherHandle,
  StreamInfo,
} from './destination.ts';
import { Forwarder } from './forwarder.ts';

const V = asStreamId('00000000-0000-4000-8000-000000000001');
const A = asStreamId('00000000-0000-4000-8000-000000000002');
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
const video = (streamId: StreamId): StreamInfo => ({
  streamId,
  media: 'video',
  streamType: StreamType.VIDEO_CAMERA,
  codec: 'vp09',
});
const audio = (streamId: StreamId): StreamInfo => ({
  streamId,
  media: 'audio',
  streamType: StreamType.AUDIO,
  codec: 'opus',
});
const bob: Destination = { kind: 'participant', participantId: asParticipantId('bob') };
const carol: Destination = { kind: 'participant', participantId: asParticipantId('carol') };
const mh2: Destination = { kind: 'handler', handlerId: asHandlerId('mh2') };

class Endpoint implements EgressEndpoint {
  readonly sinks = new Map<StreamId, RecordingSink>();
  constructor(readonly destination: Destination) {}
  openSink(spec: EgressStreamSpec): RecordingSink {
    const sink = new RecordingSink();
    this.sinks.set(spec.forwardedId, sink);
    return sink;
  }
  sink(id: StreamId): RecordingSink {
    const s = this.sinks.get(id);
    assert.ok(s, `no sink for ${id}`);
    return s;
  }
}

function setup(maxFrames = 8) {
  const keyframeAsks: StreamId[] = [];
  const clock = new ManualClock();
  const fwd = new Forwarder({
    clock,
    limits: { maxFrames, maxBytes: 1_000_000 },
    keyframeIntervalMs: 0,
    capacity: new CapacityMeter({ maxBandwidthBps: 1e9 }),
  });
  const publisher = { requestKeyframe: (s: StreamId) => keyframeAsks.push(s) };
  return { fwd, keyframeAsks, publisher, clock };
}

/** Publishes a simulcast group G of two layers: lo ('q', 200 kbit/s) and hi ('f', 2 Mbit/s). */
function simulcastGroup(
  fwd: Forwarder,
  publisher: PublisherHandle,
): { G: StreamId; lo: StreamId; hi: StreamId } {
  const G = asStreamId('00000000-0000-4000-8000-0000000000ff');
  const lo = asStreamId('00000000-0000-4000-8000-00000000000a');
  const hi = asStreamId('00000000-0000-4000-8000-00000000000b');
  fwd.addPublisher(video(lo), 'client', publisher);
  fwd.addPublisher(video(hi), 'client', publisher);
  fwd.defineSimulcast(video(G), [
    { streamId: lo, layerId: 'q', maxBitrate: 200_000 },
    { streamId: hi, layerId: 'f', maxBitrate: 2_000_000 },
  ]);
  return { G, lo, hi };
}

describe('Forwarder', () => {
  test('forwards a routed stream to every connected destination, sharing one buffer', async () => {
    const { fwd, publisher, keyframeAsks } = setup();
    fwd.addPublisher(video(V), 'client', publisher);
    const b = new Endpoint(bob);
    const c = new Endpoint(carol);
    fwd.attach(b);
    fwd.attach(c);
    fwd.addRoute(V, bob);
    fwd.addRoute(V, carol);
    assert.ok(keyframeAsks.length >= 1, 'new subscribers ask the publisher for a key frame');
    const frames = [makeFrame(V, 'key', 1), makeFrame(V, 'delta', 2), makeFrame(V, 'delta', 3)];
    for (const f of frames) fwd.ingest(f);
    await tick();
    assert.deepEqual(b.sink(V).sequences(), [1, 2, 3]);
    for (let i = 0; i < frames.length; i++) {
      assert.equal(b.sink(V).written[i], frames[i]?.wire);
      assert.equal(c.sink(V).written[i], frames[i]?.wire);
    }
    fwd.close();
  });

  test('a key frame request naming the slot id a plain stream is forwarded under reaches its publisher', async () => {
    const { fwd, publisher, keyframeAsks } = setup();
    const slot = asStreamId('00000000-0000-4000-8000-00000000006b');
    fwd.addPublisher(video(V), 'client', publisher);
    const b = new Endpoint(bob);
    const c = new Endpoint(carol);
    fwd.attach(b);
    fwd.attach(c);
    fwd.addRoute(V, bob, { forwardedId: slot });
    fwd.ingest(makeFrame(V, 'key', 1));
    await tick();
    keyframeAsks.length = 0;
    // Bob knows the stream only by his slot (his receiver could not decrypt its first frames, say).
    assert.equal(fwd.requestKeyframe(slot, bob), true);
    assert.deepEqual(keyframeAsks, [V]);
    // Not for a destination that has no such slot.
    assert.equal(fwd.requestKeyframe(slot, carol), false);
    assert.deepEqual(keyframeAsks, [V]);
    fwd.close();
  });

  test('fast start: a new subscriber gets the recent key frame and what followed at once, without a request', async () => {
    const { fwd, publisher, keyframeAsks, clock } = setup();
    fwd.addPublisher(video(V), 'client', publisher);
    const b = new Endpoint(bob);
    fwd.attach(b);
    fwd.addRoute(V, bob);
    const frames = [makeFrame(V, 'delta', 1), makeFrame(V, 'key', 2), makeFrame(V, 'delta', 3)];
    for (const f of frames) fwd.ingest(f);
    clock.advance(100);
    keyframeAsks.length = 0;
    // Carol connects 100 ms after the key frame (a joiner subscribing just after the publisher's new-epoch key frame).
    const c = new Endpoint(carol);
    fwd.attach(c);
    fwd.addRoute(V, carol);
    assert.deepEqual(
      keyframeAsks,
      [],
      'the young key frame serves her: the publisher is not asked for another',
    );
    assert.equal(fwd.fastStarts, 1);
    fwd.ingest(makeFrame(V, 'delta', 4));
    await tick();
    assert.deepEqual(c.sink(V).sequences(), [2, 3, 4]);
    // The same buffers as Bob's, byte for byte (nothing copied, nothing re-encoded).
    assert.equal(c.sink(V).written[0], frames[1]?.wire);
    assert.deepEqual(b.sink(V).sequences(), [2, 3, 4]);
    fwd.close();
  });

  test('fast start: a key frame older than the window, or a chain past its bounds, is not replayed', async () => {
    const { fwd, publisher, keyframeAsks, clock } = setup(64);
    const slot = asStreamId('00000000-0000-4000-8000-00000000006c');
    fwd.addPublisher(video(V), 'client', publisher);
    fwd.ingest(makeFrame(V, 'key', 1));
    clock.advance(301);
    const b = new Endpoint(bob);
    fwd.attach(b);
    keyframeAsks.length = 0;
    fwd.addRoute(V, bob);
    assert.deepEqual(keyframeAsks, [V], 'too old: a fresh key frame is asked for');
    await tick();
    assert.deepEqual(b.sink(V).sequences(), []);
    // A young key frame followed by more frames than a replay may carry: dropped until the next key frame.
    fwd.ingest(makeFrame(V, 'key', 2));
    for (let i = 3; i < 3 + 16; i++) fwd.ingest(makeFrame(V, 'delta', i));
    const c = new Endpoint(carol);
    fwd.attach(c);
    keyframeAsks.length = 0;
    fwd.addRoute(V, carol, { forwardedId: slot });
    assert.deepEqual(keyframeAsks, [V]);
    await tick();
    assert.deepEqual(c.sink(slot).sequences(), []);
    assert.equal(fwd.fastStarts, 0);
    // Audio is never replayed (it needs no key frame; old sound is worse than none).
    fwd.addPublisher(audio(A), 'client', publisher);
    fwd.ingest(makeFrame(A, 'audio', 1));
    fwd.addRoute(A, carol);
    await tick();
    assert.deepEqual(c.sink(A).sequences(), []);
    fwd.close();
  });

  test('fast start: a new subscriber of a simulcast group gets the recent chain of the layer it starts on only', async () => {
    const { fwd, publisher, keyframeAsks, clock } = setup();
    const { G, lo, hi } = simulcastGroup(fwd, publisher);
    fwd.ingest(makeFrame(lo, 'key', 1));
    fwd.ingest(makeFrame(hi, 'key', 1));
    fwd.ingest(makeFrame(lo, 'delta', 2));
    fwd.ingest(makeFrame(hi, 'delta', 2));
    clock.advance(50);
    const b = new Endpoint(bob);
    fwd.attach(b);
    keyframeAsks.length = 0;
    fwd.addRoute(G, bob, { maxLayer: 0 });
    assert.deepEqual(keyframeAsks, []);
    fwd.ingest(makeFrame(hi, 'delta', 3));
    fwd.ingest(makeFrame(lo, 'delta', 3));
    await tick();
    const sink = b.sink(G);
    assert.deepEqual(sink.sequences(), [1, 2, 3]);
    const gid = streamIdToBytes(G);
    for (const w of sink.written) assert.deepEqual(w.subarray(2, 18), gid);
    fwd.close();
  });

  test('unrouted streams go nowhere; routes wait for the destination to connect', async () => {
    const { fwd, publisher } = setup();
    fwd.addPublisher(audio(A), 'client', publisher);
    fwd.addRoute(A, bob);
    fwd.ingest(makeFrame(A, 'audio', 1));
    const b = new Endpoint(bob);
    fwd.attach(b);
    fwd.ingest(makeFrame(A, 'audio', 2));
    await tick();
    assert.deepEqual(b.sink(A).sequences(), [2]);
    fwd.removeRoute(A, bob);
    assert.ok(b.sink(A).closed);
    fwd.close();
  });

  test('a slow subscriber does not hold back a fast one', async () => {
    const { fwd, publisher } = setup(4);
    fwd.addPublisher(video(V), 'client', publisher);
    const fast = new Endpoint(bob);
    const slow = new Endpoint(carol);
    fwd.attach(fast);
    fwd.attach(slow);
    fwd.addRoute(V, bob);
    fwd.addRoute(V, carol);
    slow.sink(V).block();
    const n = 300;
    for (let seq = 1; seq <= n; seq++) {
      fwd.ingest(makeFrame(V, seq % 30 === 1 ? 'key' : 'delta', seq));
      if (seq % 10 === 0) await tick();
    }
    await tick();
    assert.equal(fast.sink(V).written.length, n);
    assert.ok(slow.sink(V).written.length < n / 10);
    const slowCounters = fwd.outputCounters(V, carol);
    assert.ok(slowCounters !== undefined && slowCounters.framesDropped > 0);
    assert.equal(fwd.outputCounters(V, bob)?.framesDropped, 0);
    fwd.close();
  });

  test('loop freedom: a frame that came over a cascade link never goes out on one', async () => {
    const { fwd, publisher } = setup();
    fwd.addPublisher(audio(A), 'cascade', publisher);
    fwd.addPublisher(audio(V), 'client', publisher);
    const peer = new Endpoint(mh2);
    const b = new Endpoint(bob);
    fwd.attach(peer);
    fwd.attach(b);
    fwd.addRoute(A, mh2);
    fwd.addRoute(A, bob);
    fwd.addRoute(V, mh2);
    fwd.ingest(makeFrame(A, 'audio', 1, 10, 'cascade'));
    fwd.ingest(makeFrame(V, 'audio', 1, 10, 'client'));
    await tick();
    assert.deepEqual(b.sink(A).sequences(), [1]);
    assert.equal(peer.sinks.has(A), false); // no stream towards a handler is even opened
    assert.deepEqual(peer.sink(V).sequences(), [1]);
    fwd.close();
  });

  test('a publisher leaving ends its forwarded streams; frames of unknown streams are counted and ignored', () => {
    const { fwd, publisher } = setup();
    fwd.addPublisher(audio(A), 'client', publisher);
    const b = new Endpoint(bob);
    fwd.attach(b);
    fwd.addRoute(A, bob);
    fwd.removePublisher(A);
    assert.ok(b.sink(A).closed);
    fwd.ingest(makeFrame(A, 'audio', 1));
    assert.equal(fwd.unknownFrames, 1);
    assert.throws(() => {
      fwd.addPublisher(audio(V), 'client', publisher);
      fwd.addPublisher(audio(V), 'client', publisher);
    });
    fwd.close();
  });

  test('simulcast: the subscriber gets one layer relabelled with the group id and switches at key frames', async () => {
    const { fwd, publisher, keyframeAsks } = setup();
    const { G, lo, hi } = simulcastGroup(fwd, publisher);
    const b = new Endpoint(bob);
    fwd.attach(b);
    fwd.addRoute(G, bob, { maxLayer: 1 });
    assert.ok(keyframeAsks.includes(hi));
    fwd.ingest(makeFrame(lo, 'key', 1));
    fwd.ingest(makeFrame(hi, 'key', 1));
    fwd.ingest(makeFrame(hi, 'delta', 2));
    fwd.setAvailableBandwidth(bob, 300_000); // only the low layer fits now
    assert.equal(keyframeAsks.at(-1), lo);
    fwd.ingest(makeFrame(lo, 'delta', 2)); // not a key: keep high
    fwd.ingest(makeFrame(hi, 'delta', 3));
    fwd.ingest(makeFrame(lo, 'key', 3)); // switch
    fwd.ingest(makeFrame(hi, 'delta', 4)); // no longer forwarded
    fwd.ingest(makeFrame(lo, 'delta', 4));
    await tick();
    const sink = b.sink(G);
    assert.deepEqual(sink.sequences(), [1, 2, 3, 3, 4]);
    const gid = streamIdToBytes(G);
    for (const w of sink.written) assert.deepEqual(w.subarray(2, 18), gid);
    fwd.close();
  });

  test('simulcast: a key frame request naming the group or the slot reaches the layer that subscriber gets', async () => {
    const { fwd, publisher, keyframeAsks } = setup();
    const { G, lo, hi } = simulcastGroup(fwd, publisher);
    const slot = asStreamId('00000000-0000-4000-8000-00000000006a');
    const b = new Endpoint(bob);
    const c = new Endpoint(carol);
    fwd.attach(b);
    fwd.attach(c);
    fwd.addRoute(G, bob, { forwardedId: slot });
    fwd.addRoute(G, carol);
    fwd.setPreferredLayer(bob, slot, 'q');
    fwd.ingest(makeFrame(lo, 'key', 1));
    fwd.ingest(makeFrame(hi, 'key', 1));
    await tick();
    keyframeAsks.length = 0;
    // Bob's decoder lost its place: his client names the group (the source of its slot), or the slot.
    assert.equal(fwd.requestKeyframe(G, bob), true);
    assert.deepEqual(keyframeAsks, [lo], "bob's slot is on the low layer: only that encoder is asked");
    assert.equal(fwd.requestKeyframe(slot, bob), true);
    assert.deepEqual(keyframeAsks, [lo, lo]);
    assert.equal(fwd.requestKeyframe(G, carol), true);
    assert.deepEqual(keyframeAsks, [lo, lo, hi], 'carol gets the top layer');
    // Without a destination (an RPC naming the group): every layer some subscriber gets.
    keyframeAsks.length = 0;
    assert.equal(fwd.requestKeyframe(G), true);
    assert.deepEqual(keyframeAsks.sort(), [lo, hi].sort());
    // A stream nobody publishes or subscribes here: nothing.
    keyframeAsks.length = 0;
    assert.equal(fwd.requestKeyframe(asStreamId('00000000-0000-4000-8000-00000000009e'), bob), false);
    assert.deepEqual(keyframeAsks, []);
    fwd.close();
  });

  test('simulcast: a preferred layer caps what one slot receives, kept across a source change; lifted by an unknown id', async () => {
    const { fwd, publisher, keyframeAsks } = setup();
    const { G, lo, hi } = simulcastGroup(fwd, publisher);
    const small = asStreamId('00000000-0000-4000-8000-00000000005a');
    const large = asStreamId('00000000-0000-4000-8000-00000000005b');
    const b = new Endpoint(bob);
    fwd.attach(b);
    // One subscriber, the same source in a small and in a large slot.
    fwd.addRoute(G, bob, { forwardedId: small });
    fwd.addRoute(G, bob, { forwardedId: large });
    fwd.setPreferredLayer(bob, small, 'q');
    assert.equal(keyframeAsks.at(-1), lo);
    fwd.ingest(makeFrame(lo, 'key', 1, 50));
    fwd.ingest(makeFrame(hi, 'key', 1, 500));
    fwd.ingest(makeFrame(lo, 'delta', 2, 50));
    fwd.ingest(makeFrame(hi, 'delta', 2, 500));
    await tick();
    const sizes = (id: StreamId) => b.sink(id).written.map((w) => w.length - 46);
    assert.deepEqual(sizes(small), [50, 50], 'the small slot gets the low layer');
    assert.deepEqual(sizes(large), [500, 500], 'the large slot gets the top layer');
    // The slot gets another source and back: the preference stays with the slot id.
    fwd.removeRoute(G, bob, small);
    fwd.addRoute(G, bob, { forwardedId: small });
    assert.equal(keyframeAsks.at(-1), lo);
    // An id this group does not have lifts the cap: the slot switches up at the next key frame of the top layer.
    fwd.setPreferredLayer(bob, small, 'x');
    assert.equal(keyframeAsks.at(-1), hi);
    // Preferences for streams the destination does not receive are not kept.
    fwd.setPreferredLayer(bob, asStreamId('00000000-0000-4000-8000-00000000009f'), 'q');
    fwd.close();
  });

  test('simulcast: a layer the publisher paused is not selected; a slot on it moves down, and back up when it resumes', async () => {
    const clock = new ManualClock();
    const keyframeAsks: StreamId[] = [];
    const fwd = new Forwarder({
      clock,
      limits: { maxFrames: 64, maxBytes: 1_000_000 },
      keyframeIntervalMs: 0,
      capacity: new CapacityMeter({ maxBandwidthBps: 1e9 }),
    });
    const publisher = { requestKeyframe: (s: StreamId) => keyframeAsks.push(s) };
    const { G, lo, hi } = simulcastGroup(fwd, publisher);
    const slot = asStreamId('00000000-0000-4000-8000-00000000006a');
    const b = new Endpoint(bob);
    fwd.attach(b);
    fwd.addRoute(G, bob, { forwardedId: slot });
    fwd.setPreferredLayer(bob, slot, 'f');
    let seq = 0;
    const second = (layers: StreamId[]): void => {
      // One second of frames on the given layers, key frames first.
      for (let i = 0; i < 10; i++) {
        seq++;
        for (const l of layers) fwd.ingest(makeFrame(l, i === 0 ? 'key' : 'delta', seq, l === lo ? 50 : 500));
        clock.advance(100);
      }
    };
    second([lo, hi]);
    second([lo, hi]);
    await tick();
    assert.ok(
      b.sink(slot).written.every((w) => w.length - 46 === 500),
      'the top layer while it flows',
    );
    // The publisher pauses the top layer; the subscriber repeats its preference: it moves to the low layer.
    second([lo]);
    second([lo]);
    fwd.setPreferredLayer(bob, slot, 'f');
    assert.equal(keyframeAsks.at(-1), lo);
    second([lo]);
    await tick();
    assert.equal(b.sink(slot).written.at(-1)?.length, 46 + 50);
    // Resumed: back up at its next key frame.
    second([lo, hi]);
    second([lo, hi]);
    fwd.setPreferredLayer(bob, slot, 'f');
    assert.equal(keyframeAsks.at(-1), hi);
    second([lo, hi]);
    await tick();
    assert.equal(b.sink(slot).written.at(-1)?.length, 46 + 500);
    fwd.close();
  });

  test('simulcast: a subscriber waiting for a key frame of a layer that stopped takes the layer that flows', async () => {
    const clock = new ManualClock();
    const fwd = new Forwarder({
      clock,
      limits: { maxFrames: 64, maxBytes: 1_000_000 },
      keyframeIntervalMs: 0,
      capacity: new CapacityMeter({ maxBandwidthBps: 1e9 }),
    });
    const publisher = { requestKeyframe: () => undefined };
    const { G, lo } = simulcastGroup(fwd, publisher);
    const b = new Endpoint(bob);
    fwd.attach(b);
    fwd.addRoute(G, bob); // no preference, no feedback: it waits for the top layer
    // Only the low layer flows (the top one is paused), a key frame every second; nobody sends feedback.
    for (let seq = 1; seq <= 40; seq++) {
      fwd.ingest(makeFrame(lo, seq % 10 === 1 ? 'key' : 'delta', seq, 50));
      clock.advance(100);
    }
    await tick();
    const got = b.sink(G).written.map((w) => w.length - 46);
    assert.ok(got.length > 0, 'the subscriber gets the low layer');
    assert.ok(got.every((n) => n === 50));
    fwd.close();
  });

  test('a layout slot id relabels the header per subscriber while the payload buffer stays shared', async () => {
    const { fwd, publisher } = setup();
    const slot = asStreamId('00000000-0000-4000-8000-0000000000aa');
    fwd.addPublisher(audio(A), 'client', publisher);
    const b = new Endpoint(bob);
    const c = new Endpoint(carol);
    fwd.attach(b);
    fwd.attach(c);
    fwd.addRoute(A, bob, { forwardedId: slot });
    fwd.addRoute(A, carol);
    const f = makeFrame(A, 'audio', 7);
    fwd.ingest(f);
    await tick();
    const got = b.sink(slot).written[0];
    assert.ok(got);
    assert.deepEqual(got.subarray(2, 18), streamIdToBytes(slot));
    assert.deepEqual(got.subarray(18), f.wire.subarray(18));
    assert.equal(b.sink(slot).handed[0]?.wire, f.wire); // the same buffer, only a 46-byte header was made
    assert.equal(b.sink(slot).handed[0]?.header?.byteLength, 46);
    assert.equal(c.sink(A).written[0], f.wire);
    assert.equal(fwd.removeRoute(A, bob), 1);
    assert.ok(b.sink(slot).closed);
    fwd.close();
  });

  test('key frame requests from subscribers reach the publisher', () => {
    const { fwd, publisher, keyframeAsks } = setup();
    fwd.addPublisher(video(V), 'client', publisher);
    const before = keyframeAsks.length;
    fwd.requestKeyframe(V);
    assert.equal(keyframeAsks.length, before + 1);
    fwd.close();
  });

  test('a relayed stream moves to a new path; a client publication is never displaced', async () => {
    const { fwd } = setup();
    const relinquished: string[] = [];
    const oldLink = {
      requestKeyframe: () => undefined,
      relinquish: (id: StreamId) => relinquished.push(`old:${id}`),
    };
    const newLink = { requestKeyframe: () => undefined, relinquish: (id: StreamId) => relinquished.push(id) };
    fwd.addPublisher(video(V), 'cascade', oldLink);
    const b = new Endpoint(bob);
    fwd.attach(b);
    fwd.addRoute(V, bob);
    fwd.ingest(makeFrame(V, 'key', 1, 100, 'cascade'));
    // The upstream handler died; the controller rerouted the stream over another handler's link.
    fwd.addPublisher(video(V), 'cascade', newLink);
    assert.deepEqual(relinquished, [`old:${V}`]);
    assert.equal(fwd.relayedStreamsMoved, 1);
    fwd.ingest(makeFrame(V, 'delta', 2, 100, 'cascade'));
    await tick();
    assert.deepEqual(b.sink(V).sequences(), [1, 2], 'the subscriber keeps receiving across the move');
    // The same link announcing it again: a conflict.
    assert.throws(() => {
      fwd.addPublisher(video(V), 'cascade', newLink);
    }, /already published/);
    // The publisher failed over to this handler: its own stream replaces the relayed copy.
    const client = { requestKeyframe: () => undefined, relinquish: () => assert.fail('never asked') };
    fwd.addPublisher(video(V), 'client', client);
    assert.deepEqual(relinquished, [`old:${V}`, V]);
    // A client's publication is never displaced, by a cascade or another session.
    assert.throws(() => {
      fwd.addPublisher(video(V), 'cascade', oldLink);
    }, /already published/);
    assert.throws(() => {
      fwd.addPublisher(video(V), 'client', newLink);
    }, /already published/);
    fwd.close();
  });
  test('a replaced session tearing down late detaches only itself and removes only its own publications', async () => {
    const { fwd } = setup();
    const oldLink = { requestKeyframe: () => undefined, relinquish: () => undefined };
    const newLink = { requestKeyframe: () => undefined, relinquish: () => undefined };
    const first = new Endpoint(mh2);
    fwd.attach(first);
    fwd.addPublisher(video(V), 'cascade', oldLink);
    // The new link to the same handler: the old one leaves first (a second attach of one destination conflicts).
    assert.throws(() => {
      fwd.attach(new Endpoint(mh2));
    }, /already connected/);
    fwd.detach(mh2, first);
    const second = new Endpoint(mh2);
    fwd.attach(second);
    fwd.addPublisher(video(V), 'cascade', newLink);
    fwd.addPublisher(audio(A), 'client', { requestKeyframe: () => undefined });
    fwd.addRoute(A, mh2);
    // The old link's QUIC close completes now: its teardown must not touch what the new link holds.
    fwd.detach(mh2, first);
    fwd.removePublisher(V, oldLink);
    assert.ok(fwd.isPublished(V), 'the stream the new link publishes stays');
    fwd.ingest(makeFrame(A, 'audio', 1));
    await tick();
    assert.deepEqual(second.sink(A).sequences(), [1], 'the new link still receives');
    fwd.removePublisher(V, newLink);
    assert.ok(!fwd.isPublished(V));
    fwd.close();
  });
});
