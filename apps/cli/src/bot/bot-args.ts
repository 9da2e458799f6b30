// Parses and validates `darktower bot` arguments.
import { parseArgs } from 'node:util';
import type { PublishMode } from './bot.ts';

export interface BotArgs {
  readonly url: string;
  readonly meetings: string[];
  readonly count: number;
  readonly publish: PublishMode;
  readonly durationS: number;
  readonly json: boolean;
  readonly certHashes: string[];
  readonly videoFps: number;
  readonly audioFps: number;
  readonly joinConcurrency: number;
}

export const BOT_USAGE = `usage: darktower bot --meeting <code> [--count N] [--publish video|audio|both|none] [--duration S]
                    [--url URL] [--json] [--cert-hash B64]... [--video-fps N] [--audio-fps N] [--join-concurrency N]
  --meeting may be repeated (bots are spread round-robin over the meetings).`;

function int(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`--${name} must be an integer from ${String(min)} to ${String(max)}`);
  return n;
}

export function parseBotArgs(args: string[], env: NodeJS.ProcessEnv): BotArgs {
  const { values } = parseArgs({
    args,
    options: {
      url: { type: 'string', default: env.DARKTOWER_URL ?? 'http://localhost:8080' },
      meeting: { type: 'string', multiple: true },
      count: { type: 'string', default: '1' },
      publish: { type: 'string', default: 'both' },
      duration: { type: 'string', default: '10' },
      json: { type: 'boolean', default: false },
      'cert-hash': { type: 'string', multiple: true },
      'video-fps': { type: 'string', default: '30' },
      'audio-fps': { type: 'string', default: '50' },
      'join-concurrency': { type: 'string', default: '8' },
    },
    strict: true,
  });
  const meetings = (values.meeting ?? []).filter((m) => m !== '');
  if (meetings.length === 0) throw new Error(`--meeting is required\n${BOT_USAGE}`);
  for (const m of meetings)
    if (!/^[A-Za-z0-9-]{1,64}$/.test(m)) throw new Error(`--meeting: not a meeting code or id: ${m}`);
  const publish = values.publish;
  if (publish !== 'video' && publish !== 'audio' && publish !== 'both' && publish !== 'none')
    throw new Error('--publish must be video, audio, both or none');
  if (!/^https?:\/\//.test(values.url)) throw new Error('--url must be an http(s) URL');
  return {
    url: values.url,
    meetings,
    count: int('count', values.count, 1, 1000),
    publish,
    durationS: int('duration', values.duration, 1, 86_400),
    json: values.json,
    certHashes: values['cert-hash'] ?? [],
    videoFps: int('video-fps', values['video-fps'], 1, 120),
    audioFps: int('audio-fps', values['audio-fps'], 1, 100),
    joinConcurrency: int('join-concurrency', values['join-concurrency'], 1, 64),
  };
}
