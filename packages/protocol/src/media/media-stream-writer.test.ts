import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isProtocolError } from '../errors/protocol-error.ts';
import { StreamType } from '../gen/darktower/v1/enums_pb.ts';
import { KnownFourCC } from '../ids/fourcc.ts';
import type { Micros } from '../ids/micros.ts';
import { randomStreamId } from '../ids/stream-id.ts';
import { arbitraryMediaStream } from '../testing/arbitrary-media.ts';
import { FrameType } from './frame-header.ts';
import type { MediaStreamEvent } from './media-stream-parser.ts';
import { readMediaStream } from './media-stream-reader.ts';
import { MediaStreamWriter } from './media-stream-writer.ts';

async function collect(readable: ReadableStream<Uint8Array>): Promise<MediaStreamEvent[]> {
  const out: MediaStreamEvent[] = [];
  for await (const e of readMediaStream(readable)) out.push(e);
  return out;
}

test('what the writer writes, the reader reads back', async () => {
  await fc.assert(
    fc.asyncProperty(arbitraryMediaStream, async (s) => {
      const pipe = new TransformStream<Uint8Array, Uint8Array>();
      const reading = collect(pipe.readable);
      const writer = new MediaStreamWriter(pipe.writable, s.header);
      for (const f of s.frames) await writer.writeFrame(f.header, f.payload);
      await writer.close();
      assert.deepEqual(await reading, [
        { kind: 'header', header: s.header },
        ...s.frames.map((f) => ({ kind: 'frame', header: f.header, payload: f.payload })),
      ]);
    }),
    { numRuns: 40 },
  );
});

test('refuses frames that do not belong to the stream, and writes after close', async () => {
  const header = { streamType: StreamType.AUDIO, streamId: randomStreamId(), codec: KnownFourCC.Opus };
  const pipe = new TransformStream<Uint8Array, Uint8Array>();
  const reading = collect(pipe.readable);
  await using writer = new MediaStreamWriter(pipe.writable, header);
  const frame = {
    frameType: FrameType.VideoKey,
    streamId: header.streamId,
    timestamp: 5 as Micros,
    sequence: 0,
    payloadLength: 1,
    endOfFrame: true,
    discardable: false,
    audioLevel: undefined,
  };
  await assert.rejects(writer.writeFrame(frame, new Uint8Array(1)), (e) =>
    isProtocolError(e, 'STREAM_MISMATCH'),
  );
  await writer.close();
  // A stream closed without frames still carries its header.
  assert.deepEqual(await reading, [{ kind: 'header', header }]);
  await assert.rejects(writer.writeFrame({ ...frame, frameType: FrameType.Audio }, new Uint8Array(1)), (e) =>
    isProtocolError(e, 'CLOSED'),
  );
});

test('close(reason) resets the stream', async () => {
  const header = { streamType: StreamType.VIDEO_SCREEN, streamId: randomStreamId(), codec: KnownFourCC.AV1 };
  const pipe = new TransformStream<Uint8Array, Uint8Array>();
  const reading = collect(pipe.readable);
  const writer = new MediaStreamWriter(pipe.writable, header);
  const reason = new Error('unpublished');
  await writer.close(reason);
  await writer.closed;
  await assert.rejects(reading, (e) => e === reason);
});
