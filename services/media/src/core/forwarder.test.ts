import { StreamType } from '@darktower/protocol';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { asHandlerId, asParticipantId, asStreamId, streamIdToBytes, type StreamId } from '../ids.ts';
import { makeFrame, RecordingSink } from '../testing/frames.ts';
import { ManualClock } from '../testing/manual-clock.ts';
import { CapacityMeter } from './capacity.ts';
import type { Destination, EgressEndpoint, EgressStreamSpec, StreamInfo } from './destination.ts';
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
  const fwd = new Forwarder({
    clock: new ManualClock(),
    limits: { maxFrames, maxBytes: 1_000_000 },
    keyframeIntervalMs: 0,
    capacity: new CapacityMeter({ maxBandwidthBps: 1e9 }),
  });
  const publisher = { requestKeyframe: (s: StreamId) => keyframeAsks.push(s) };
  return { fwd, keyframeAsks, publisher };
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
    const G = asStreamId('00000000-0000-4000-8000-0000000000ff');
    const lo = asStreamId('00000000-0000-4000-8000-00000000000a');
    const hi = asStreamId('00000000-0000-4000-8000-00000000000b');
    fwd.addPublisher(video(lo), 'client', publisher);
    fwd.addPublisher(video(hi), 'client', publisher);
    fwd.defineSimulcast(video(G), [
      { streamId: lo, maxBitrate: 200_000 },
      { streamId: hi, maxBitrate: 2_000_000 },
    ]);
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
});
