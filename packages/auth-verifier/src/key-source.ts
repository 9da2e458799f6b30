/** A verification key found for a `kid`, with where it came from (for logs). */
export interface ResolvedKey {
  readonly kid: string;
  readonly key: CryptoKey;
  readonly source: string;
}

/**
 * Where the verifier finds public keys. The JWKS implementation fetches them over HTTP; the Auth Controller
 * plugs its own key store in so it never fetches its own JWKS.
 */
export interface KeySource {
  /** All keys currently trusted under this kid (normally one; several only if two clusters collide). */
  resolve(kid: string, signal?: AbortSignal): Promise<readonly ResolvedKey[]>;
}
