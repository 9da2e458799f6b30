import { importJWK, type JWK } from 'jose';
import { AuthError } from './errors.ts';
import type { KeySource, ResolvedKey } from './key-source.ts';

export interface JwksCacheOptions {
  readonly url: string;
  /** Allowed JWS algorithms; keys that cannot serve one of them are ignored. */
  readonly algorithms: readonly string[];
  /** How long a fetched key set is trusted before it is fetched again (architecture.md: 1 hour). */
  readonly cacheTtlMs: number;
  /** Minimum time between fetches triggered by an unknown kid (stops a flood of forged kids hammering the JWKS). */
  readonly unknownKidRefetchMinIntervalMs: number;
  /** How long a key set may still be used after its TTL while the endpoint keeps failing. */
  readonly maxStaleMs: number;
  readonly fetchTimeoutMs: number;
  readonly maxResponseBytes: number;
  readonly fetch: typeof fetch;
  readonly now: () => number;
}

/** What a `kid` may look like: url-safe base64 alphabet only, so it is never a path, query or SQL fragment. */
export const KID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
const MAX_KEYS = 64;

interface Loaded {
  readonly keys: ReadonlyMap<string, CryptoKey>;
  readonly fetchedAt: number;
}

/** The keys of one JWKS URL, fetched lazily and cached. */
export class JwksCache implements KeySource {
  readonly #opts: JwksCacheOptions;
  #loaded: Loaded | undefined;
  #inflight: Promise<Loaded> | undefined;
  #lastAttemptAt = Number.NEGATIVE_INFINITY;
  #lastError: unknown;

  constructor(options: JwksCacheOptions) {
    this.#opts = options;
  }

  get url(): string {
    return this.#opts.url;
  }

  /** The last fetch failure, if the most recent attempt failed (for /ready and logs). */
  get lastError(): unknown {
    return this.#lastError;
  }

  async resolve(kid: string, signal?: AbortSignal): Promise<readonly ResolvedKey[]> {
    const now = this.#opts.now();
    let loaded = this.#loaded;
    const fresh = loaded !== undefined && now - loaded.fetchedAt < this.#opts.cacheTtlMs;
    if (!fresh) {
      loaded = await this.#refreshTolerant(signal);
    }
    let key = loaded?.keys.get(kid);
    if (
      key === undefined &&
      fresh &&
      now - this.#lastAttemptAt >= this.#opts.unknownKidRefetchMinIntervalMs
    ) {
      // A kid we have not seen may be a key that was just rotated in: look once, rate limited.
      loaded = await this.#refreshTolerant(signal);
      key = loaded?.keys.get(kid);
    }
    return key === undefined ? [] : [{ kid, key, source: this.#opts.url }];
  }

  /** Fetches now (used at startup to warm the cache); throws when the endpoint fails. */
  async refresh(signal?: AbortSignal): Promise<void> {
    await this.#refresh(signal);
  }

  /** Refresh, but keep serving the old set (until maxStale) when the endpoint is down. */
  async #refreshTolerant(signal?: AbortSignal): Promise<Loaded | undefined> {
    const now = this.#opts.now();
    const current = this.#loaded;
    if (current !== undefined && now - this.#lastAttemptAt < this.#opts.unknownKidRefetchMinIntervalMs) {
      // Failed or succeeded very recently: do not hammer the endpoint.
      return this.#usable(current, now);
    }
    try {
      return await this.#refresh(signal);
    } catch (err) {
      if (signal?.aborted === true) throw err;
      const usable = current === undefined ? undefined : this.#usable(current, now);
      if (usable === undefined) throw AuthError.jwksUnavailable(err);
      return usable;
    }
  }

  #usable(loaded: Loaded, now: number): Loaded | undefined {
    return now - loaded.fetchedAt < this.#opts.cacheTtlMs + this.#opts.maxStaleMs ? loaded : undefined;
  }

  #refresh(signal?: AbortSignal): Promise<Loaded> {
    // One fetch at a time per URL; concurrent verifications share it.
    this.#inflight ??= this.#fetchKeys(signal).finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  async #fetchKeys(signal?: AbortSignal): Promise<Loaded> {
    this.#lastAttemptAt = this.#opts.now();
    const timeout = AbortSignal.timeout(this.#opts.fetchTimeoutMs);
    const combined = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
    try {
      const res = await this.#opts.fetch(this.#opts.url, {
        signal: combined,
        headers: { accept: 'application/json' },
        redirect: 'error',
      });
      if (!res.ok) {
        await res.body?.cancel();
        throw new Error(`JWKS ${this.#opts.url} answered ${res.status}`);
      }
      const text = await readCapped(res, this.#opts.maxResponseBytes);
      const keys = await this.#parse(text);
      const loaded: Loaded = { keys, fetchedAt: this.#opts.now() };
      this.#loaded = loaded;
      this.#lastError = undefined;
      return loaded;
    } catch (err) {
      this.#lastError = err;
      throw err;
    }
  }

  async #parse(text: string): Promise<Map<string, CryptoKey>> {
    const doc: unknown = JSON.parse(text);
    if (typeof doc !== 'object' || doc === null || !Array.isArray((doc as { keys?: unknown }).keys)) {
      throw new Error('JWKS document has no keys array');
    }
    const list = (doc as { keys: unknown[] }).keys.slice(0, MAX_KEYS);
    const out = new Map<string, CryptoKey>();
    for (const entry of list) {
      if (typeof entry !== 'object' || entry === null) continue;
      const jwk = entry as JWK & { kid?: unknown; alg?: unknown; use?: unknown };
      if (typeof jwk.kid !== 'string' || !KID_PATTERN.test(jwk.kid)) continue;
      if (jwk.use !== undefined && jwk.use !== 'sig') continue;
      if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519') continue;
      if ('d' in jwk) continue; // a private key published by mistake is never used
      const alg = typeof jwk.alg === 'string' ? jwk.alg : 'EdDSA';
      if (!this.#opts.algorithms.includes(alg)) continue;
      try {
        const key = await importJWK({ kty: jwk.kty, crv: jwk.crv, x: jwk.x }, alg);
        if (key instanceof Uint8Array) continue;
        out.set(jwk.kid, key);
      } catch {
        // One bad key must not hide the others; it simply is not trusted.
        continue;
      }
    }
    return out;
  }
}

async function readCapped(res: Response, max: number): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > max) {
    await res.body?.cancel();
    throw new Error(`JWKS response of ${declared} bytes exceeds ${max}`);
  }
  if (res.body === null) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel();
      throw new Error(`JWKS response exceeds ${max} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
