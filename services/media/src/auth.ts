import type { HandlerId } from './ids.ts';

/**
 * Verifies the service token a peer handler presents on a cascade session (SetupCascadeRequest.service_token) and
 * says which handler it is. The deployable wires this to the Auth Controller's JWKS (@darktower/auth-verifier).
 */
export interface ServiceTokenVerifier {
  verify(token: string, signal: AbortSignal): Promise<{ handlerId: HandlerId }>;
}

/** Participant connection tokens are 43 base64url characters; service tokens are JWTs (three dot-separated parts). */
export function isServiceToken(token: string): boolean {
  return token.includes('.');
}
