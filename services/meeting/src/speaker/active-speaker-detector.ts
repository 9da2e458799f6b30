// Picks the active speaker of one meeting from audio levels that media handlers report. Levels are smoothed
// per participant, and a challenger must beat the current speaker by a margin, continuously, for a while, and not
// too soon after the last change: close, alternating levels never flap the speaker.
import type { Clock, Millis, ParticipantId } from '../ids.ts';

export interface ActiveSpeakerOptions {
  /** Smoothing time constant of the level average. */
  readonly smoothingMs: number;
  /** Smoothed level (0..1) under which a participant is not speaking. */
  readonly speechThreshold: number;
  /** How much louder (smoothed, 0..1) a challenger must be than the current speaker. */
  readonly margin: number;
  /** How long the challenger must stay ahead by the margin. */
  readonly dominanceMs: number;
  /** Minimum time between two changes. */
  readonly minHoldMs: number;
  /** A participant without a report for this long counts as silent. */
  readonly staleAfterMs: number;
  /** How many recent speakers to remember (for layouts). */
  readonly historySize: number;
}

export const defaultActiveSpeakerOptions: ActiveSpeakerOptions = {
  smoothingMs: 300,
  speechThreshold: 0.08,
  margin: 0.1,
  dominanceMs: 600,
  minHoldMs: 1500,
  staleAfterMs: 1000,
  historySize: 8,
};

export interface SpeakerChange {
  readonly current: ParticipantId | null;
  readonly previous: ParticipantId | null;
}

interface Track {
  smoothed: number;
  lastAt: Millis;
}

/** Converts an RFC 6464 audio level (-dBov, 0 loudest .. 127 silent) to the detector's 0..1 loudness. */
export function loudnessFromDbov(dbov: number): number {
  if (!Number.isFinite(dbov)) return 0;
  const clamped = Math.min(127, Math.max(0, dbov));
  // 0 dBov -> 1, -60 dBov and quieter -> 0; linear in dB, which is how loudness is perceived.
  return Math.max(0, 1 - clamped / 60);
}

export class ActiveSpeakerDetector {
  readonly #clock: Clock;
  readonly #options: ActiveSpeakerOptions;
  readonly #tracks = new Map<ParticipantId, Track>();
  #current: ParticipantId | null = null;
  #changedAt: number = Number.NEGATIVE_INFINITY;
  #challenger: { id: ParticipantId; since: number } | undefined;
  #recent: ParticipantId[] = [];

  constructor(clock: Clock, options: Partial<ActiveSpeakerOptions> = {}) {
    this.#clock = clock;
    this.#options = { ...defaultActiveSpeakerOptions, ...options };
  }

  get current(): ParticipantId | null {
    return this.#current;
  }

  /** Recent speakers, most recent first (the current one at index 0). */
  get recentSpeakers(): readonly ParticipantId[] {
    return this.#recent;
  }

  /** Records a level (0..1; out-of-range and NaN are clamped) and returns the change it caused, if any. */
  report(participantId: ParticipantId, level: number): SpeakerChange | undefined {
    const now = this.#clock.now();
    const value = Number.isFinite(level) ? Math.min(1, Math.max(0, level)) : 0;
    const track = this.#tracks.get(participantId);
    if (track === undefined) {
      this.#tracks.set(participantId, { smoothed: value, lastAt: now });
    } else {
      const dt = Math.max(0, now - track.lastAt);
      const alpha = 1 - Math.exp(-dt / this.#options.smoothingMs);
      // A first report after a long gap should not be averaged with stale loudness.
      track.smoothed =
        dt >= this.#options.staleAfterMs ? value : track.smoothed + (value - track.smoothed) * alpha;
      track.lastAt = now;
    }
    return this.evaluate();
  }

  /** Forgets a participant (left the meeting); returns the change if they were speaking. */
  remove(participantId: ParticipantId): SpeakerChange | undefined {
    this.#tracks.delete(participantId);
    this.#recent = this.#recent.filter((id) => id !== participantId);
    if (this.#challenger?.id === participantId) this.#challenger = undefined;
    if (this.#current !== participantId) return undefined;
    const previous = this.#current;
    this.#current = this.#recent[0] ?? null;
    this.#changedAt = this.#clock.now();
    return { current: this.#current, previous };
  }

  /** Re-evaluates with the passage of time (call periodically when no reports arrive). */
  evaluate(): SpeakerChange | undefined {
    const now = this.#clock.now();
    const o = this.#options;
    let loudest: ParticipantId | undefined;
    let loudestLevel = -1;
    for (const [id, track] of this.#tracks) {
      const level = this.#level(track, now);
      if (level > loudestLevel) {
        loudest = id;
        loudestLevel = level;
      }
    }
    if (loudest === undefined || loudestLevel < o.speechThreshold || loudest === this.#current) {
      this.#challenger = undefined;
      return undefined;
    }
    const currentTrack = this.#current === null ? undefined : this.#tracks.get(this.#current);
    const currentLevel = currentTrack === undefined ? 0 : this.#level(currentTrack, now);
    if (this.#current !== null && loudestLevel - currentLevel < o.margin) {
      this.#challenger = undefined;
      return undefined;
    }
    if (this.#challenger?.id !== loudest) this.#challenger = { id: loudest, since: now };
    const dominatedLongEnough = this.#current === null || now - this.#challenger.since >= o.dominanceMs;
    if (!dominatedLongEnough || now - this.#changedAt < o.minHoldMs) return undefined;
    const previous = this.#current;
    this.#current = loudest;
    this.#changedAt = now;
    this.#challenger = undefined;
    this.#recent = [loudest, ...this.#recent.filter((id) => id !== loudest)].slice(0, o.historySize);
    return { current: loudest, previous };
  }

  #level(track: Track, now: number): number {
    return now - track.lastAt >= this.#options.staleAfterMs ? 0 : track.smoothed;
  }
}
