// Per received stream: which synthetic frame numbers arrived, so loss = gaps in the numbering (frames the
// publisher sent after the first one we saw and before the last one we saw that never came).
import { readSyntheticPayload } from '@darktower/client';
export class StreamTracker {
  #first = -1;
  #last = -1;
  #received = 0;
  #corrupt = 0;
  #duplicates = 0;
  #lastIndex = -1;
  /** Records a payload; returns the capture time in µs, or undefined when it is not a valid synthetic frame. */
  record(payload) {
    const info = readSyntheticPayload(payload);
    if (info === undefined) {
      this.#corrupt++;
      return undefined;
    }
    if (info.index === this.#lastIndex) {
      this.#duplicates++;
      return info.capturedAtUs;
    }
    this.#lastIndex = info.index;
    this.#received++;
    if (this.#first < 0 || info.index < this.#first) this.#first = info.index;
    if (info.index > this.#last) this.#last = info.index;
    return info.capturedAtUs;
  }
  get counts() {
    const expected = this.#first < 0 ? 0 : this.#last - this.#first + 1;
    return {
      received: Math.min(this.#received, expected),
      expected,
      corrupt: this.#corrupt,
      duplicates: this.#duplicates,
    };
  }
}
//# sourceMappingURL=stream-tracker.js.map
