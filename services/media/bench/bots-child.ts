// Bench bots in their own process, so that the client QUIC stacks do not share a core with each other's role:
// one process publishes, another subscribes. Driven over IPC by media-bench.ts.
import { randomBytes } from 'node:crypto';
import { encodeMediaFrame, FrameType, micros, parseStreamId, StreamType } from '@darktower/protocol';
import { connectWebTransport } from '@darktower/transport';
import { MediaBot, wallClockUs, type BotPublisher } from '../src/testing/media-bot.ts';

type Command =
  | { type: 'connect'; id: number; url: string; hash: string; tokens: string[]; streams: string[] }
  | { type: 'publish'; id: number; ratePerPublisher: number; ms: number; payload: number }
  | { type: 'measure'; id: number; on: boolean }
  | { type: 'exit' };

const bots: MediaBot[] = [];
const publishers: BotPublisher[] = [];
/** BENCH_DATAGRAMS=1: each publisher sends audio frames as datagrams (one frame each). */
const datagrams = process.env.BENCH_DATAGRAMS === '1';
const datagramPublishers: { bot: MediaBot; streamId: string; seq: number }[] = [];

function sendDatagram(
  p: { bot: MediaBot; streamId: string; seq: number },
  payload: Uint8Array,
): Promise<void> {
  const frame = encodeMediaFrame(
    {
      frameType: FrameType.Audio,
      streamId: parseStreamId(p.streamId),
      timestamp: micros(wallClockUs()),
      sequence: ++p.seq,
      payloadLength: payload.length,
      endOfFrame: true,
      discardable: false,
      audioLevel: undefined,
    },
    payload,
  );
  return p.bot.sendDatagram(frame).catch(() => undefined);
}
let measuring = false;
let received = 0;
let delays: number[] = [];
const send = (m: unknown): void => {
  process.send?.(m);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function paced(rate: number, until: number, fn: () => Promise<void>): Promise<number> {
  const start = performance.now();
  let sent = 0;
  while (performance.now() < until) {
    const due = Math.floor(((performance.now() - start) * rate) / 1000);
    while (sent < due && performance.now() < until) {
      await fn();
      sent++;
    }
    await sleep(1);
  }
  return sent;
}

process.on('message', (m: Command) => {
  void (async () => {
    switch (m.type) {
      case 'connect': {
        const hash = new Uint8Array(Buffer.from(m.hash, 'base64'));
        for (let i = 0; i < m.tokens.length; i++) {
          const bot = await MediaBot.connect(
            await connectWebTransport(m.url, { serverCertificateHashes: [hash] }),
            m.tokens[i] ?? '',
            {
              record: false,
              onFrame: (_id, f) => {
                if (!measuring) return;
                received++;
                delays.push(f.receivedAtUs - f.header.timestamp);
              },
            },
          );
          bots.push(bot);
          const stream = m.streams[i];
          if (stream !== undefined && stream !== '' && datagrams) {
            datagramPublishers.push({ bot, streamId: stream, seq: 0 });
          } else if (stream !== undefined && stream !== '') {
            const pub = await bot.publish(stream, StreamType.VIDEO_CAMERA, 'vp09');
            await pub.send(randomBytes(100), true);
            publishers.push(pub);
          }
        }
        send({ id: m.id });
        break;
      }
      case 'publish': {
        const payload = randomBytes(m.payload);
        const end = performance.now() + m.ms;
        const sent = await Promise.all([
          ...publishers.map((p) => paced(m.ratePerPublisher, end, () => p.send(payload))),
          ...datagramPublishers.map((p) => paced(m.ratePerPublisher, end, () => sendDatagram(p, payload))),
        ]);
        send({ id: m.id, sent: sent.reduce((a, b) => a + b, 0) });
        break;
      }
      case 'measure':
        if (m.on) {
          received = 0;
          delays = [];
        }
        measuring = m.on;
        send({ id: m.id, received, delays: m.on ? [] : delays, cpu: process.cpuUsage() });
        break;
      case 'exit':
        for (const b of bots) b.close();
        await sleep(100);
        process.exit(0);
    }
  })();
});
send({ type: 'ready' });
