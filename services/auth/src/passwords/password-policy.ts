import { COMMON_PASSWORDS } from './common-passwords.ts';
import { MAX_PASSWORD_LENGTH } from './password-hasher.ts';

export interface PasswordPolicyOptions {
  readonly minLength: number;
}

export type PasswordProblem = 'too_short' | 'too_long' | 'common' | 'contains_username';

/** NIST SP 800-63B style: a length floor, a ceiling (hashing cost), a deny-list; no composition rules. */
export function checkPassword(
  password: string,
  username: string,
  o: PasswordPolicyOptions,
): PasswordProblem | undefined {
  let length = 0;
  // Code points, not UTF-16 units: a password of emoji is as long as it looks.
  for (const _ of password) length++;
  if (length < o.minLength) return 'too_short';
  if (password.length > MAX_PASSWORD_LENGTH) return 'too_long';
  const lower = password.toLowerCase();
  if (COMMON_PASSWORDS.has(lower)) return 'common';
  // Common passwords with digits or symbols stuck on the end ("password123!") are just as guessable.
  const stripped = lower.replace(/[\d\W_]+$/u, '');
  if (stripped.length > 0 && stripped !== lower && COMMON_PASSWORDS.has(stripped)) return 'common';
  if (username.length >= 3 && lower.includes(username.toLowerCase())) return 'contains_username';
  return undefined;
}
