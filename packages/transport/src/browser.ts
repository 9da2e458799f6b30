// Browser-safe entry point (no Node built-ins): the session types, the WebSocket fallback client, the connect
// race, and an adapter that gives the browser's native WebTransport our Session interface.
export type {
  BidirectionalStream,
  DatagramDuplex,
  SendStreamOptions,
  Session,
  SessionCloseInfo,
  SessionStats,
} from './session.ts';
export { NORMAL_CLOSE } from './session.ts';
export {
  connectWebSocket,
  WebSocketConnectError,
  type ConnectWebSocketOptions,
} from './websocket/websocket-client.ts';
export { connectRace, ConnectRaceError, type RaceOptions } from './connect-race.ts';
export {
  connectBrowserWebTransport,
  hasWebTransport,
  type BrowserWebTransportOptions,
} from './browser-webtransport.ts';
