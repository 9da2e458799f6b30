// Polls `check` every 25 ms until it returns a value (resolves with it) or `timeoutMs` passes (rejects with `what`
// and, when given, what `explain` says of the state then). For the SDK tests that wait on events of real services.
export function until<T>(
  what: string,
  check: () => T | undefined,
  timeoutMs = 20_000,
  explain: () => string = () => '',
): Promise<T> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    const tick = (): void => {
      const v = check();
      if (v !== undefined) resolve(v);
      else if (Date.now() > deadline) {
        const why = explain();
        reject(new Error(why === '' ? `timed out: ${what}` : `timed out: ${what} ${why}`));
      } else setTimeout(tick, 25);
    };
    tick();
  });
}
