import { inspect } from 'node:util';

const REDACTED = '[REDACTED]';

/**
 * A configuration secret. It prints as `[REDACTED]` through `String()`, `JSON.stringify`, `util.inspect`
 * and loggers; only {@link Secret.reveal} returns the value, so a leak has to be written on purpose.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The secret value. Call it where the value is used, never to log it. */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
