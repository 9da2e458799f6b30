import { pino, type DestinationStream, type Logger as PinoLogger, type LevelWithSilent } from 'pino';
import { createRedactor, DEFAULT_SECRET_KEYS, REDACTED } from './redact.ts';

/** The service logger (pino). Bind request/meeting context with `logger.child({...})`. */
export type Logger = PinoLogger;

/** Log levels; `silent` turns logging off. */
export type LogLevel = LevelWithSilent;

/** The correlation fields of architecture.md "Logging"; bind them on child loggers. */
export interface LogContext {
  trace_id?: string;
  span_id?: string;
  meeting_id?: string;
  participant_id?: string;
}

export interface CreateLoggerOptions {
  /** Who is logging (`gc-service`, `mc-service`, ...). */
  component: string;
  /** Defaults to `info`. */
  level?: LogLevel;
  /** Where JSON lines go; defaults to stdout, written synchronously. Anything with `write(line)` works. */
  destination?: DestinationStream;
  /** Extra key names to redact, on top of the defaults (password, token, authorization, cookie, ...). */
  redactKeys?: readonly string[];
  /**
   * The active span's ids (`tracing.activeIds` of createTracing): every line logged inside a span carries its
   * `trace_id` and `span_id`, unless the logger already binds its own.
   */
  traceIds?: () => { trace_id: string; span_id: string } | undefined;
}

/**
 * Creates a JSON-lines logger with the fields of architecture.md: `timestamp` (ISO 8601), `level` (label),
 * `component`, `message`, and the {@link LogContext} ids when bound. Values under secret-named keys
 * (password, secret, client_secret, token, access_token, join_token, connection_token, authorization,
 * cookie, private_key, ...) are replaced by `[REDACTED]` at any depth. Each call builds a new logger:
 * there is no module-level instance.
 */
export function createLogger(options: CreateLoggerOptions): Logger {
  const keys = [...DEFAULT_SECRET_KEYS, ...(options.redactKeys ?? [])];
  const redact = createRedactor(keys);
  const traceIds = options.traceIds;
  return pino(
    {
      ...(traceIds === undefined
        ? {}
        : {
            mixin: (_object: object, _level: number, logger: PinoLogger) =>
              'trace_id' in logger.bindings() ? {} : (traceIds() ?? {}),
          }),
      // pino applies formatters.bindings to the root only; child bindings (`logger.child({ token })`) are covered
      // by pino's own path redaction of top-level keys.
      redact: { paths: topLevelPaths(keys), censor: REDACTED },
      level: options.level ?? 'info',
      messageKey: 'message',
      errorKey: 'err',
      base: { component: options.component },
      timestamp: isoTimestamp(),
      formatters: {
        level: (label) => ({ level: label }),
        bindings: (bindings) => redact(bindings) as Record<string, unknown>,
        log: (object) => redact(object) as Record<string, unknown>,
      },
    },
    // Synchronous stdout: lines stay in order through exit and a slow reader applies backpressure instead of
    // an unbounded in-memory buffer (the async SonicBoom could reorder the last lines at process.exit).
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

function topLevelPaths(keys: readonly string[]): string[] {
  const variants = new Set<string>();
  for (const key of keys) {
    const camel = key.replace(/[_-]([a-z])/g, (_m, c: string) => c.toUpperCase());
    for (const k of [key, camel, key.toUpperCase(), key.charAt(0).toUpperCase() + key.slice(1)])
      variants.add(k);
  }
  return [...variants].map((k) => (/^[A-Za-z_$][\w$]*$/.test(k) ? k : `[${JSON.stringify(k)}]`));
}

// Formatting an ISO date is the costliest part of a log line; lines within the same millisecond share it.
function isoTimestamp(): () => string {
  let lastMs = -1;
  let last = '';
  return () => {
    const now = Date.now();
    if (now !== lastMs) {
      lastMs = now;
      last = `,"timestamp":"${new Date(now).toISOString()}"`;
    }
    return last;
  };
}
