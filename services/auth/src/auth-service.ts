import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Scope } from '@darktower/auth-verifier';
import type { Tracing } from '@darktower/service-kit';
import type { AuditLog } from './audit/audit-log.ts';
import type { AuthMetrics } from './auth-metrics.ts';
import type { ClientsRepo, NewClientCredentials, ServiceClient } from './db/clients-repo.ts';
import { normalizeUsername, type UsersRepo } from './db/users-repo.ts';
import type { KeyManager, RotateResult } from './keys/key-manager.ts';
import type { PasswordHasher } from './passwords/password-hasher.ts';
import { isHashGateFull } from './passwords/hash-gate.ts';
import { checkPassword, type PasswordProblem } from './passwords/password-policy.ts';
import type { LoginGuard } from './rate-limit/login-guard.ts';
import { DEFAULT_USER_SCOPES, grantScopes } from './scope-policy.ts';
import type { IssuedToken, TokenIssuer } from './tokens/token-issuer.ts';

export interface AuthServiceDeps {
  readonly users: UsersRepo;
  readonly clients: ClientsRepo;
  readonly hasher: PasswordHasher;
  readonly issuer: TokenIssuer;
  readonly keys: KeyManager;
  readonly guard: LoginGuard;
  readonly audit: AuditLog;
  readonly metrics: AuthMetrics;
  readonly passwordMinLength: number;
  /** Spans for the costly steps (`password_verify`, `password_hash`, `sign_token`); none when absent. */
  readonly tracing?: Tracing;
}

export type RegisterUserResult =
  | { readonly ok: true; readonly id: string; readonly username: string; readonly displayName: string }
  | { readonly ok: false; readonly reason: 'taken' }
  | { readonly ok: false; readonly reason: 'busy' }
  | { readonly ok: false; readonly reason: 'weak_password'; readonly problem: PasswordProblem };

export type LoginResult =
  | { readonly ok: true; readonly token: IssuedToken }
  | { readonly ok: false; readonly reason: 'invalid_credentials' }
  | { readonly ok: false; readonly reason: 'rate_limited'; readonly retryAfterSec: number };

export type ServiceTokenResult =
  | { readonly ok: true; readonly token: IssuedToken }
  | { readonly ok: false; readonly reason: 'invalid_client' | 'invalid_scope' };

/** The Auth Controller's operations, independent of HTTP. */
export class AuthService {
  readonly #d: AuthServiceDeps;

  constructor(deps: AuthServiceDeps) {
    this.#d = deps;
  }

  #span<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const tracing = this.#d.tracing;
    return tracing === undefined ? fn() : tracing.startActiveSpan(name, fn);
  }

  async registerUser(
    input: { username: string; password: string; displayName: string },
    ip: string,
  ): Promise<RegisterUserResult> {
    const username = normalizeUsername(input.username);
    const problem = checkPassword(input.password, username, { minLength: this.#d.passwordMinLength });
    if (problem !== undefined) {
      this.#d.metrics.failures.inc({ endpoint: 'register', reason: 'weak_password' });
      await this.#d.audit.record({
        event: 'user.registered',
        outcome: 'fail',
        actor: username,
        ip,
        details: { reason: problem },
      });
      return { ok: false, reason: 'weak_password', problem };
    }
    let passwordHash: string;
    try {
      passwordHash = await this.#timedHash(input.password);
    } catch (err) {
      if (!isHashGateFull(err)) throw err;
      this.#d.metrics.failures.inc({ endpoint: 'register', reason: 'busy' });
      return { ok: false, reason: 'busy' };
    }
    const id = randomUUID();
    const created = await this.#d.users.create({
      id,
      username,
      displayName: input.displayName,
      passwordHash,
      scopes: DEFAULT_USER_SCOPES,
    });
    if (!created) {
      this.#d.metrics.failures.inc({ endpoint: 'register', reason: 'taken' });
      await this.#d.audit.record({
        event: 'user.registered',
        outcome: 'fail',
        actor: username,
        ip,
        details: { reason: 'taken' },
      });
      return { ok: false, reason: 'taken' };
    }
    await this.#d.audit.record({
      event: 'user.registered',
      outcome: 'ok',
      actor: id,
      ip,
      details: { username },
    });
    return { ok: true, id, username, displayName: input.displayName };
  }

  async loginUser(input: { username: string; password: string }, ip: string): Promise<LoginResult> {
    const started = performance.now();
    const account = normalizeUsername(input.username);
    const admitted = await this.#d.guard.admit(ip, account);
    if (!admitted.allowed) {
      this.#d.metrics.failures.inc({ endpoint: 'user_token', reason: 'rate_limited' });
      await this.#d.audit.record({ event: 'user.login', outcome: 'rate_limited', actor: account, ip });
      return { ok: false, reason: 'rate_limited', retryAfterSec: admitted.retryAfterSec };
    }
    const user = await this.#d.users.findByUsername(account);
    const t0 = performance.now();
    let valid: boolean;
    try {
      valid = await this.#span('password_verify', () =>
        user === undefined
          ? this.#d.hasher.verifyDummy(input.password)
          : this.#d.hasher.verify(user.passwordHash, input.password),
      );
    } catch (err) {
      // Hashing saturated: shed load with the same answer as throttling (nothing counted against the account).
      if (!isHashGateFull(err)) throw err;
      this.#d.metrics.failures.inc({ endpoint: 'user_token', reason: 'busy' });
      return { ok: false, reason: 'rate_limited', retryAfterSec: 1 };
    }
    this.#d.metrics.passwordHashSeconds.observe({ op: 'verify' }, (performance.now() - t0) / 1000);
    if (user === undefined || !valid) {
      await this.#d.guard.failed(account);
      this.#d.metrics.failures.inc({ endpoint: 'user_token', reason: 'invalid_grant' });
      await this.#d.audit.record({ event: 'user.login', outcome: 'fail', actor: account, ip });
      return { ok: false, reason: 'invalid_credentials' };
    }
    await this.#d.guard.succeeded(account);
    const token = await this.#span('sign_token', () =>
      this.#d.issuer.issue({
        principal: 'user',
        subject: user.id,
        scopes: user.scopes,
        claims: { username: user.username },
      }),
    );
    this.#d.metrics.tokensIssued.inc({ kind: 'user' });
    this.#d.metrics.issueLatency.observe({ kind: 'user' }, (performance.now() - started) / 1000);
    await this.#d.audit.record({
      event: 'user.login',
      outcome: 'ok',
      actor: user.id,
      ip,
      details: { jti: token.jti, kid: token.kid },
    });
    return { ok: true, token };
  }

  async serviceToken(
    clientId: string,
    clientSecret: string,
    requested: readonly Scope[] | undefined,
    ip: string,
  ): Promise<ServiceTokenResult> {
    const started = performance.now();
    const client = await this.#d.clients.authenticate(clientId, clientSecret);
    if (client === undefined) {
      this.#d.metrics.failures.inc({ endpoint: 'service_token', reason: 'invalid_client' });
      await this.#d.audit.record({
        event: 'service.token',
        outcome: 'fail',
        actor: clientId,
        ip,
        details: { reason: 'invalid_client' },
      });
      return { ok: false, reason: 'invalid_client' };
    }
    const scopes = grantScopes(client.scopes, requested);
    if (scopes === undefined) {
      this.#d.metrics.failures.inc({ endpoint: 'service_token', reason: 'invalid_scope' });
      await this.#d.audit.record({
        event: 'service.token',
        outcome: 'fail',
        actor: clientId,
        ip,
        details: { reason: 'invalid_scope' },
      });
      return { ok: false, reason: 'invalid_scope' };
    }
    const token = await this.#span('sign_token', () =>
      this.#d.issuer.issue({ principal: 'service', subject: client.clientId, scopes }),
    );
    this.#d.metrics.tokensIssued.inc({ kind: 'service' });
    this.#d.metrics.issueLatency.observe({ kind: 'service' }, (performance.now() - started) / 1000);
    this.#d.audit.enqueue({
      event: 'token.issued',
      outcome: 'ok',
      actor: client.clientId,
      ip,
      details: { jti: token.jti, kid: token.kid, scopes: [...scopes] },
    });
    return { ok: true, token };
  }

  async registerService(
    name: string,
    scopes: readonly Scope[],
    actor: string,
    ip: string,
  ): Promise<NewClientCredentials> {
    const created = await this.#d.clients.register(name, scopes, actor);
    await this.#d.audit.record({
      event: 'service.registered',
      outcome: 'ok',
      actor,
      ip,
      details: { client_id: created.clientId, name, scopes: [...scopes] },
    });
    return created;
  }

  /**
   * Creates the client with this fixed id, or gives it a fresh secret when it exists: for deployments that provision
   * their own service clients at every start (the all-in-one dev stack), so restarts do not pile up clients and no
   * secret has to be stored between runs.
   */
  async provisionService(
    clientId: string,
    name: string,
    scopes: readonly Scope[],
    actor: string,
    ip: string,
  ): Promise<NewClientCredentials> {
    const clientSecret = randomBytes(32).toString('base64url');
    await this.#d.clients.upsert(clientId, name, clientSecret, scopes);
    await this.#d.audit.record({
      event: 'service.provisioned',
      outcome: 'ok',
      actor,
      ip,
      details: { client_id: clientId, name, scopes: [...scopes] },
    });
    return { clientId, name, scopes, clientSecret };
  }

  async rotateKeys(actor: string): Promise<RotateResult> {
    return this.#d.keys.rotateNow(actor);
  }

  async ensureBootstrapAdmin(client: ServiceClient & { secret: string }): Promise<void> {
    await this.#d.clients.upsert(client.clientId, client.name, client.secret, client.scopes);
  }

  async #timedHash(password: string): Promise<string> {
    const t0 = performance.now();
    try {
      return await this.#span('password_hash', () => this.#d.hasher.hash(password));
    } finally {
      this.#d.metrics.passwordHashSeconds.observe({ op: 'hash' }, (performance.now() - t0) / 1000);
    }
  }
}
