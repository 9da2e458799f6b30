// The client's part of one join's trace (architecture.md "Distributed Tracing"): the root join_meeting with
// http_get_meeting_info, webtransport_connect, media_connection_establish and first_frame_received as children;
// the Meeting Controller's join_request_processing hangs under the root through ClientMessage.traceparent. The
// root ends with the first remote frame (or when the meeting closes first), so it spans the join end to end.
// Whether or not a tracer is given, every step's start and end are kept as timing marks (`marks`), so a benchmark
// or the app can show where a join's time goes.
import type { ClientSpan, ClientTracer } from '../core/tracing.ts';

/** One point of a join: `at` is performance.now() (ms); names are `<step>:start`, `<step>:end`, `joined`, ... */
export interface JoinMark {
  readonly name: string;
  readonly at: number;
}

const MAX_MARKS = 64;

export class JoinTrace {
  readonly #tracer: ClientTracer | undefined;
  readonly #root: ClientSpan | undefined;
  #firstFrame: ClientSpan | undefined;
  #done = false;
  #joined = false;
  readonly #marks: JoinMark[] = [];
  readonly #now: () => number;

  constructor(
    tracer: ClientTracer | undefined,
    meeting: string,
    now: () => number = () => performance.now(),
  ) {
    this.#tracer = tracer;
    this.#now = now;
    this.mark('join:start');
    this.#root = tracer?.startSpan('join_meeting');
    this.#root?.setAttribute('meeting', meeting);
  }

  /** The root's traceparent (the join request's parent), if tracing. */
  get traceparent(): string | undefined {
    return this.#root?.traceparent;
  }

  /** The join's timing marks so far, in order (the first is `join:start`). */
  get marks(): readonly JoinMark[] {
    return this.#marks;
  }

  /** Records a point of the join (the app adds its own: camera published, layout asked, ...); at most 64. */
  mark(name: string): void {
    if (this.#marks.length < MAX_MARKS) this.#marks.push({ name, at: this.#now() });
  }

  /** Runs one step as a child span of the root; `fn` gets the child's traceparent to send on. */
  async step<T>(name: string, fn: (traceparent: string | undefined) => Promise<T>): Promise<T> {
    const span = this.#done ? undefined : this.#tracer?.startSpan(name, this.#root);
    this.mark(`${name}:start`);
    try {
      const value = await fn(span?.traceparent);
      this.mark(`${name}:end`);
      span?.end();
      return value;
    } catch (error) {
      this.mark(`${name}:failed`);
      span?.end(error);
      throw error;
    }
  }

  /** Joined: from now until the first remote frame is first_frame_received. */
  joined(participantId: string): void {
    if (this.#done || this.#joined) return;
    this.#joined = true;
    this.mark('joined');
    this.#root?.setAttribute('participant_id', participantId);
    this.#firstFrame ??= this.#tracer?.startSpan('first_frame_received', this.#root);
  }

  /** A remote frame arrived: the join is complete. */
  frameReceived(): void {
    if (this.#done || !this.#joined) return;
    this.mark('first_remote_frame');
    this.#finish(undefined, true);
  }

  /** The join failed (error) or the meeting closed before a remote frame arrived. Idempotent. */
  end(error?: unknown): void {
    if (!this.#done) this.#finish(error, false);
  }

  #finish(error: unknown, gotFrame: boolean): void {
    if (error !== undefined) this.mark('join:failed');
    this.#done = true;
    this.#firstFrame?.setAttribute('received', gotFrame);
    this.#firstFrame?.end();
    this.#root?.setAttribute('first_frame', gotFrame);
    this.#root?.end(error);
  }
}
