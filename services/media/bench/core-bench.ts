// In-process benchmark of the forwarding core alone (no transport): how many frames per CPU-second the
// Forwarder + SubscriberOutput path moves, and the memory of 1,000 concurrently forwarded streams.
import { StreamType } from '@darktower/protocol';
import { systemClock } from '../src/clock.ts';
import { CapacityMeter } from '../src/core/capacity.ts';
import type { EgressEndpoint, EgressStreamSpec } from '../src/core/destination.ts';
import type { FrameSink } from '../src/core/frame.ts';
import { Forwarder } from '../src/core/forwarder.ts';
import { asParticipantId, asStreamId, type StreamId } from '../src/ids.ts';
import { makeFrame } from '../src/testing/frames.ts';
import { round } from './stats.ts';

class CountingSink implements FrameSink {
  frames = 0;
  bytes = 0;
  write(wire: Uint8Array): void {
    this.frames++;
    this.bytes += wire.byteLength;
  }
  close(): void {
    // nothing held
  }
}

class Endpoint implements EgressEndpoint {
  readonly sinks: CountingSink[] = [];
  constructor(readonly destination: EgressEndpoint['destination']) {}
  openSink(_spec: EgressStreamSpec): CountingSink {
    const s = new CountingSink();
    this.sinks.push(s);
    return s;
  }
}

export interface CoreBenchResult {
  streams: number;
  subscribersPerStream: number;
  forwardedPackets: number;
  forwardedPacketsPerCpuSecond: number;
  forwardedMbitPerCpuSecond: number;
  heapBytesPerForwardedStream: number;
  queueBytesBound: number;
}

/** `streams` published streams, each forwarded to `subs` subscribers; frames of `payload` bytes. */
export async function runCoreBench(
  streams: number,
  subs: number,
  payload: number,
  durationMs: number,
): Promise<CoreBenchResult> {
  globalThis.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const fwd = new Forwarder({
    clock: systemClock,
    limits: { maxFrames: 64, maxBytes: 256 * 1024 },
    keyframeIntervalMs: 500,
    capacity: new CapacityMeter({ maxBandwidthBps: 1e12 }),
  });
  const publisher = { requestKeyframe: () => undefined };
  const ids: StreamId[] = [];
  for (let i = 0; i < streams; i++) {
    const id = asStreamId(`00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`);
    ids.push(id);
    fwd.addPublisher(
      { streamId: id, media: 'video', streamType: StreamType.VIDEO_CAMERA, codec: 'vp09' },
      'client',
      publisher,
    );
  }
  const endpoints: Endpoint[] = [];
  for (let s = 0; s < subs; s++) {
    const ep = new Endpoint({ kind: 'participant', participantId: asParticipantId(`sub${s}`) });
    endpoints.push(ep);
    fwd.attach(ep);
  }
  for (const id of ids) for (const ep of endpoints) fwd.addRoute(id, ep.destination);
  // One key frame and one delta frame per stream, reused: the bench measures forwarding, not frame building.
  const key = ids.map((id) => makeFrame(id, 'key', 1, payload));
  const delta = ids.map((id) => makeFrame(id, 'delta', 2, payload));
  for (const f of key) fwd.ingest(f);
  await new Promise((r) => setImmediate(r));
  globalThis.gc?.();
  const heapSetUp = process.memoryUsage().heapUsed;

  const cpu0 = process.cpuUsage();
  const t0 = performance.now();

  while (performance.now() - t0 < durationMs) {
    for (let r = 0; r < 10; r++) for (const f of delta) fwd.ingest(f);

    await new Promise((r) => setImmediate(r)); // let the output pumps run
  }
  await new Promise((r) => setImmediate(r));
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const t = fwd.totals();
  const forwardedFrames = t.framesForwarded - streams * subs; // minus the initial key frames
  const bytes = forwardedFrames * (payload + 46);
  fwd.close();
  return {
    streams,
    subscribersPerStream: subs,
    forwardedPackets: forwardedFrames,
    forwardedPacketsPerCpuSecond: Math.round(forwardedFrames / cpuSeconds),
    forwardedMbitPerCpuSecond: round((bytes * 8) / 1e6 / cpuSeconds),
    heapBytesPerForwardedStream: Math.round((heapSetUp - heapBefore) / (streams * subs)),
    queueBytesBound: 256 * 1024,
  };
}
