import type { Metrics } from '@darktower/service-kit';
import type { Counter } from 'prom-client';

/** Meeting lifecycle counters of the Global Controller; labels are closed sets (never ids or names). */
export interface MeetingMetrics {
  readonly created: Counter;
  readonly ended: Counter;
  /** Join tokens by role (`host` | `participant`) and caller kind (`user` | `guest`). */
  readonly joinTokens: Counter<'role' | 'caller'>;
}

export function createMeetingMetrics(metrics: Metrics): MeetingMetrics {
  return {
    created: metrics.counter({ name: 'meetings_created_total', help: 'Meetings created' }),
    ended: metrics.counter({ name: 'meetings_ended_total', help: 'Meetings ended through the API' }),
    joinTokens: metrics.counter({
      name: 'join_tokens_issued_total',
      help: 'Join tokens issued by role and caller kind',
      labelNames: ['role', 'caller'],
    }),
  };
}
