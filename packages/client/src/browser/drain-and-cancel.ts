// Stops reading a MediaStreamTrackProcessor stream without dropping frames on the floor: whatever is queued is
// read and closed first (Chromium does not close VideoFrames / AudioData left in a cancelled stream's queue), and a
// read still pending when the stream is cancelled closes what it gets.
export async function drainAndCancel<T extends { close(): void }>(
  reader: ReadableStreamDefaultReader<T>,
): Promise<void> {
  const closeIt = (r: ReadableStreamReadResult<T>): boolean => {
    if (r.done) return false;
    r.value.close();
    return true;
  };
  for (let i = 0; i < 16; i++) {
    const read = reader.read();
    // Queued chunks resolve within a task; an empty queue leaves the read pending.
    const got = await Promise.race([read, new Promise<undefined>((resolve) => setTimeout(resolve, 0))]);
    if (got === undefined) {
      read.then(closeIt, () => false).catch(() => undefined);
      break;
    }
    if (!closeIt(got)) return;
  }
  await reader.cancel().catch(() => undefined);
}

/**
 * Ends a processor's stream the clean way: stopping the (sender-owned clone of the) track makes the stream deliver
 * what it has queued and then finish, and the pump closes each of those frames. Falls back to drain-and-cancel when
 * the pump does not finish within `graceMs`.
 */
export async function endTrackReading<T extends { close(): void }>(
  track: MediaStreamTrack,
  reader: ReadableStreamDefaultReader<T>,
  pumpDone: () => Promise<void>,
  graceMs = 1_000,
): Promise<void> {
  track.stop();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const finished = await Promise.race([
    pumpDone().then(() => true),
    new Promise<boolean>(
      (resolve) =>
        (timer = setTimeout(() => {
          resolve(false);
        }, graceMs)),
    ),
  ]);
  clearTimeout(timer);
  if (!finished) await drainAndCancel(reader);
}
