// webtransport-flow.md "Signaling Connection Lifecycle" as a discriminated union.
export type SignalingState =
  | { readonly state: 'disconnected'; readonly error?: unknown }
  | { readonly state: 'connecting' }
  | { readonly state: 'authenticating' }
  | { readonly state: 'connected'; readonly participantId: string }
  | { readonly state: 'disconnecting' };
