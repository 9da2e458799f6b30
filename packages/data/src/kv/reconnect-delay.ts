/** Capped exponential backoff with full jitter: 50 ms, 100 ms, 200 ms ... up to `maxMs`. */
export function reconnectDelay(retries: number, maxMs: number): number {
  const ceiling = Math.min(maxMs, 50 * 2 ** Math.min(retries, 20));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}
