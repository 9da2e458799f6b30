export {
  buildAuthController,
  type AuthController,
  type AuthControllerAddresses,
  type AuthControllerDeps,
} from './auth-controller.ts';
export { authConfig, authConfigSchema, checkAuthConfig, loadAuthConfig, type AuthConfig } from './config.ts';
export { authRoutes } from './http/auth-routes.ts';
export type { AuthRouteDeps } from './http/route-deps.ts';
export { AuthControllerError, isAuthControllerError, type AuthControllerErrorCode } from './errors.ts';
export { OAuthError, isOAuthError, type OAuthErrorCode } from './http/oauth-error.ts';
export { AuthService } from './auth-service.ts';
export { KeyManager, ROTATION_LOCK_KEY, type RotateResult, type RotationReason } from './keys/key-manager.ts';
export { MasterKey } from './keys/master-key.ts';
export { migrations, MIGRATIONS_TABLE } from './db/migrations.ts';
export type { AuthDatabase } from './db/schema.ts';
export type { AuditEvent, AuditOutcome, AuditRecord } from './audit/audit-log.ts';
export { ADMIN_SCOPES, DEFAULT_USER_SCOPES } from './scope-policy.ts';
export { OWASP_ARGON2ID, type Argon2Params } from './passwords/password-hasher.ts';
