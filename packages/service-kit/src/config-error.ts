/** One problem found while loading configuration. */
export interface ConfigIssue {
  /** The schema key (`maxParticipants`). */
  readonly key: string;
  /** Where the bad value came from: the env var name, `<file>: <key>`, or `default`. */
  readonly origin: string;
  /** Why it was refused, e.g. `must be an integer >= 1, got "abc"`. */
  readonly reason: string;
}

/** Stable codes of {@link ConfigError}. */
export type ConfigErrorCode = 'CONFIG_INVALID' | 'CONFIG_FILE_UNREADABLE';

/**
 * Configuration could not be loaded. The message names every bad key and why, e.g.
 * `config: MEETING_MAX_PARTICIPANTS must be an integer >= 1, got "abc"`; secret values are never echoed.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code: ConfigErrorCode;
  readonly issues: readonly ConfigIssue[];

  private constructor(
    code: ConfigErrorCode,
    message: string,
    issues: readonly ConfigIssue[],
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    this.issues = Object.freeze([...issues]);
  }

  /** One or more values failed validation. */
  static invalid(issues: readonly ConfigIssue[]): ConfigError {
    const text = issues.map((i) => `${i.origin} ${i.reason}`).join('; ');
    return new ConfigError('CONFIG_INVALID', `config: ${text}`, issues);
  }

  /** The config file could not be read or is not a JSON object. */
  static fileUnreadable(path: string, reason: string, cause?: unknown): ConfigError {
    const issue: ConfigIssue = { key: '', origin: path, reason };
    return new ConfigError('CONFIG_FILE_UNREADABLE', `config: ${path} ${reason}`, [issue], cause);
  }
}

/** True when `value` is a {@link ConfigError} (checked by code, so it works across module copies). */
export function isConfigError(value: unknown): value is ConfigError {
  if (typeof value !== 'object' || value === null) return false;
  const code = (value as { code?: unknown }).code;
  return code === 'CONFIG_INVALID' || code === 'CONFIG_FILE_UNREADABLE';
}
