import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';

/** An Ed25519 key the Global Controller signs join tokens with. */
export interface JoinSigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicJwk: JoinPublicJwk;
  readonly createdAt: Date;
}

export interface JoinPublicJwk {
  readonly kty: 'OKP';
  readonly crv: 'Ed25519';
  readonly x: string;
  readonly kid: string;
  readonly alg: 'EdDSA';
  readonly use: 'sig';
}

export function generateJoinSigningKey(now = new Date()): JoinSigningKey {
  const { privateKey } = generateKeyPairSync('ed25519');
  return joinSigningKeyFromPrivate(privateKey, now);
}

/** From a PKCS#8 PEM (the JOIN_TOKEN_PRIVATE_KEY setting, or a stored key). */
export function joinSigningKeyFromPem(pem: string, createdAt = new Date()): JoinSigningKey {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch (error) {
    throw new TypeError('join signing key is not a PEM private key', { cause: error });
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new TypeError('join signing key must be Ed25519');
  return joinSigningKeyFromPrivate(key, createdAt);
}

export function joinSigningKeyToPem(key: JoinSigningKey): string {
  return key.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}

function joinSigningKeyFromPrivate(privateKey: KeyObject, createdAt: Date): JoinSigningKey {
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
  if (typeof jwk.x !== 'string') throw new TypeError('not an Ed25519 key');
  // RFC 7638 thumbprint as kid: the same key gets the same kid on every instance.
  const thumbprint = createHash('sha256')
    .update(JSON.stringify({ crv: 'Ed25519', kty: 'OKP', x: jwk.x }))
    .digest('base64url');
  const kid = `gc-${thumbprint.slice(0, 22)}`;
  return {
    kid,
    privateKey,
    publicJwk: { kty: 'OKP', crv: 'Ed25519', x: jwk.x, kid, alg: 'EdDSA', use: 'sig' },
    createdAt,
  };
}
