// Ending the reading of a MediaStreamTrackProcessor stream without dropping frames on the floor (TrackFrames, used
// by every sender). drainAndCancel is the last resort: whatever is queued is read and closed first (Chromium does
// not close VideoFrames / AudioData left in a cancelled stream's queue), and a read still pending when the stream is
// cancelled closes what it gets.
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

const within = async (p: Promise<unknown>, ms: number): Promise<boolean> => {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const finished = await Promise.race([
    p.then(
      () => true,
      () => true,
    ),
    new Promise<boolean>(
      (resolve) =>
        (timer = setTimeout(() => {
          resolve(false);
        }, ms)),
    ),
  ]);
  clearTimeout(timer);
  return finished;
};

/**
 * Frames of a track through a MediaStreamTrackProcessor (on a clone of the track, owned here), read by one pump
 * (`read()` until undefined), ended by `end()` without leaving a frame behind.
 *
 * Why `end()` does not simply stop the track: while a read is pending, Chromium's processor turns the next captured
 * frame into a JS VideoFrame / AudioData at once and hands it to the stream in a separate task
 * (FrameQueueUnderlyingSource, kBreakoutBoxEnqueueInSeparateTask). Stopping the track between the two closes the
 * stream, the enqueue is ignored, and that frame is garbage-collected without ever being closed ("A VideoFrame was
 * garbage collected without being closed": about 1 in 40 join/leave cycles of the leak benchmark). So `end()` first
 * stops asking for frames, lets the read in flight complete (its frame is closed here; the stream's high-water mark
 * is 0, so without a read nothing more is pulled), and only then stops the track.
 */
export class TrackFrames<T extends { close(): void }> {
  readonly #track: MediaStreamTrack;
  readonly #reader: ReadableStreamDefaultReader<T>;
  #ending = false;
  #reading: Promise<unknown> = Promise.resolve();

  constructor(track: MediaStreamTrack, open: (own: MediaStreamTrack) => ReadableStream<T>) {
    // A clone of our own: stopping it ends the processor's stream without touching the caller's track.
    this.#track = track.clone();
    this.#reader = open(this.#track).getReader();
  }

  /** The next frame (the caller closes it), or undefined once ending or when the track ended. */
  async read(): Promise<T | undefined> {
    if (this.#ending) return undefined;
    const pending = this.#reader.read();
    this.#reading = pending;
    const r = await pending;
    if (r.done) return undefined;
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- end() may have run during the read
    if (this.#ending) {
      r.value.close();
      return undefined;
    }
    return r.value;
  }

  /**
   * Ends reading: no new reads, the one in flight completes (a frame comes within a frame interval), then the
   * track stops. A track that delivers nothing (ended, or a source that stalls) is stopped after `graceMs` anyway;
   * a read still pending then resolves as done, and any frame it gets is closed.
   */
  async end(graceMs = 1_000): Promise<void> {
    if (this.#ending) return;
    this.#ending = true;
    const settled = await within(this.#reading, graceMs);
    this.#track.stop();
    if (!settled) {
      this.#reading.then(
        (r) => {
          const x = r as ReadableStreamReadResult<T>;
          if (!x.done) x.value.close();
        },
        () => undefined,
      );
      if (!(await within(this.#reading, graceMs))) await drainAndCancel(this.#reader);
    }
  }
}
