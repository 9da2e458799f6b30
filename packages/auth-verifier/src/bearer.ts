/**
 * Extracts the token from an `Authorization: Bearer <token>` header value (RFC 6750 section 2.1).
 * Returns undefined when absent or not a bearer credential; the verifier reports it as `missing`.
 */
export function bearerToken(header: string | readonly string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  // Any non-blank credential is handed to the verifier, which refuses bad characters as `malformed`.
  const match = /^Bearer +(\S+) *$/i.exec(header);
  return match?.[1];
}
