// What the room shows about end-to-end encryption: the mode badge and the verification code participants compare.
import { WorkerKeyring, type E2eeKeyring, type Meeting } from '@darktower/client';

export interface E2eeView {
  /** 'pending' until joined; 'e2ee' or 'none' after. */
  readonly mode: 'pending' | 'e2ee' | 'none';
  /** E2EE meetings: 'joining' until this client is in the MLS group, then 'active'. */
  readonly status: 'joining' | 'active' | 'removed' | 'closed' | undefined;
  /** Six groups of five digits, the same for everyone in the meeting at this epoch. */
  readonly code: string | undefined;
  readonly epoch: string | undefined;
  /** Frames that did not authenticate (tampered, replayed, unknown key): dropped, never shown. */
  readonly dropped: number;
  /** Where SFrame runs. */
  readonly where: 'worker' | 'main thread';
}

/** SFrame in a Worker when the browser has module Workers; undefined (main thread) otherwise. */
export function workerKeyringFactory(): (() => E2eeKeyring) | undefined {
  if (typeof Worker === 'undefined') return undefined;
  return () => {
    const worker = new Worker(new URL('./e2ee-worker.ts', import.meta.url), {
      type: 'module',
      name: 'sframe',
    });
    return new WorkerKeyring(worker, {}, () => {
      worker.terminate();
    });
  };
}

export function e2eeView(meeting: Meeting, where: E2eeView['where']): E2eeView {
  const e = meeting.e2ee;
  const s = e.state;
  const dropped = e.stats === undefined ? 0 : Object.values(e.stats.dropped).reduce((a, b) => a + b, 0);
  return {
    mode: e.mode,
    status: s?.state,
    code: s?.state === 'active' ? s.verificationCode : undefined,
    epoch: s?.state === 'active' ? s.epoch.toString() : undefined,
    dropped,
    where,
  };
}
