/** Application close codes of a signaling session (WebTransport CLOSE_WEBTRANSPORT_SESSION). */
export const SignalingCloseCode = {
  normal: 0,
  /** Undecodable or oversized frames, or a message before JoinRequest. */
  protocolError: 1,
  unauthorized: 2,
  kicked: 3,
  meetingEnded: 4,
  /** No JoinRequest in time, or missed heartbeats. */
  timeout: 5,
  /** The client did not read its messages; its queue overflowed. */
  slowConsumer: 6,
  /** The same participant resumed on another session. */
  replaced: 7,
  shuttingDown: 8,
} as const;
export type SignalingCloseCode = (typeof SignalingCloseCode)[keyof typeof SignalingCloseCode];
