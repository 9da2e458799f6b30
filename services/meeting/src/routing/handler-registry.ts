// The media handlers this controller knows: what they can take, what they last reported, whether they are alive.
// A handler is healthy while it heartbeats; assignments made since its last report count towards its load so a
// burst of joins does not pile onto one handler before it reports again.
import type { Clock, HandlerId, Millis } from '../ids.ts';

export interface HandlerCapacity {
  readonly maxParticipants: number;
  readonly maxStreams: number;
}

export interface HandlerLoad {
  readonly participants: number;
  readonly streams: number;
}

export interface HandlerRegistration {
  readonly handlerId: HandlerId;
  readonly region: string;
  /** WebTransport URL clients connect to. */
  readonly mediaUrl: string;
  /** Connect URL of its MediaHandlerService. */
  readonly rpcUrl: string;
  readonly capacity: HandlerCapacity;
  readonly serverCertificateHashes?: readonly Uint8Array[];
}

export type HandlerHealth = 'healthy' | 'degraded' | 'unhealthy';

export interface HandlerSnapshot extends HandlerRegistration {
  readonly health: HandlerHealth;
  readonly load: HandlerLoad;
  /** Effective load fraction 0..1+ (the higher of participants and streams against capacity). */
  readonly loadFraction: number;
  readonly lastSeen: Millis;
}

interface Entry {
  registration: HandlerRegistration;
  reported: HandlerLoad;
  reportedHealth: HandlerHealth;
  pendingParticipants: number;
  lastSeen: Millis;
}

export class HandlerRegistry {
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  readonly #entries = new Map<HandlerId, Entry>();

  /** `heartbeatTimeoutMs`: a handler silent for this long counts as unhealthy. */
  constructor(clock: Clock, heartbeatTimeoutMs: number) {
    this.#clock = clock;
    this.#timeoutMs = heartbeatTimeoutMs;
  }

  register(registration: HandlerRegistration): void {
    const prior = this.#entries.get(registration.handlerId);
    this.#entries.set(registration.handlerId, {
      registration,
      reported: prior?.reported ?? { participants: 0, streams: 0 },
      reportedHealth: 'healthy',
      pendingParticipants: prior?.pendingParticipants ?? 0,
      lastSeen: this.#clock.now(),
    });
  }

  /** Records a load report; returns false when the handler is unknown (it must register again). */
  heartbeat(handlerId: HandlerId, load: HandlerLoad, health: HandlerHealth = 'healthy'): boolean {
    const entry = this.#entries.get(handlerId);
    if (entry === undefined) return false;
    entry.reported = { participants: clampCount(load.participants), streams: clampCount(load.streams) };
    entry.reportedHealth = health;
    entry.pendingParticipants = 0;
    entry.lastSeen = this.#clock.now();
    return true;
  }

  /** Counts a participant just assigned to the handler until its next report. */
  reserve(handlerId: HandlerId): void {
    const entry = this.#entries.get(handlerId);
    if (entry !== undefined) entry.pendingParticipants++;
  }

  /** Marks a handler dead now (an RPC to it failed hard); it comes back with its next heartbeat. */
  markUnhealthy(handlerId: HandlerId): void {
    const entry = this.#entries.get(handlerId);
    if (entry !== undefined) entry.reportedHealth = 'unhealthy';
  }

  remove(handlerId: HandlerId): void {
    this.#entries.delete(handlerId);
  }

  get(handlerId: HandlerId): HandlerSnapshot | undefined {
    const entry = this.#entries.get(handlerId);
    return entry === undefined ? undefined : this.#snapshot(entry);
  }

  /** Every handler, sorted by id (stable input for the planner). */
  list(): HandlerSnapshot[] {
    return [...this.#entries.values()]
      .map((e) => this.#snapshot(e))
      .sort((a, b) => (a.handlerId < b.handlerId ? -1 : a.handlerId > b.handlerId ? 1 : 0));
  }

  healthy(): HandlerSnapshot[] {
    return this.list().filter((h) => h.health !== 'unhealthy');
  }

  #snapshot(entry: Entry): HandlerSnapshot {
    const { capacity } = entry.registration;
    const participants = entry.reported.participants + entry.pendingParticipants;
    const load = { participants, streams: entry.reported.streams };
    const fraction = Math.max(
      capacity.maxParticipants > 0 ? participants / capacity.maxParticipants : 1,
      capacity.maxStreams > 0 ? load.streams / capacity.maxStreams : 0,
    );
    const silent = this.#clock.now() - entry.lastSeen > this.#timeoutMs;
    return {
      ...entry.registration,
      health: silent ? 'unhealthy' : entry.reportedHealth,
      load,
      loadFraction: fraction,
      lastSeen: entry.lastSeen,
    };
  }
}

function clampCount(value: number): number {
  return Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}
