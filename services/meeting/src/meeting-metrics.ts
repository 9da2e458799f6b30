import type { Metrics } from '@darktower/service-kit';

/** The controller's metrics (ADR: bounded labels only; message kinds are the oneof case names). */
export interface MeetingMetrics {
  joinSeconds(seconds: number, outcome: 'ok' | 'error'): void;
  message(kind: string, outcome: 'ok' | 'error' | 'rate_limited'): void;
  storeSeconds(seconds: number): void;
  /** Sets the gauges (the service calls it whenever they may have changed). */
  gauges(values: {
    meetings: number;
    participants: number;
    connections: number;
    /** Participants of each open meeting (for the participants-per-meeting distribution). */
    meetingSizes?: readonly number[];
  }): void;
}

export const noMetrics: MeetingMetrics = {
  joinSeconds: () => undefined,
  message: () => undefined,
  storeSeconds: () => undefined,
  gauges: () => undefined,
};

const SIZE_CLASSES = [
  { label: '0', max: 0 },
  { label: '1', max: 1 },
  { label: '2-5', max: 5 },
  { label: '6-10', max: 10 },
  { label: '11-25', max: 25 },
  { label: '26-50', max: 50 },
  { label: '51-100', max: 100 },
  { label: '101+', max: Infinity },
] as const;

const HEALTH = ['healthy', 'degraded', 'unhealthy'] as const;

/**
 * `handlers`: the media handlers this controller knows, read at every scrape (`dt_mc_media_handlers{health}`: an
 * operator sees at once when a controller has lost its handlers, and tools wait on it after a restart).
 */
export function createMeetingMetrics(
  metrics: Metrics,
  handlers?: () => readonly { readonly health: (typeof HEALTH)[number] }[],
): MeetingMetrics {
  if (handlers !== undefined) {
    metrics.gauge<'health'>({
      name: 'media_handlers',
      help: 'Media handlers registered with this controller, by health',
      labelNames: ['health'],
      collect: (gauge) => {
        const list = handlers();
        for (const health of HEALTH) gauge.set({ health }, list.filter((h) => h.health === health).length);
      },
    });
  }
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
  // Participants per meeting as a distribution over fixed size classes: bounded labels, no meeting ids.
  const bySize = metrics.gauge<'participants'>({
    name: 'meetings_by_size',
    help: 'Open meetings by their number of participants (incl. resumable)',
    labelNames: ['participants'],
  });
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
      const counts = new Map<string, number>(SIZE_CLASSES.map((c) => [c.label, 0]));
      for (const n of v.meetingSizes ?? []) {
        const c = SIZE_CLASSES.find((x) => n <= x.max) ?? SIZE_CLASSES[SIZE_CLASSES.length - 1];
        if (c !== undefined) counts.set(c.label, (counts.get(c.label) ?? 0) + 1);
      }
      for (const [participants, count] of counts) bySize.set({ participants }, count);
    },
  };
}
