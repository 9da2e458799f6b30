import { MediaError } from '../errors.ts';
import type { MeetingId, StreamId } from '../ids.ts';
import { destinationKey, type Destination } from './destination.ts';
import type { Forwarder, RouteOptions } from './forwarder.ts';

export interface RouteChange {
  action: 'add' | 'remove';
  sourceId: StreamId;
  destination: Destination;
  options: RouteOptions;
}

interface MeetingRoutes {
  version: bigint;
  routes: Map<string, { sourceId: StreamId; destination: Destination; options: RouteOptions }>;
}

/**
 * The routing table as the Meeting Controller commands it (RouteMediaRequest): per meeting, a monotonic plan
 * version and the routes it owns. A request whose version is not above the last applied one is refused, so
 * reordered RPCs cannot roll routing back. Changes are applied to the forwarder add-first, so a stream moving from
 * one slot to another is never interrupted ("new routes established before old routes torn down").
 */
export class RoutePlans {
  readonly #forwarder: Forwarder;
  readonly #meetings = new Map<MeetingId, MeetingRoutes>();

  constructor(forwarder: Forwarder) {
    this.#forwarder = forwarder;
  }

  apply(meetingId: MeetingId, version: bigint, changes: readonly RouteChange[], replaceAll: boolean): number {
    const meeting: MeetingRoutes = this.#meetings.get(meetingId) ?? { version: -1n, routes: new Map() };
    if (version <= meeting.version) {
      throw new MediaError('CONFLICT', `plan version ${version} is not above the applied ${meeting.version}`);
    }
    const next: MeetingRoutes['routes'] = new Map(replaceAll ? [] : meeting.routes);
    for (const c of changes) {
      const key = routeKey(c.sourceId, c.destination, c.options.forwardedId);
      if (c.action === 'add')
        next.set(key, { sourceId: c.sourceId, destination: c.destination, options: c.options });
      else next.delete(key);
    }
    for (const [key, r] of next) {
      if (!meeting.routes.has(key)) this.#forwarder.addRoute(r.sourceId, r.destination, r.options);
    }
    for (const [key, r] of meeting.routes) {
      if (!next.has(key)) {
        this.#forwarder.removeRoute(
          r.sourceId,
          r.destination,
          r.options.forwardedId ?? (r.destination.kind === 'handler' ? undefined : r.sourceId),
        );
      }
    }
    meeting.version = version;
    meeting.routes = next;
    this.#meetings.set(meetingId, meeting);
    return next.size;
  }

  /** Removes every route to or from a participant's streams (it left). Returns how many. */
  removeParticipant(meetingId: MeetingId, destination: Destination, streamIds: readonly StreamId[]): number {
    const meeting = this.#meetings.get(meetingId);
    if (meeting === undefined) return 0;
    const destKey = destinationKey(destination);
    const sources = new Set<StreamId>(streamIds);
    let n = 0;
    for (const [key, r] of meeting.routes) {
      if (destinationKey(r.destination) === destKey || sources.has(r.sourceId)) {
        meeting.routes.delete(key);
        this.#forwarder.removeRoute(
          r.sourceId,
          r.destination,
          r.options.forwardedId ?? (r.destination.kind === 'handler' ? undefined : r.sourceId),
        );
        n++;
      }
    }
    return n;
  }

  routeCount(meetingId?: MeetingId): number {
    if (meetingId !== undefined) return this.#meetings.get(meetingId)?.routes.size ?? 0;
    let n = 0;
    for (const m of this.#meetings.values()) n += m.routes.size;
    return n;
  }
}

function routeKey(sourceId: StreamId, destination: Destination, forwardedId: StreamId | undefined): string {
  return `${sourceId}|${destinationKey(destination)}|${forwardedId ?? sourceId}`;
}
