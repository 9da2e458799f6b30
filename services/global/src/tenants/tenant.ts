/** A tenant's limits, from PostgreSQL (cached). */
export interface Tenant {
  readonly slug: string;
  readonly displayName: string;
  readonly maxActiveMeetings: number;
  readonly maxParticipantsPerMeeting: number;
  /** Requests per minute per client; null means the service default. */
  readonly rateLimitPerMinute: number | null;
  readonly allowGuests: boolean;
}
