// What an H3Connection is built from: its role, the quiche connection and addresses, the shared scheduler and
// send slab of its socket, and the callbacks through which server and client code learn what happened.
import type { Connection, Host } from '@matrixai/quic/native/types.js';
import type { SessionRequest } from '../session.ts';
import type { FlushScheduler } from './flush-scheduler.ts';
import type { H3Connection } from './h3-connection.ts';
import type { TransportLimits } from './limits.ts';
import type { TransportLogger } from './logger.ts';
import type { QuicSession } from './quic-session.ts';
import type { SendSlab } from './send-slab.ts';
import type { TransportError } from './transport-error.ts';

export type Role = 'server' | 'client';

export interface H3ConnectionOptions {
  role: Role;
  conn: Connection;
  local: Host;
  remote: Host;
  scheduler: FlushScheduler;
  limits: TransportLimits;
  logger: TransportLogger;
  sendPacket(packet: Uint8Array, to: Host): void;
  /** Where outgoing packets are written; one per socket, shared by its connections. */
  slab: SendSlab;
  /** Server: decides on a CONNECT and is told about the session it created. */
  onRequest?: (request: SessionRequest) => Promise<{ accept: true } | { accept: false; status: number }>;
  onSession?: (session: QuicSession, request: SessionRequest) => void;
  /** Client: checks the peer certificate once the handshake completes; false closes the connection. */
  verifyPeer?: (chain: readonly Uint8Array[]) => boolean;
  /** Client: the session request to send once the peer's SETTINGS arrived. */
  connectFields?: () => Uint8Array | undefined;
  onClientResult?: (result: QuicSession | TransportError) => void;
  onClosed(connection: H3Connection): void;
}
