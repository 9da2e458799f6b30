import { MemoryMeetingStore } from '../state/memory-meeting-store.ts';
import { signalingSuite } from './signaling.suite.ts';

signalingSuite('memory store', (clock) => Promise.resolve(new MemoryMeetingStore(clock)));
