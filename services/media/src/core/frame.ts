import type { StreamId } from '../ids.ts';

/** What the forwarder needs to know about a frame; everything else stays opaque bytes. */
export type FrameKind = 'audio' | 'key' | 'delta';

/**
 * A media frame as the forwarding core sees it. `wire` is the complete frame as it travels (46-byte header plus
 * the SFrame-encrypted payload) and is shared by every subscriber: nobody copies or mutates it.
 */
export interface ForwardFrame {
  readonly streamId: StreamId;
  readonly kind: FrameKind;
  /** Sequence number of the publisher (for loss accounting). */
  readonly sequence: number;
  /** Publisher capture time, microseconds since the Unix epoch. */
  readonly timestampUs: number;
  /** Header + payload exactly as received. */
  readonly wire: Uint8Array;
  /** Payload bytes (wire minus header), for accounting. */
  readonly payloadLength: number;
  /** The publisher marked it droppable without harming later frames (e.g. a temporal enhancement layer). */
  readonly discardable?: boolean | undefined;
  /** Audio level in clear metadata (RFC 6464: 0 loudest .. 127 silence), audio frames only. */
  readonly audioLevel?: number | undefined;
  /** Where the frame entered this handler: from a publishing client or from another handler (cascade). */
  readonly origin: 'client' | 'cascade';
}

/** Where a frame may be sent: bytes out, with backpressure; never blocks the caller beyond the returned promise. */
export interface FrameSink {
  /**
   * Takes one frame: `wire` as received, or, when `header` is given, `header` (46 bytes, relabelled with the
   * stream id this subscriber knows the stream by) followed by the payload of `wire`. A returned promise means
   * "wait before the next write"; a rejection or throw means the sink is dead.
   */
  write(wire: Uint8Array, header?: Uint8Array): void | Promise<void>;
  /** Ends the sink (graceful). Idempotent. */
  close(): void;
}
