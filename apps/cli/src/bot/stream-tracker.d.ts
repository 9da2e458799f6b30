export interface StreamCounts {
  readonly received: number;
  readonly expected: number;
  readonly corrupt: number;
  readonly duplicates: number;
}
export declare class StreamTracker {
  #private;
  /** Records a payload; returns the capture time in µs, or undefined when it is not a valid synthetic frame. */
  record(payload: Uint8Array): number | undefined;
  get counts(): StreamCounts;
}
//# sourceMappingURL=stream-tracker.d.ts.map
