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
