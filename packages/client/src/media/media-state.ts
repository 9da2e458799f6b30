// webtransport-flow.md "Media Connection Lifecycle" as a discriminated union.
export type MediaState =
  | { readonly state: 'idle' }
  | { readonly state: 'connecting' }
  | { readonly state: 'authenticating' }
  | { readonly state: 'ready'; readonly sessionId: string; readonly datagrams: boolean }
  | { readonly state: 'closing' }
  | { readonly state: 'closed'; readonly error?: unknown };
