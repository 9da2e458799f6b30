// One meeting for SDK participants in Node: the Meeting Controller's signaling code in this process (joins by grant,
// no Global Controller) and a real Media Handler process for media. Disposing closes every meeting joined through it.
import { randomUUID } from 'node:crypto';
import { Meeting, type MeetingOptions } from '@darktower/client';
import { nodeConnector } from '@darktower/client/node';
import { ControllerInProcess } from './controller-in-process.ts';
import { startMediaHandler } from './media-handler-process.ts';

export interface SdkRig extends AsyncDisposable {
  readonly mc: ControllerInProcess;
  readonly meetingId: string;
  join: (
    name: string,
    role?: 'host' | 'participant',
    options?: Pick<MeetingOptions, 'layout'>,
  ) => Promise<Meeting>;
}

export async function sdkRig(): Promise<SdkRig> {
  const handler = await startMediaHandler({ MH_AUDIO_AS_DATAGRAMS: '1' });
  const mc = await ControllerInProcess.start(handler);
  const meetingId = randomUUID();
  const media = nodeConnector();
  const meetings: Meeting[] = [];
  return {
    mc,
    meetingId,
    join: async (name, role = 'participant', options = {}) => {
      const m = await Meeting.join({
        ...options,
        meeting: meetingId,
        displayName: name,
        grant: mc.grant(meetingId, name, role),
        reconnectDelayMs: 100,
        connector: (target, signal) =>
          target.url === ControllerInProcess.URL ? Promise.resolve(mc.connect()) : media(target, signal),
      });
      meetings.push(m);
      return m;
    },
    [Symbol.asyncDispose]: async () => {
      for (const m of meetings) await m.close();
      await mc[Symbol.asyncDispose]();
      await handler[Symbol.asyncDispose]();
    },
  };
}
