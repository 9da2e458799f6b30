import { createPrivateKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import type { MasterKey } from './master-key.ts';

export interface PublicJwk {
  readonly kty: 'OKP';
  readonly crv: 'Ed25519';
  readonly x: string;
  readonly kid: string;
  readonly alg: 'EdDSA';
  readonly use: 'sig';
}

/** A new Ed25519 key pair, its private half already encrypted under the master key. */
export interface NewSigningKey {
  readonly kid: string;
  readonly publicJwk: PublicJwk;
  readonly privateKeyEnc: string;
  readonly createdAt: Date;
}

export function generateSigningKey(masterKey: MasterKey, now: Date): NewSigningKey {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  // Date prefix makes keys easy to tell apart in logs; random suffix makes them unique.
  const kid = `${now.toISOString().slice(0, 10).replaceAll('-', '')}-${randomBytes(9).toString('base64url')}`;
  const x = publicKey.export({ format: 'jwk' }).x;
  if (typeof x !== 'string') throw new Error('Ed25519 public key export failed');
  const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' });
  return {
    kid,
    publicJwk: { kty: 'OKP', crv: 'Ed25519', x, kid, alg: 'EdDSA', use: 'sig' },
    privateKeyEnc: masterKey.encrypt(pkcs8, kid).toString('base64'),
    createdAt: now,
  };
}

export function decryptPrivateKey(masterKey: MasterKey, kid: string, privateKeyEnc: string): KeyObject {
  const der = masterKey.decrypt(Buffer.from(privateKeyEnc, 'base64'), kid);
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } finally {
    der.fill(0);
  }
}
