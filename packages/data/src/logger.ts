/**
 * The logging surface this package needs. A pino logger satisfies it; so does `console`-like glue.
 * Optional everywhere: without one, problems are only surfaced through errors and events.
 */
export interface DataLogger {
  warn(details: object, message?: string): void;
  error(details: object, message?: string): void;
}
