// RFC 9605 section 4.5 cipher suites (and the AES-256-CTR/HMAC-SHA512 suites of the working group's extra
// vectors). Nk: key bytes, Nn: nonce bytes, Nt: tag bytes, Nka: encryption part of a CTR+HMAC key.
export type CipherSuiteId = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;

export interface CipherSuite {
  id: CipherSuiteId;
  name: string;
  kind: 'gcm' | 'ctr-hmac';
  hash: 'SHA-256' | 'SHA-512';
  nk: number;
  nn: number;
  nt: number;
  /** AES key bytes inside Nk (CTR+HMAC suites only; the rest is the HMAC key). */
  nka: number;
}

export const CIPHER_SUITES: Readonly<Record<CipherSuiteId, CipherSuite>> = {
  1: {
    id: 1,
    name: 'AES_128_CTR_HMAC_SHA256_80',
    kind: 'ctr-hmac',
    hash: 'SHA-256',
    nk: 48,
    nn: 12,
    nt: 10,
    nka: 16,
  },
  2: {
    id: 2,
    name: 'AES_128_CTR_HMAC_SHA256_64',
    kind: 'ctr-hmac',
    hash: 'SHA-256',
    nk: 48,
    nn: 12,
    nt: 8,
    nka: 16,
  },
  3: {
    id: 3,
    name: 'AES_128_CTR_HMAC_SHA256_32',
    kind: 'ctr-hmac',
    hash: 'SHA-256',
    nk: 48,
    nn: 12,
    nt: 4,
    nka: 16,
  },
  4: { id: 4, name: 'AES_128_GCM_SHA256_128', kind: 'gcm', hash: 'SHA-256', nk: 16, nn: 12, nt: 16, nka: 16 },
  5: { id: 5, name: 'AES_256_GCM_SHA512_128', kind: 'gcm', hash: 'SHA-512', nk: 32, nn: 12, nt: 16, nka: 32 },
  6: {
    id: 6,
    name: 'AES_256_CTR_HMAC_SHA512_80',
    kind: 'ctr-hmac',
    hash: 'SHA-512',
    nk: 96,
    nn: 12,
    nt: 10,
    nka: 32,
  },
  7: {
    id: 7,
    name: 'AES_256_CTR_HMAC_SHA512_64',
    kind: 'ctr-hmac',
    hash: 'SHA-512',
    nk: 96,
    nn: 12,
    nt: 8,
    nka: 32,
  },
  8: {
    id: 8,
    name: 'AES_256_CTR_HMAC_SHA512_32',
    kind: 'ctr-hmac',
    hash: 'SHA-512',
    nk: 96,
    nn: 12,
    nt: 4,
    nka: 32,
  },
};

/** The default for new meetings: AES_128_GCM_SHA256_128. */
export const DEFAULT_SUITE: CipherSuiteId = 4;

export function cipherSuite(id: number): CipherSuite | undefined {
  return Object.hasOwn(CIPHER_SUITES, id) ? CIPHER_SUITES[id as CipherSuiteId] : undefined;
}
