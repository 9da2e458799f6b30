export type {
  BidirectionalStream,
  DatagramDuplex,
  SendStreamOptions,
  Session,
  SessionCloseInfo,
  SessionDecision,
  SessionHandler,
  SessionRequest,
  SessionStats,
} from './session.ts';
export { NORMAL_CLOSE } from './session.ts';
export { createMemorySessionPair, type MemorySessionOptions } from './memory-session.ts';
