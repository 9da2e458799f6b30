import { createServer, type Server } from 'node:http';
import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { SignJWT, type JWTPayload } from 'jose';

/** A signing key as a cluster's Auth Controller would hold it (test helper). */
export interface TestKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicJwk: Record<string, unknown>;
}

export function makeTestKey(kid: string): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const jwk = publicKey.export({ format: 'jwk' });
  return { kid, privateKey, publicJwk: { ...jwk, kid, alg: 'EdDSA', use: 'sig' } };
}

export interface SignOptions {
  readonly issuer: string;
  readonly audience: string;
  readonly principal?: 'user' | 'service';
  readonly scope?: string;
  readonly subject?: string;
  readonly nowSec?: number;
  readonly ttlSec?: number;
  readonly nbfSec?: number;
  readonly extra?: JWTPayload;
  /** Sign with this key instead (a forged token under someone else's kid). */
  readonly privateKey?: KeyObject;
}

export async function signTestToken(key: TestKey, o: SignOptions): Promise<string> {
  const now = o.nowSec ?? Math.floor(Date.now() / 1000);
  return new SignJWT({ principal: o.principal ?? 'service', scope: o.scope ?? 'service.read.mh', ...o.extra })
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'JWT' })
    .setIssuer(o.issuer)
    .setAudience(o.audience)
    .setSubject(o.subject ?? 'svc-1')
    .setIssuedAt(now)
    .setNotBefore(o.nbfSec ?? now)
    .setExpirationTime(now + (o.ttlSec ?? 3600))
    .setJti(randomUUID())
    .sign(o.privateKey ?? key.privateKey);
}

/** A real HTTP JWKS endpoint on loopback whose key set and status the test controls. */
export class JwksServer {
  keys: TestKey[] = [];
  status = 200;
  /** Replace the body entirely (to serve garbage). */
  rawBody: string | undefined;
  requests = 0;
  readonly #server: Server;

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(): Promise<JwksServer> {
    const server = createServer();
    const fixture = new JwksServer(server);
    server.on('request', (req, res) => {
      fixture.requests++;
      if (req.url !== '/.well-known/jwks.json') {
        res.writeHead(404).end();
        return;
      }
      const body = fixture.rawBody ?? JSON.stringify({ keys: fixture.keys.map((k) => k.publicJwk) });
      res.writeHead(fixture.status, { 'content-type': 'application/json' }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fixture;
  }

  get url(): string {
    const { port } = this.#server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/.well-known/jwks.json`;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) =>
      this.#server.close(() => {
        resolve();
      }),
    );
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
