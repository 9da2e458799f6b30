// MLS credentials and client configuration. We use MLS *basic* credentials: the identity is the Dark Tower
// participant id (UTF-8), the signature key is fresh per session, and nothing certifies the binding; the
// `acceptIdentity` check (against the meeting roster the client sees) is the only gate. See README "What E2EE
// protects against".
import {
  defaultKeyPackageEqualityConfig,
  defaultKeyRetentionConfig,
  defaultLifetimeConfig,
  defaultPaddingConfig,
  type ClientConfig,
  type Credential,
} from 'ts-mls';

/** Largest identity (participant id) carried in a basic credential. */
export const MAX_IDENTITY_BYTES = 256;

const decoder = new TextDecoder('utf-8', { fatal: true });

/** The identity of a well-formed basic credential, or undefined (other credential types are not accepted). */
export function identityOf(credential: Credential): string | undefined {
  if (credential.credentialType !== 'basic') return undefined;
  if (credential.identity.byteLength === 0 || credential.identity.byteLength > MAX_IDENTITY_BYTES)
    return undefined;
  try {
    return decoder.decode(credential.identity);
  } catch {
    return undefined;
  }
}

export function clientConfigFor(
  acceptIdentity: (identity: string) => boolean | Promise<boolean>,
): ClientConfig {
  return {
    lifetimeConfig: defaultLifetimeConfig,
    keyPackageEqualityConfig: defaultKeyPackageEqualityConfig,
    paddingConfig: defaultPaddingConfig,
    // We carry no MLS application messages, so keep no old-epoch receiver secrets around (forward secrecy).
    keyRetentionConfig: { ...defaultKeyRetentionConfig, retainKeysForEpochs: 1 },
    authService: {
      validateCredential: async (credential) => {
        const identity = identityOf(credential);
        return identity !== undefined && (await acceptIdentity(identity));
      },
    },
  };
}
