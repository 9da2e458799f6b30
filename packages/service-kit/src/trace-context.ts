/** Correlation ids taken from a W3C `traceparent` header, in the log field names of architecture.md. */
export interface TraceIds {
  trace_id: string;
  span_id: string;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/**
 * Parses a W3C Trace Context `traceparent` header (https://www.w3.org/TR/trace-context/#traceparent-header).
 * Returns `undefined` for anything malformed: version `ff`, all-zero ids, upper-case hex, wrong lengths, extra
 * fields on version 00, or an over-long header.
 */
export function parseTraceparent(header: unknown): TraceIds | undefined {
  if (typeof header !== 'string' || header.length > 256) return undefined;
  const match = TRACEPARENT.exec(header);
  if (match === null) return undefined;
  const [, version, traceId = '', spanId = ''] = match;
  if (version === 'ff') return undefined;
  if (version === '00' && header.length !== 55) return undefined;
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  return { trace_id: traceId, span_id: spanId };
}
