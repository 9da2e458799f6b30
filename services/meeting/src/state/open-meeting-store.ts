import { openKeyValueStore } from '@darktower/data';
import type { Clock } from '../ids.ts';
import { KvMeetingStore } from './kv-meeting-store.ts';
import type { MeetingStore } from './meeting-store.ts';
import { MemoryMeetingStore } from './memory-meeting-store.ts';

/** Redis when a URL is configured (controllers share meetings), otherwise in process. */
export async function openMeetingStore(options: {
  url?: string;
  prefix: string;
  clock: Clock;
  signal?: AbortSignal;
}): Promise<MeetingStore> {
  if (options.url === undefined || options.url === '') return new MemoryMeetingStore(options.clock);
  const kv = await openKeyValueStore({
    url: options.url,
    prefix: options.prefix,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  return new KvMeetingStore(kv);
}
