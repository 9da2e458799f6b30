// `npm run bench -w @darktower/protocol`: throughput of the hot codecs. Prints a table and writes
// bench/results/protocol.json at the repository root. Numbers depend on the machine (2 shared cores here).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { create } from '@bufbuild/protobuf';
import { decodeClientMessage, encodeClientMessage } from '../framing/envelopes.ts';
import { FrameDecoder } from '../framing/frame-decoder.ts';
import { StreamType } from '../gen/darktower/v1/enums_pb.ts';
import { ClientMessageSchema } from '../gen/darktower/v1/signaling_pb.ts';
import { KnownFourCC } from '../ids/fourcc.ts';
import { micros } from '../ids/micros.ts';
import { randomStreamId } from '../ids/stream-id.ts';
import {
  encodeFrameHeader,
  FRAME_HEADER_BYTES,
  type FrameHeader,
  FrameType,
  readFrameHeader,
  writeFrameHeader,
} from '../media/frame-header.ts';
import { decodeMediaFrame, encodeMediaFrame } from '../media/media-frame.ts';
import { MediaStreamParser } from '../media/media-stream-parser.ts';
import { encodeStreamHeader } from '../media/stream-header.ts';

interface Result {
  readonly name: string;
  readonly opsPerSec: number;
  readonly mbPerSec?: number;
  readonly iterations: number;
}

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 700);
let sink = 0; // keeps results alive so the JIT cannot drop the work

function measure(name: string, fn: () => number, bytesPerOp?: number): Result {
  for (let i = 0; i < 2000; i++) sink += fn(); // warm-up
  let iterations = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < DURATION_MS) {
    for (let i = 0; i < 1000; i++) sink += fn();
    iterations += 1000;
    elapsed = performance.now() - start;
  }
  const opsPerSec = (iterations * 1000) / elapsed;
  return {
    name,
    opsPerSec: Math.round(opsPerSec),
    ...(bytesPerOp === undefined ? {} : { mbPerSec: Math.round((opsPerSec * bytesPerOp) / 1e4) / 100 }),
    iterations,
  };
}

const streamId = randomStreamId();
const header: FrameHeader = {
  frameType: FrameType.VideoDelta,
  streamId,
  timestamp: micros(Date.now() * 1000),
  sequence: 123_456,
  payloadLength: 1200,
  endOfFrame: true,
  discardable: false,
  audioLevel: undefined,
};
const target = new Uint8Array(FRAME_HEADER_BYTES);
const encodedHeader = encodeFrameHeader(header);

function streamBytes(payloadSize: number, frames: number): Uint8Array {
  const parts = [
    encodeStreamHeader({ streamType: StreamType.VIDEO_CAMERA, streamId, codec: KnownFourCC.VP9 }),
  ];
  const payload = new Uint8Array(payloadSize).fill(7);
  for (let i = 0; i < frames; i++) {
    parts.push(encodeMediaFrame({ ...header, sequence: i, payloadLength: payloadSize }, payload));
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function chunked(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let o = 0; o < bytes.length; o += size) out.push(bytes.subarray(o, o + size));
  return out;
}

function parseStream(chunks: readonly Uint8Array[]): number {
  const p = new MediaStreamParser();
  let n = 0;
  for (const c of chunks) n += p.push(c).length;
  p.finish();
  return n;
}

const small = streamBytes(1200, 200); // audio-/datagram-sized frames
const large = streamBytes(30_000, 20); // video key-frame-sized frames
const smallChunks = chunked(small, 16 * 1024);
const largeChunks = chunked(large, 16 * 1024);
const datagram = encodeMediaFrame(header, new Uint8Array(1200));

const heartbeat = create(ClientMessageSchema, {
  requestId: 42,
  kind: { case: 'heartbeat', value: { clientTimeMs: BigInt(Date.now()) } },
});
const join = create(ClientMessageSchema, {
  requestId: 1,
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  kind: {
    case: 'join',
    value: {
      meetingId: '550e8400-e29b-41d4-a716-446655440000',
      joinToken: 'x'.repeat(600),
      participantName: 'Alice',
      capabilities: { videoCodecs: ['VP9', 'AV1', 'H264'], audioCodecs: ['Opus'], supportsSimulcast: true },
    },
  },
});
const heartbeatWire = encodeClientMessage(heartbeat);
const joinWire = encodeClientMessage(join);
const signalingStream = new Uint8Array(heartbeatWire.length * 100);
for (let i = 0; i < 100; i++) signalingStream.set(heartbeatWire, i * heartbeatWire.length);
const signalingChunks = chunked(signalingStream, 1000);

const results: Result[] = [
  measure('frame header encode (into buffer)', () => {
    writeFrameHeader(header, target, 0);
    return target[1] ?? 0;
  }),
  measure('frame header encode (new buffer)', () => encodeFrameHeader(header).length),
  measure('frame header decode', () => readFrameHeader(encodedHeader, 0).payloadLength),
  measure(
    'datagram decode (1200 B payload)',
    () => decodeMediaFrame(datagram).payload.length,
    datagram.length,
  ),
  measure(
    'stream parse, 1200 B frames, 16 KiB chunks (per stream of 200)',
    () => parseStream(smallChunks),
    small.length,
  ),
  measure(
    'stream parse, 30 kB frames, 16 KiB chunks (per stream of 20)',
    () => parseStream(largeChunks),
    large.length,
  ),
  measure('signaling encode heartbeat', () => encodeClientMessage(heartbeat).length),
  measure('signaling decode heartbeat', () => decodeClientMessage(heartbeatWire.subarray(4)).requestId),
  measure('signaling encode join request', () => encodeClientMessage(join).length),
  measure('signaling decode join request', () => decodeClientMessage(joinWire.subarray(4)).requestId),
  measure(
    'length-prefix decode, 100 heartbeats in 1000 B chunks',
    () => {
      const d = new FrameDecoder();
      let n = 0;
      for (const c of signalingChunks) n += d.push(c).length;
      return n;
    },
    signalingStream.length,
  ),
];

console.table(
  results.map((r) => ({
    benchmark: r.name,
    'ops/s': r.opsPerSec.toLocaleString('en-US'),
    'MB/s': r.mbPerSec ?? '',
  })),
);
const out = fileURLToPath(new URL('../../../../bench/results/protocol.json', import.meta.url));
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  JSON.stringify(
    {
      package: '@darktower/protocol',
      date: new Date().toISOString(),
      node: process.version,
      durationMsPerBenchmark: DURATION_MS,
      results,
    },
    null,
    2,
  ) + '\n',
);
console.log(`wrote ${out} (sink ${sink > 0 ? 'ok' : 'empty'})`);
