/**
 * A signing key's lifecycle as stored. A key is created ahead of time (pending: published, not signing), signs from
 * `activateAt`, and once a successor activates it stays published until `retireAt` (one more period), then is gone.
 */
export interface KeyTimes {
  readonly kid: string;
  readonly createdAt: Date;
  /** When it starts signing; null means at creation. */
  readonly activateAt: Date | null;
  /** Set when a successor is scheduled: verification ends at this moment. */
  readonly retireAt: Date | null;
}

export function activationOf(k: KeyTimes): Date {
  return k.activateAt ?? k.createdAt;
}

function live(k: KeyTimes, now: Date): boolean {
  return k.retireAt === null || k.retireAt > now;
}

/** The key that signs at `now`: the most recently activated live key. */
export function activeKey<K extends KeyTimes>(keys: readonly K[], now: Date): K | undefined {
  let best: K | undefined;
  for (const k of keys) {
    if (!live(k, now) || activationOf(k) > now) continue;
    if (best === undefined || newer(k, best)) best = k;
  }
  return best;
}

/** Later activation wins; on a tie (an immediate rotation within the same millisecond) the unsuperseded key. */
function newer(a: KeyTimes, b: KeyTimes): boolean {
  const d = activationOf(a).getTime() - activationOf(b).getTime();
  if (d !== 0) return d > 0;
  if ((a.retireAt === null) !== (b.retireAt === null)) return a.retireAt === null;
  return a.createdAt > b.createdAt;
}

/** Keys scheduled to sign later (already published so every verifier knows them before their first token). */
export function pendingKeys<K extends KeyTimes>(keys: readonly K[], now: Date): K[] {
  return keys.filter((k) => live(k, now) && activationOf(k) > now);
}

/** Keys in the JWKS at `now`: the signing key first, then the pending one, then those still in their overlap. */
export function publishedKeys<K extends KeyTimes>(keys: readonly K[], now: Date): K[] {
  const active = activeKey(keys, now);
  const rank = (k: K): number => (k === active ? 0 : activationOf(k) > now ? 1 : 2);
  return keys
    .filter((k) => live(k, now))
    .sort((a, b) => rank(a) - rank(b) || activationOf(b).getTime() - activationOf(a).getTime());
}

/**
 * True when a successor should be created now: there is no signing key, or none is pending and the signing key
 * activates its successor within `prepublishMs`.
 */
export function rotationDue(
  keys: readonly KeyTimes[],
  now: Date,
  periodMs: number,
  prepublishMs: number,
): boolean {
  const active = activeKey(keys, now);
  if (active === undefined) return true;
  if (pendingKeys(keys, now).length > 0) return false;
  return now.getTime() >= activationOf(active).getTime() + periodMs - prepublishMs;
}

/** When the successor of the current key starts signing (never in the past). */
export function successorActivation(keys: readonly KeyTimes[], now: Date, periodMs: number): Date {
  const active = activeKey(keys, now);
  if (active === undefined) return now;
  const due = activationOf(active).getTime() + periodMs;
  return new Date(Math.max(due, now.getTime()));
}
