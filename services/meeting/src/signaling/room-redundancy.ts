// Restoring redundancy (architecture.md "Media Handler Failure": the Meeting Controller assigns an additional
// handler, the client connects in the background, the controller prioritizes restoring redundancy). A participant
// that joined while one handler was up, or lost its standby to a failover, gets another handler as soon as one is
// open; one that lost every handler gets a fresh primary. The handler registers it (a fresh connection token, as at
// join) and the participant hears its complete list in a MediaServersUpdate. Runs inside the room's chain.
import { create } from '@bufbuild/protobuf';
import { MediaServerInfoSchema, type MediaServerInfo } from '@darktower/protocol';
import type { HandlerId, MeetingId, ParticipantId } from '../ids.ts';
import { topUpHandlers, type HandlerAssignment } from '../routing/assign-handlers.ts';
import { isConnected, type Member, type RoomDeps } from './room-types.ts';
import { serverMessage } from './wire.ts';

export interface TopUp {
  readonly member: Member;
  /** Whether its primary changed (it had no live handler left): its streams and layout must follow. */
  readonly primaryChanged: boolean;
}

/**
 * Gives every connected member with fewer than `redundancy` live handlers the handlers it lacks and updates their
 * records in memory (the caller persists them and re-plans). A handler that does not accept the registration is
 * skipped (the next trigger tries again); returns the members whose handlers changed, already told.
 */
export async function topUpMembers(
  members: ReadonlyMap<ParticipantId, Member>,
  meetingId: MeetingId,
  deps: RoomDeps,
): Promise<TopUp[]> {
  const snapshots = deps.handlers.list();
  const working = new Map<ParticipantId, HandlerAssignment>(
    [...members].map(([id, m]) => [id, m.record.handlers]),
  );
  // Choices first, one member after the other (each sees the others' new standbys: the same one is preferred,
  // fewer cascades), then the registrations in parallel.
  const wanted: { member: Member; next: HandlerAssignment }[] = [];
  for (const m of members.values()) {
    if (!isConnected(m)) continue; // a resume picks its handlers afresh
    const next = topUpHandlers(snapshots, working, m.record.participantId, deps.options.assignment);
    if (next === undefined) continue;
    working.set(m.record.participantId, next);
    wanted.push({ member: m, next });
  }
  if (wanted.length === 0) return [];
  const live = new Set(snapshots.filter((h) => h.health !== 'unhealthy').map((h) => h.handlerId));
  const registered = await Promise.all(wanted.map((w) => register(w.member, w.next, live, meetingId, deps)));
  const out: TopUp[] = [];
  for (const [i, { member }] of wanted.entries()) {
    const fresh = registered[i];
    const before = member.record.handlers;
    const added = wanted[i]?.next.filter((h) => !before.includes(h) && fresh?.has(h) === true) ?? [];
    if (fresh === undefined || added.length === 0) continue;
    const keep = wanted[i]?.next.filter((h) => before.includes(h) || fresh.has(h)) ?? [];
    member.record = { ...member.record, handlers: keep };
    // Handlers it left (all dead, replaced by a fresh primary): one that was only thought dead forgets it.
    for (const h of before.filter((id) => !keep.includes(id))) {
      deps.media
        .unregisterParticipant(
          h,
          meetingId,
          member.record.participantId,
          AbortSignal.timeout(deps.options.rpcTimeoutMs),
        )
        .catch((error: unknown) => {
          // Most likely gone for good: expected, so not a warning.
          deps.log.info({ err: error, handlerId: h }, 'UnregisterParticipant on a replaced handler failed');
        });
    }
    member.link?.send(
      serverMessage({
        case: 'mediaServersUpdate',
        value: { mediaServers: keep.map((h) => fresh.get(h) ?? knownServer(deps, h)) },
      }),
    );
    deps.log.info(
      { meetingId, participantId: member.record.participantId, handlers: keep },
      'media handlers topped up',
    );
    out.push({ member, primaryChanged: keep[0] !== before[0] });
  }
  return out;
}

/**
 * Registers the member on the live handlers of `next` (again on the ones it has: RegisterParticipant is idempotent
 * and a fresh token lets the client reconnect to a handler whose connection it lost); the ones that accepted, by id.
 */
async function register(
  member: Member,
  next: HandlerAssignment,
  live: ReadonlySet<HandlerId>,
  meetingId: MeetingId,
  deps: RoomDeps,
): Promise<Map<HandlerId, MediaServerInfo>> {
  const { record } = member;
  const added = next.filter((h) => live.has(h));
  const results = await Promise.allSettled(
    added.map((h) =>
      deps.media.registerParticipant(
        h,
        {
          meetingId,
          participantId: record.participantId,
          streams: record.streams,
          tokenTtlMs: deps.options.mediaTokenTtlMs,
        },
        AbortSignal.timeout(deps.options.rpcTimeoutMs),
      ),
    ),
  );
  const fresh = new Map<HandlerId, MediaServerInfo>();
  results.forEach((r, i) => {
    const handlerId = added[i];
    if (handlerId === undefined) return;
    if (r.status === 'rejected') {
      // Not marked unhealthy: a handler that just registered may be slow to answer once; its health check decides.
      deps.log.warn(
        { err: r.reason as unknown, handlerId, participantId: record.participantId },
        'RegisterParticipant failed while restoring redundancy; retried at the next trigger',
      );
      return;
    }
    if (!record.handlers.includes(handlerId)) deps.handlers.reserve(handlerId);
    fresh.set(
      handlerId,
      create(MediaServerInfoSchema, {
        mediaHandlerUrl: r.value.mediaHandlerUrl,
        connectionToken: r.value.connectionToken,
        handlerId,
        tokenExpiresAt: r.value.tokenExpiresAt,
        serverCertificateHashes: r.value.serverCertificateHashes,
      }),
    );
  });
  return fresh;
}

/**
 * Tells a member its current handlers, primary first, without tokens (it is connected to them already): after a
 * failover moved it to its standby and no other handler had room for a new one. A member that publishes learns its
 * new handler from its streams' announcements; one that does not heard nothing, kept its dead primary (QUIC
 * notices a dead peer only at its idle timeout) and would have published its first stream there. Nothing for a
 * member left with no handler (a fresh primary comes with a top-up).
 */
export function tellHandlers(member: Member, deps: RoomDeps): void {
  if (member.record.handlers.length === 0) return;
  member.link?.send(
    serverMessage({
      case: 'mediaServersUpdate',
      value: { mediaServers: member.record.handlers.map((h) => knownServer(deps, h)) },
    }),
  );
}

/** One of its handlers that did not answer now: listed without a token (the client keeps any connection there). */
function knownServer(deps: RoomDeps, handlerId: HandlerId): MediaServerInfo {
  const h = deps.handlers.get(handlerId);
  return create(MediaServerInfoSchema, {
    handlerId,
    mediaHandlerUrl: h?.mediaUrl ?? '',
    serverCertificateHashes: [...(h?.serverCertificateHashes ?? [])],
  });
}
