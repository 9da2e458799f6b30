import type { ControllerId, MeetingCode, MeetingId } from './ids.ts';

export interface MeetingSettings {
  readonly enableE2eEncryption: boolean;
  readonly requireAuth: boolean;
  readonly recordingEnabled: boolean;
}

export interface Meeting {
  readonly id: MeetingId;
  readonly code: MeetingCode;
  readonly tenant: string;
  /** Subject of the user who created it (the host). */
  readonly createdBy: string;
  readonly displayName: string;
  readonly maxParticipants: number;
  readonly settings: MeetingSettings;
  readonly controllerId: ControllerId | null;
  readonly controllerRegion: string | null;
  readonly createdAt: Date;
  readonly endedAt: Date | null;
}

export function isActive(meeting: Meeting): boolean {
  return meeting.endedAt === null;
}
