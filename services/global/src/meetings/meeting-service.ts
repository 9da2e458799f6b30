import { GlobalError } from '../domain/errors.ts';
import { newMeetingId, parseMeetingId, type MeetingId } from '../domain/ids.ts';
import { claimMeetingCode, parseMeetingCode } from '../domain/meeting-code.ts';
import type { Meeting, MeetingSettings } from '../domain/meeting.ts';
import type { ControllerRecord } from '../registry/controller.ts';
import type { MeetingAssigner } from '../registry/meeting-assigner.ts';
import type { MeetingControllerPeer } from '../rpc/meeting-controller-client.ts';
import type { ListCursor } from '../store/list-cursor.ts';
import type { MeetingPage, MeetingRepository } from '../store/meeting-repository.ts';
import type { Tenant } from '../tenants/tenant.ts';
import { guestIdentity, type IssuedJoinToken, type JoinTokenIssuer } from '../tokens/join-token-issuer.ts';
import type { Caller } from './caller.ts';
import { ParticipantCountCache } from './participant-count-cache.ts';

export interface CreateMeetingInput {
  readonly displayName: string;
  readonly maxParticipants?: number;
  readonly settings?: Partial<MeetingSettings>;
}

export interface MeetingServiceOptions {
  readonly meetings: MeetingRepository;
  readonly assigner: MeetingAssigner;
  readonly issuer: JoinTokenIssuer;
  readonly peer: MeetingControllerPeer;
  readonly now?: () => number;
  readonly defaultMaxParticipants?: number;
  readonly participantCountTtlMs?: number;
}

export interface CreatedMeeting {
  readonly meeting: Meeting;
  readonly controller: ControllerRecord;
  readonly joinToken: IssuedJoinToken;
}

export interface MeetingInfo {
  readonly meeting: Meeting;
  /** Undefined once the meeting has ended. */
  readonly controller: ControllerRecord | undefined;
  readonly participantCount: number;
}

export interface JoinGrant {
  readonly meeting: Meeting;
  readonly controller: ControllerRecord;
  readonly joinToken: IssuedJoinToken;
}

export const DEFAULT_SETTINGS: MeetingSettings = {
  enableE2eEncryption: true,
  requireAuth: true,
  recordingEnabled: false,
};

/** The meeting use cases behind the REST routes; every call is scoped to the request's tenant. */
export class MeetingService {
  readonly #meetings: MeetingRepository;
  readonly #assigner: MeetingAssigner;
  readonly #issuer: JoinTokenIssuer;
  readonly #peer: MeetingControllerPeer;
  readonly #now: () => number;
  readonly #defaultMax: number;
  readonly #counts: ParticipantCountCache;

  constructor(options: MeetingServiceOptions) {
    this.#meetings = options.meetings;
    this.#assigner = options.assigner;
    this.#issuer = options.issuer;
    this.#peer = options.peer;
    this.#now = options.now ?? Date.now;
    this.#defaultMax = options.defaultMaxParticipants ?? 100;
    this.#counts = new ParticipantCountCache({
      ttlMs: options.participantCountTtlMs ?? 2000,
      now: this.#now,
      fetch: (endpoint, meetingId, signal) => this.#peer.participantCount(endpoint, meetingId, signal),
    });
  }

  async create(
    tenant: Tenant,
    caller: Caller,
    input: CreateMeetingInput,
    signal?: AbortSignal,
  ): Promise<CreatedMeeting> {
    const user = requireUser(caller);
    const displayName = input.displayName.trim();
    if (displayName.length === 0) throw GlobalError.invalidRequest('display_name must not be blank');
    const maxParticipants =
      input.maxParticipants ?? Math.min(this.#defaultMax, tenant.maxParticipantsPerMeeting);
    if (maxParticipants > tenant.maxParticipantsPerMeeting) {
      throw GlobalError.invalidRequest(`max_participants is limited to ${tenant.maxParticipantsPerMeeting}`, {
        limit: tenant.maxParticipantsPerMeeting,
      });
    }
    const settings: MeetingSettings = { ...DEFAULT_SETTINGS, ...input.settings };
    if (!settings.requireAuth && !tenant.allowGuests) {
      throw GlobalError.forbidden('This tenant does not allow guests', { reason: 'guests_not_allowed' });
    }
    const active = await this.#meetings.countActive(tenant.slug);
    if (active >= tenant.maxActiveMeetings) {
      throw GlobalError.conflict('The tenant has reached its limit of active meetings', {
        reason: 'tenant_meeting_limit',
        limit: tenant.maxActiveMeetings,
      });
    }
    const id = newMeetingId();
    let meeting: Meeting | undefined;
    await claimMeetingCode(async (code) => {
      const candidate: Meeting = {
        id,
        code,
        tenant: tenant.slug,
        createdBy: user.subject,
        displayName,
        maxParticipants,
        settings,
        controllerId: null,
        controllerRegion: null,
        createdAt: new Date(this.#now()),
        endedAt: null,
      };
      const inserted = await this.#meetings.insert(candidate);
      if (inserted) meeting = candidate;
      return inserted;
    });
    if (meeting === undefined) throw GlobalError.internal('meeting was not stored');
    let placement;
    try {
      placement = await this.#assigner.place(meeting, signal);
    } catch (error) {
      // No controller: do not leave a meeting nobody can join.
      await this.#meetings.delete(tenant.slug, id);
      throw error;
    }
    const joinToken = await this.#issuer.issue({
      meetingId: id,
      participantIdentity: user.subject,
      displayName: user.username ?? user.subject,
      role: 'host',
      tenant: tenant.slug,
    });
    return { meeting: placement.meeting, controller: placement.controller, joinToken };
  }

  async get(tenant: Tenant, idOrCode: string, signal?: AbortSignal): Promise<MeetingInfo> {
    const meeting = await this.#find(tenant, idOrCode);
    if (meeting.endedAt !== null) return { meeting, controller: undefined, participantCount: 0 };
    const placement = await this.#assigner.place(meeting, signal);
    const participantCount = await this.#counts.get(placement.controller.rpcEndpoint, meeting.id, signal);
    return { meeting: placement.meeting, controller: placement.controller, participantCount };
  }

  /** Users list their own meetings; `user.admin.gc` may list anyone's. */
  async list(
    tenant: Tenant,
    caller: Caller,
    query: { userId?: string; active?: boolean; after?: ListCursor; limit: number },
  ): Promise<MeetingPage> {
    const user = requireUser(caller);
    const owner = query.userId ?? user.subject;
    if (owner !== user.subject && !user.isAdmin) {
      throw GlobalError.forbidden("Listing another user's meetings requires user.admin.gc");
    }
    return this.#meetings.list({
      tenant: tenant.slug,
      createdBy: owner,
      ...(query.active === undefined ? {} : { active: query.active }),
      ...(query.after === undefined ? {} : { after: query.after }),
      limit: query.limit,
    });
  }

  /** Ends the meeting (its creator, or an admin): stored as ended, and its controller tells participants. */
  async end(tenant: Tenant, caller: Caller, idOrCode: string, signal?: AbortSignal): Promise<Meeting> {
    const user = requireUser(caller);
    const meeting = await this.#find(tenant, idOrCode);
    if (meeting.createdBy !== user.subject && !user.isAdmin) {
      throw GlobalError.forbidden('Only the meeting host can end it');
    }
    const ended = await this.#meetings.end(tenant.slug, meeting.id, new Date(this.#now()));
    if (ended === undefined)
      throw GlobalError.conflict('Meeting has already ended', { reason: 'meeting_ended' });
    await this.#assigner.end(ended, signal);
    this.#counts.forget(meeting.id);
    return ended;
  }

  /**
   * A join token for one participant: the signed-in user, or a guest (display name only) when the meeting does not
   * require authentication.
   */
  async join(
    tenant: Tenant,
    caller: Caller,
    idOrCode: string,
    displayName: string | undefined,
    signal?: AbortSignal,
  ): Promise<JoinGrant> {
    const meeting = await this.#find(tenant, idOrCode);
    if (meeting.endedAt !== null)
      throw GlobalError.conflict('Meeting has ended', { reason: 'meeting_ended' });
    let identity: string;
    let name: string;
    let role: 'host' | 'participant' = 'participant';
    if (caller.kind === 'user') {
      identity = caller.subject;
      const given = displayName?.trim() ?? '';
      name = given !== '' ? given : (caller.username ?? caller.subject);
      if (caller.subject === meeting.createdBy) role = 'host';
    } else {
      if (meeting.settings.requireAuth || !tenant.allowGuests) {
        throw GlobalError.unauthorized('This meeting requires signing in');
      }
      const trimmed = displayName?.trim() ?? '';
      if (trimmed.length === 0) throw GlobalError.invalidRequest('display_name is required for guests');
      identity = guestIdentity();
      name = trimmed;
    }
    const placement = await this.#assigner.place(meeting, signal);
    const count = await this.#counts.get(placement.controller.rpcEndpoint, meeting.id, signal, {
      fresh: true,
    });
    if (count >= meeting.maxParticipants) {
      throw GlobalError.conflict('Meeting is full', {
        reason: 'meeting_full',
        max_participants: meeting.maxParticipants,
      });
    }
    const joinToken = await this.#issuer.issue({
      meetingId: meeting.id,
      participantIdentity: identity,
      displayName: name,
      role,
      tenant: tenant.slug,
    });
    return { meeting: placement.meeting, controller: placement.controller, joinToken };
  }

  async #find(tenant: Tenant, idOrCode: string): Promise<Meeting> {
    const id: MeetingId | undefined = parseMeetingId(idOrCode);
    if (id !== undefined) {
      const meeting = await this.#meetings.findById(tenant.slug, id);
      if (meeting === undefined) throw GlobalError.meetingNotFound(id);
      return meeting;
    }
    const code = parseMeetingCode(idOrCode);
    if (code === undefined) throw GlobalError.invalidRequest('meeting id must be a UUID or a meeting code');
    const meeting = await this.#meetings.findByCode(tenant.slug, code);
    if (meeting === undefined) throw GlobalError.meetingNotFound(code);
    return meeting;
  }
}

function requireUser(caller: Caller): Extract<Caller, { kind: 'user' }> {
  if (caller.kind !== 'user') throw GlobalError.unauthorized();
  return caller;
}
