import { openKeyValueStore } from '@darktower/data';
import type { Clock } from '../ids.ts';
import { KvMeetingStore } from './kv-meeting-store.ts';
import { KvMeetingBus, type MeetingBus } from './meeting-bus.ts';
import type { MeetingStore } from './meeting-store.ts';
import { MemoryMeetingStore } from './memory-meeting-store.ts';

/**
 * Redis when a URL is configured (controllers share meetings and talk over its pub/sub), otherwise in process
 * (one controller, no bus).
 */
export async function openMeetingStore(options: {
  url?: string;
  /** The URL is a seed node of a Redis Cluster. */
  cluster?: boolean;
  prefix: string;
  clock: Clock;
  signal?: AbortSignal;
}): Promise<{ store: MeetingStore; bus?: MeetingBus }> {
  if (options.url === undefined || options.url === '')
    return { store: new MemoryMeetingStore(options.clock) };
  const kv = await openKeyValueStore({
    url: options.url,
    ...(options.cluster === undefined ? {} : { cluster: options.cluster }),
    prefix: options.prefix,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  return { store: new KvMeetingStore(kv), bus: new KvMeetingBus(kv) };
}
