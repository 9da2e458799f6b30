export { SframeContext, type DecryptedFrame, type SframeCounters } from './sframe-context.ts';
export { SframeError, isSframeError, type SframeErrorCode } from './sframe-error.ts';
export { encodeSframeHeader, decodeSframeHeader, type SframeHeader } from './sframe-header.ts';
export {
  CIPHER_SUITES,
  DEFAULT_SUITE,
  cipherSuite,
  type CipherSuite,
  type CipherSuiteId,
} from './cipher-suites.ts';
export { deriveKeyMaterial, nonceFor, type KeyMaterial } from './key-schedule.ts';
export { createAead, type Aead } from './aead.ts';
export { ReplayWindow } from './replay-window.ts';
export { MlsError, isMlsError, type MlsErrorCode } from './mls/mls-error.ts';
export {
  DEFAULT_KID_LAYOUT,
  epochLowBits,
  parseKid,
  senderKid,
  validateKidLayout,
  type KidLayout,
  type ParsedKid,
} from './mls/kid-layout.ts';
export { verificationCodeFor, VERIFICATION_CODE_GROUPS } from './mls/verification-code.ts';
export { MAX_KEY_PACKAGE_BYTES, MAX_MLS_MESSAGE_BYTES } from './mls/mls-codec.ts';
export { MAX_IDENTITY_BYTES } from './mls/mls-credentials.ts';
export {
  MlsMember,
  SFRAME_EXPORTER_LABEL,
  DEFAULT_MLS_CIPHERSUITE,
  type MlsMemberOptions,
  type MlsMemberInfo,
  type MlsEpochSnapshot,
  type CreatedCommit,
  type CommitOutcome,
} from './mls/mls-member.ts';
export {
  MlsSframeKeyring,
  DEFAULT_EPOCH_GRACE_MS,
  type MlsSframeKeyringOptions,
  type KeyringDecryptedFrame,
  type KeyringCounters,
  type EpochKeySink,
} from './mls/mls-sframe-keyring.ts';
export { DeliveryServiceCore, type DeliveryServiceOptions } from './mls/delivery-service-core.ts';
export type {
  DsDelivery,
  DsErrorCode,
  DsMemberKeyPackage,
  DsMessage,
  DsParticipantId,
} from './mls/delivery-service-messages.ts';
export { MlsParticipant, type ParticipantOutbound, type ParticipantCounters } from './mls/mls-participant.ts';
export {
  applyClientKind,
  dsMessageToServerKind,
  participantOutboundToClientKind,
  serverKindToDsMessage,
} from './mls/mls-wire.ts';
