// @darktower/global: the Global Controller (meeting REST API, Meeting Controller registry and assignment).
export {
  buildGlobalController,
  type GlobalController,
  type GlobalControllerAddresses,
  type BuildGlobalControllerOptions,
} from './global-controller.ts';
export { createGlobalModule, type GlobalModule, type GlobalModuleOptions } from './global-module.ts';
export { globalConfigSchema, loadGlobalConfig, type GlobalConfig } from './config.ts';
export { registerGlobalRoutes, type GlobalRoutesOptions } from './http/global-routes.ts';
export { buildOpenApiDocument } from './http/openapi.ts';
export { GlobalError, isGlobalError, type GlobalErrorCode } from './domain/errors.ts';
export type { MeetingId, MeetingCode, ControllerId } from './domain/ids.ts';
export { generateMeetingCode, parseMeetingCode, MEETING_CODE_ALPHABET } from './domain/meeting-code.ts';
export {
  chooseController,
  type AssignmentCandidate,
  type AssignmentDecision,
  type AssignmentOptions,
} from './registry/assignment.ts';
export {
  JOIN_TOKEN_AUDIENCE,
  JOIN_TOKEN_TTL_SECONDS,
  type ParticipantRole,
} from './tokens/join-token-issuer.ts';
export { globalMigrations } from './store/migrations.ts';
export type { Tenant } from './tenants/tenant.ts';
