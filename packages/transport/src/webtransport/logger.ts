// The logging shape this package needs; pino and console both satisfy it.
export interface TransportLogger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

function ignore(): void {
  // Logging is off unless the application passes a logger.
}

export const silentLogger: TransportLogger = { debug: ignore, info: ignore, warn: ignore };
