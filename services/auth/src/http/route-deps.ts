import type { TokenVerifier } from '@darktower/auth-verifier';
import type { AuthService } from '../auth-service.ts';
import type { AuthMetrics } from '../auth-metrics.ts';
import type { KeyManager } from '../keys/key-manager.ts';
import type { IpLimiter } from '../rate-limit/ip-limiter.ts';

/** What the HTTP routes need; built by buildAuthController or by an embedding app. */
export interface AuthRouteDeps {
  readonly service: AuthService;
  readonly keys: KeyManager;
  /** Verifies admin bearer tokens against our own keys (a retired key is refused at once). */
  readonly verifier: TokenVerifier;
  readonly metrics: AuthMetrics;
  readonly tokenLimiter: IpLimiter;
  readonly registerLimiter: IpLimiter;
  readonly bodyLimit: number;
}
