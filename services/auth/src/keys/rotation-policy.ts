/** A signing key's lifecycle as stored: created (and active until superseded), then retiring, then retired. */
export interface KeyTimes {
  readonly kid: string;
  readonly createdAt: Date;
  /** Set when a newer key took over: the key stays published (for verification) until this moment. */
  readonly retireAt: Date | null;
}

/** The key that signs now: the newest key not yet superseded. */
export function activeKey<K extends KeyTimes>(keys: readonly K[]): K | undefined {
  let best: K | undefined;
  for (const k of keys) {
    if (k.retireAt !== null) continue;
    if (best === undefined || k.createdAt > best.createdAt) best = k;
  }
  return best;
}

/** Keys that verify (and appear in the JWKS) at `now`: the active one plus superseded ones not yet retired. */
export function publishedKeys<K extends KeyTimes>(keys: readonly K[], now: Date): K[] {
  return keys
    .filter((k) => k.retireAt === null || k.retireAt > now)
    .sort((a, b) => {
      // The signing key first, then the others newest first.
      if ((a.retireAt === null) !== (b.retireAt === null)) return a.retireAt === null ? -1 : 1;
      return b.createdAt.getTime() - a.createdAt.getTime();
    });
}

/** True when there is no active key or the active one is at least `periodMs` old. */
export function rotationDue(keys: readonly KeyTimes[], now: Date, periodMs: number): boolean {
  const active = activeKey(keys);
  return active === undefined || now.getTime() - active.createdAt.getTime() >= periodMs;
}

/** When the next rotation is due (for logs and the timer). */
export function nextRotationAt(keys: readonly KeyTimes[], periodMs: number): Date | undefined {
  const active = activeKey(keys);
  return active === undefined ? undefined : new Date(active.createdAt.getTime() + periodMs);
}
