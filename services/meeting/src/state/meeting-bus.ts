// Pub/sub between controller instances (Redis channel): a controller that opens a meeting claims it, and the one
// that ran it before lets go (its clients reconnect and resume at the new owner); a meeting ended on one controller
// ends everywhere.
import type { KeyValueStore, Unsubscribe } from '@darktower/data';

export type MeetingBusEvent =
  | { readonly type: 'meeting-claimed'; readonly meetingId: string; readonly controllerId: string }
  | {
      readonly type: 'meeting-ended';
      readonly meetingId: string;
      readonly controllerId: string;
      readonly reason: string;
    };

export interface MeetingBus {
  publish(event: MeetingBusEvent): Promise<void>;
  subscribe(handler: (event: MeetingBusEvent) => void): Promise<Unsubscribe>;
}

const CHANNEL = 'events';
const MAX_EVENT_BYTES = 4096;

function parseEvent(bytes: Uint8Array): MeetingBusEvent | undefined {
  if (bytes.byteLength > MAX_EVENT_BYTES) return undefined;
  try {
    const v = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
    if (typeof v.meetingId !== 'string' || typeof v.controllerId !== 'string') return undefined;
    if (v.type === 'meeting-claimed')
      return { type: v.type, meetingId: v.meetingId, controllerId: v.controllerId };
    if (v.type === 'meeting-ended' && typeof v.reason === 'string') {
      return { type: v.type, meetingId: v.meetingId, controllerId: v.controllerId, reason: v.reason };
    }
    return undefined;
  } catch {
    return undefined; // not ours, or garbled: ignore
  }
}

export class KvMeetingBus implements MeetingBus {
  readonly #kv: KeyValueStore;

  constructor(kv: KeyValueStore) {
    this.#kv = kv;
  }

  publish(event: MeetingBusEvent): Promise<void> {
    return this.#kv.publish(CHANNEL, JSON.stringify(event));
  }

  subscribe(handler: (event: MeetingBusEvent) => void): Promise<Unsubscribe> {
    return this.#kv.subscribe(CHANNEL, (message) => {
      const event = parseEvent(message);
      if (event !== undefined) handler(event);
    });
  }
}
