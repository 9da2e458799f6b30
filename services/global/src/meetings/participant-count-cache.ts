export interface ParticipantCountCacheOptions {
  readonly ttlMs: number;
  readonly now: () => number;
  readonly fetch: (rpcEndpoint: string, meetingId: string, signal?: AbortSignal) => Promise<number>;
  readonly maxEntries?: number;
}

/**
 * Live participant counts come from the meeting's controller (GetMeetingState). Reads of meeting info reuse a count
 * for a moment and share one in-flight request; a controller that does not answer counts as 0 for display (the
 * controller itself enforces max_participants on join).
 */
export class ParticipantCountCache {
  readonly #entries = new Map<string, { at: number; value: Promise<number> }>();
  readonly #options: ParticipantCountCacheOptions;

  constructor(options: ParticipantCountCacheOptions) {
    this.#options = options;
  }

  get(
    rpcEndpoint: string,
    meetingId: string,
    signal?: AbortSignal,
    opts: { fresh?: boolean } = {},
  ): Promise<number> {
    const now = this.#options.now();
    const entry = this.#entries.get(meetingId);
    if (opts.fresh !== true && entry !== undefined && now - entry.at < this.#options.ttlMs)
      return entry.value;
    const value = this.#options.fetch(rpcEndpoint, meetingId, signal).then(
      (n) => (Number.isSafeInteger(n) && n >= 0 ? n : 0),
      () => 0,
    );
    if (this.#entries.size >= (this.#options.maxEntries ?? 10_000)) this.#entries.clear();
    this.#entries.set(meetingId, { at: now, value });
    return value;
  }

  forget(meetingId: string): void {
    this.#entries.delete(meetingId);
  }
}
