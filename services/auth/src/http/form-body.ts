import type { FastifyInstance } from 'fastify';

export const MAX_FORM_FIELDS = 32;

/**
 * `application/x-www-form-urlencoded` for the token endpoints (RFC 6749 requires it). Strict: at most
 * MAX_FORM_FIELDS fields, and a parameter sent twice is an error (RFC 6749 section 3.2).
 */
export function registerFormParser(app: FastifyInstance, bodyLimit: number): void {
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit },
    (_req, body, done) => {
      const text = typeof body === 'string' ? body : body.toString('utf8');
      const out: Record<string, string> = Object.create(null) as Record<string, string>;
      let count = 0;
      try {
        for (const [key, value] of new URLSearchParams(text)) {
          if (++count > MAX_FORM_FIELDS) throw new Error('too many form fields');
          if (key in out) throw new Error(`parameter ${key} repeated`);
          out[key] = value;
        }
      } catch (err) {
        const e = err instanceof Error ? err : new Error('bad form body');
        (e as Error & { statusCode: number }).statusCode = 400;
        done(e, undefined);
        return;
      }
      done(null, { ...out });
    },
  );
}
