import { Millis, type Clock } from '../ids.ts';
import { MemoryMeetingStore } from './memory-meeting-store.ts';
import { meetingStoreContract } from './meeting-store.contract.ts';

meetingStoreContract('memory store', () => {
  let t = 1_000;
  const clock: Clock = { now: () => Millis(t) };
  return Promise.resolve({
    store: new MemoryMeetingStore(clock),
    advance: (ms: number) => {
      t += ms;
      return Promise.resolve();
    },
    shortTtlMs: 1_000,
  });
});
