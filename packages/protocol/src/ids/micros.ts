import { ProtocolError } from '../errors/protocol-error.ts';

declare const microsBrand: unique symbol;

/** A time in microseconds (media timestamps: since the Unix epoch, the WebCodecs unit). */
export type Micros = number & { readonly [microsBrand]: true };

/** Brands a whole, non-negative microsecond count (at most 2^53-1); throws INVALID_ARGUMENT otherwise. */
export function micros(value: number): Micros {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw ProtocolError.invalidArgument(`not a microsecond count: ${value}`);
  }
  return value as Micros;
}
