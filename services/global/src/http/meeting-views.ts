import type { Static } from 'typebox';
import type { Meeting } from '../domain/meeting.ts';
import type { MeetingInfo } from '../meetings/meeting-service.ts';
import type { MeetingInfoSchema } from './schemas.ts';

/** Public URL of the web app's page for a meeting: `<base>/m/<code>`, on the tenant's own host when it has one. */
export function meetingUrl(
  publicBaseUrl: string,
  tenantBaseDomain: string | undefined,
  meeting: Meeting,
): string {
  const url = new URL(publicBaseUrl);
  if (tenantBaseDomain !== undefined && tenantBaseDomain !== '' && meeting.tenant !== 'default') {
    url.hostname = `${meeting.tenant}.${tenantBaseDomain}`;
  }
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/m/${meeting.code}`;
  url.search = '';
  url.hash = '';
  return url.toString();
}

export function meetingInfoView(info: MeetingInfo, url: string): Static<typeof MeetingInfoSchema> {
  const m = info.meeting;
  return {
    meeting_id: m.id,
    meeting_code: m.code,
    meeting_url: url,
    display_name: m.displayName,
    participant_count: info.participantCount,
    max_participants: m.maxParticipants,
    created_at: m.createdAt.toISOString(),
    ended_at: m.endedAt?.toISOString() ?? null,
    status: m.endedAt === null ? 'active' : 'ended',
    settings: {
      enable_e2e_encryption: m.settings.enableE2eEncryption,
      require_auth: m.settings.requireAuth,
      recording_enabled: m.settings.recordingEnabled,
    },
    meeting_controller_region: info.controller?.region ?? null,
    meeting_controller_url: info.controller?.clientUrl ?? null,
  };
}
