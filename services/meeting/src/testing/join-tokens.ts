// Join tokens as the Global Controller signs them, for tests: a real Ed25519 key served on a loopback JWKS.
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { JwksServer, makeTestKey, type TestKey } from '@darktower/auth-verifier/testing';

export const TEST_ISSUER = 'https://gc.darktower.test';

export class JoinTokenIssuer implements AsyncDisposable {
  readonly jwks: JwksServer;
  readonly key: TestKey;

  private constructor(jwks: JwksServer, key: TestKey) {
    this.jwks = jwks;
    this.key = key;
  }

  static async start(): Promise<JoinTokenIssuer> {
    const jwks = await JwksServer.start();
    const key = makeTestKey('gc-key-1');
    jwks.keys = [key];
    return new JoinTokenIssuer(jwks, key);
  }

  sign(claims: {
    meetingId: string;
    sub: string;
    role?: 'host' | 'participant';
    name?: string;
    ttlSec?: number;
    audience?: string;
    key?: TestKey;
  }): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const key = claims.key ?? this.key;
    return new SignJWT({
      meeting_id: claims.meetingId,
      display_name: claims.name ?? claims.sub,
      role: claims.role ?? 'participant',
    })
      .setProtectedHeader({ alg: 'EdDSA', kid: this.key.kid, typ: 'JWT' })
      .setIssuer(TEST_ISSUER)
      .setAudience(claims.audience ?? 'darktower-mc')
      .setSubject(claims.sub)
      .setIssuedAt(now)
      .setExpirationTime(now + (claims.ttlSec ?? 300))
      .setJti(randomUUID())
      .sign(key.privateKey);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.jwks.close();
  }
}
