// Polls `check` every 50 ms until it returns something other than undefined; rejects with `what` (and `explain()`,
// for the state that was waited on) when `timeoutMs` passes, and with whatever `check` throws.
export function until<T>(
  what: string,
  check: () => T | undefined,
  timeoutMs = 30_000,
  explain: () => string = () => '',
): Promise<T> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    const tick = (): void => {
      let v: T | undefined;
      try {
        v = check();
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      if (v !== undefined) resolve(v);
      else if (Date.now() > deadline) reject(new Error(`timed out: ${what} ${explain()}`));
      else setTimeout(tick, 50);
    };
    tick();
  });
}
