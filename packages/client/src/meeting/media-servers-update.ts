// What a MediaServersUpdate asks of the client (signaling.proto): the participant's complete list of media handlers,
// primary first. The controller's word is still input from the network: a list that is empty, too long, names a
// handler twice or badly, or lists a handler this client must connect to under a bad URL is refused whole. A handler
// listed without a token that this client is not connected to (the controller could not get one from it) is skipped
// alone: the rest of the list still stands.
import type { MediaServerInfo } from '@darktower/protocol';

/** More handlers than any redundancy setting asks for: a list this long is not one we act on. */
export const MAX_MEDIA_SERVERS = 8;

export type MediaServersPlan =
  | {
      readonly ok: true;
      /** Handler ids in the controller's order (primary first). */
      readonly order: readonly string[];
      /** Handlers to connect to (not connected yet), with their connection details. */
      readonly connect: readonly MediaServerInfo[];
      /** Listed handlers this client is not connected to and cannot connect to (no token). */
      readonly skipped: readonly string[];
    }
  | { readonly ok: false; readonly reason: string };

/** `connected`: handler ids this client has a live media connection to. */
export function planMediaServers(
  servers: readonly MediaServerInfo[],
  connected: ReadonlySet<string>,
): MediaServersPlan {
  if (servers.length === 0) return { ok: false, reason: 'empty media server list' };
  if (servers.length > MAX_MEDIA_SERVERS)
    return {
      ok: false,
      reason: `${String(servers.length)} media servers (at most ${String(MAX_MEDIA_SERVERS)})`,
    };
  const seen = new Set<string>();
  const connect: MediaServerInfo[] = [];
  const skipped: string[] = [];
  for (const s of servers) {
    if (s.handlerId === '' || s.handlerId.length > 128) return { ok: false, reason: 'bad handler id' };
    if (seen.has(s.handlerId)) return { ok: false, reason: `handler ${s.handlerId} listed twice` };
    seen.add(s.handlerId);
    if (connected.has(s.handlerId)) continue;
    if (!isMediaUrl(s.mediaHandlerUrl))
      return { ok: false, reason: `bad media handler URL for ${s.handlerId}` };
    if (s.connectionToken.length > 4096) return { ok: false, reason: `oversized token for ${s.handlerId}` };
    if (s.connectionToken === '') skipped.push(s.handlerId);
    else connect.push(s);
  }
  return { ok: true, order: [...seen], connect, skipped };
}

function isMediaUrl(value: string): boolean {
  if (value.length === 0 || value.length > 2048) return false;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' && url.hostname !== '';
  } catch {
    return false;
  }
}
