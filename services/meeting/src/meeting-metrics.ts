import type { Metrics } from '@darktower/service-kit';

/** The controller's metrics (ADR: bounded labels only; message kinds are the oneof case names). */
export interface MeetingMetrics {
  joinSeconds(seconds: number, outcome: 'ok' | 'error'): void;
  message(kind: string, outcome: 'ok' | 'error' | 'rate_limited'): void;
  storeSeconds(seconds: number): void;
  /** Sets the gauges (the service calls it whenever they may have changed). */
  gauges(values: { meetings: number; participants: number; connections: number }): void;
}

export const noMetrics: MeetingMetrics = {
  joinSeconds: () => undefined,
  message: () => undefined,
  storeSeconds: () => undefined,
  gauges: () => undefined,
};

export function createMeetingMetrics(metrics: Metrics): MeetingMetrics {
  const join = metrics.histogram<'outcome'>({
    name: 'join_duration_seconds',
    help: 'JoinRequest/ResumeSession to JoinResponse (or refusal)',
    labelNames: ['outcome'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  });
  const messages = metrics.counter<'kind' | 'outcome'>({
    name: 'signaling_messages_total',
    help: 'Signaling messages received, by kind and outcome',
    labelNames: ['kind', 'outcome'],
  });
  const store = metrics.histogram({
    name: 'store_latency_seconds',
    help: 'Round trip of the meeting state store (Redis PING), measured by the readiness check',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
  });
  const meetings = metrics.gauge({ name: 'active_meetings', help: 'Meetings open on this controller' });
  const participants = metrics.gauge({
    name: 'participants',
    help: 'Participants of open meetings (incl. resumable)',
  });
  const connections = metrics.gauge({ name: 'signaling_connections', help: 'Open signaling sessions' });
  return {
    joinSeconds: (s, outcome) => {
      join.observe({ outcome }, s);
    },
    message: (kind, outcome) => {
      messages.inc({ kind, outcome });
    },
    storeSeconds: (s) => {
      store.observe(s);
    },
    gauges: (v) => {
      meetings.set(v.meetings);
      participants.set(v.participants);
      connections.set(v.connections);
    },
  };
}
