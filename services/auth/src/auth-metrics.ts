import type { Counter, Histogram } from 'prom-client';
import type { Metrics } from '@darktower/service-kit';

export type TokenKind = 'user' | 'service';

export interface AuthMetrics {
  readonly tokensIssued: Counter<'kind'>;
  /** Refusals by endpoint and stable reason (invalid_client, invalid_grant, rate_limited, bad token reasons...). */
  readonly failures: Counter<'endpoint' | 'reason'>;
  readonly issueLatency: Histogram<'kind'>;
  readonly passwordHashSeconds: Histogram<'op'>;
  readonly keyRotations: Counter<'reason'>;
}

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export function createAuthMetrics(metrics: Metrics): AuthMetrics {
  return {
    tokensIssued: metrics.counter({
      name: 'auth_tokens_issued_total',
      help: 'Access tokens issued',
      labelNames: ['kind'],
    }),
    failures: metrics.counter({
      name: 'auth_failures_total',
      help: 'Refused auth requests by endpoint and reason',
      labelNames: ['endpoint', 'reason'],
    }),
    issueLatency: metrics.histogram({
      name: 'auth_token_issue_duration_seconds',
      help: 'Time to authenticate the caller and sign a token (password hashing included for user tokens)',
      labelNames: ['kind'],
      buckets: LATENCY_BUCKETS,
    }),
    passwordHashSeconds: metrics.histogram({
      name: 'auth_password_hash_duration_seconds',
      help: 'argon2id hash and verify time',
      labelNames: ['op'],
      buckets: LATENCY_BUCKETS,
    }),
    keyRotations: metrics.counter({
      name: 'auth_key_rotations_total',
      help: 'Signing key rotations',
      labelNames: ['reason'],
    }),
  };
}
