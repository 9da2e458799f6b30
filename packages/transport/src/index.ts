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
export {
  createWebSocketSessionServer,
  type WebSocketSessionServer,
  type WebSocketSessionServerOptions,
} from './websocket/websocket-server.ts';
export {
  connectWebSocket,
  WebSocketConnectError,
  type ConnectWebSocketOptions,
} from './websocket/websocket-client.ts';
export { connectRace, ConnectRaceError, type RaceOptions } from './connect-race.ts';
export {
  createWebTransportServer,
  WebTransportServer,
  type WebTransportServerOptions,
  type DevCertificateSettings,
  type ConnectionStats,
} from './webtransport/server.ts';
export { connectWebTransport, type ConnectOptions } from './webtransport/client.ts';
export { writeNow } from './webtransport/write-now.ts';
export {
  mintDevCertificate,
  certificateFromPem,
  type CertificateMaterial,
} from './webtransport/certificate.ts';
export { DEFAULT_LIMITS, type TransportLimits } from './webtransport/limits.ts';
export type { TransportLogger } from './webtransport/logger.ts';
export { TransportError, isTransportError, type TransportErrorCode } from './webtransport/transport-error.ts';
