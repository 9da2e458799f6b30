// Spans of the join flow (architecture.md "Distributed Tracing"): join_request_processing continues the client's
// trace from ClientMessage.traceparent; validate_token, create_participant_session, assign_media_handler and
// get_existing_participants are its children. Without a Tracing (unit tests, embedders) the code just runs.
import type { Tracing } from '@darktower/service-kit';

/** The part of a Tracing the signaling code uses. */
export type SpanTracing = Pick<Tracing, 'startActiveSpan' | 'withRemoteParent'>;

/** Runs `fn` inside a span named `name`, child of the active one (or just runs it without tracing). */
export function inSpan<T>(tracing: SpanTracing | undefined, name: string, fn: () => T): T {
  return tracing === undefined ? fn() : tracing.startActiveSpan(name, () => fn());
}

/**
 * Runs `fn` inside `name` whose parent is the remote span of the client's `traceparent` (empty or malformed: a new
 * trace). Hostile input never fails the request: the tracing only parses it.
 */
export function inRemoteSpan<T>(
  tracing: SpanTracing | undefined,
  traceparent: string,
  name: string,
  fn: () => T,
): T {
  if (tracing === undefined) return fn();
  return tracing.withRemoteParent(traceparent === '' ? undefined : traceparent, () =>
    tracing.startActiveSpan(name, () => fn()),
  );
}
