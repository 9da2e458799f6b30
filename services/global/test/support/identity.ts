import { JwksServer, makeTestKey, signTestToken, type TestKey } from '@darktower/auth-verifier/testing';

export const ISSUER = 'http://auth.test';
export const AUDIENCE = 'darktower-test';

/** A real JWKS endpoint on loopback with a freshly generated Ed25519 key: stands in for the Auth Controller. */
export class TestIdentity implements AsyncDisposable {
  readonly jwks: JwksServer;
  readonly key: TestKey;

  private constructor(jwks: JwksServer, key: TestKey) {
    this.jwks = jwks;
    this.key = key;
  }

  static async start(): Promise<TestIdentity> {
    const jwks = await JwksServer.start();
    const key = makeTestKey('test-key-1');
    jwks.keys = [key];
    return new TestIdentity(jwks, key);
  }

  user(
    subject: string,
    scope = 'user.read.gc user.write.gc',
    extra: Record<string, unknown> = {},
  ): Promise<string> {
    return signTestToken(this.key, {
      issuer: ISSUER,
      audience: AUDIENCE,
      principal: 'user',
      scope,
      subject,
      extra: { username: subject, ...extra },
    });
  }

  service(subject: string, scope = 'service.write.gc'): Promise<string> {
    return signTestToken(this.key, {
      issuer: ISSUER,
      audience: AUDIENCE,
      principal: 'service',
      scope,
      subject,
    });
  }

  /** Same claims, signed by a key the JWKS does not publish under this kid. */
  forged(subject: string): Promise<string> {
    const other = makeTestKey('test-key-1');
    return signTestToken(this.key, {
      issuer: ISSUER,
      audience: AUDIENCE,
      principal: 'user',
      scope: 'user.read.gc user.write.gc',
      subject,
      privateKey: other.privateKey,
    });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.jwks.close();
  }
}
