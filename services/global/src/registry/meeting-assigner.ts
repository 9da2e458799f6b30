import { GlobalError } from '../domain/errors.ts';
import type { ControllerId } from '../domain/ids.ts';
import type { Meeting } from '../domain/meeting.ts';
import type { MeetingControllerPeer } from '../rpc/meeting-controller-client.ts';
import type { MeetingRepository } from '../store/meeting-repository.ts';
import { chooseController } from './assignment.ts';
import { canKeepMeetings, type ControllerRecord } from './controller.ts';
import type { ControllerRegistry } from './controller-registry.ts';

export interface MeetingAssignerOptions {
  readonly registry: ControllerRegistry;
  readonly meetings: MeetingRepository;
  readonly peer: MeetingControllerPeer;
  /** This Global Controller's region: meetings go to controllers here first. */
  readonly region: string;
  readonly loadFactor?: number;
  readonly onWarning?: (message: string, context: Record<string, unknown>) => void;
}

export interface Placement {
  readonly meeting: Meeting;
  readonly controller: ControllerRecord;
}

/**
 * Puts meetings on Meeting Controllers and keeps them there: sticky while the controller lives (the assignment is
 * in PostgreSQL), moved by compare-and-set when it dies so concurrent Global Controller instances agree.
 */
export class MeetingAssigner {
  readonly #registry: ControllerRegistry;
  readonly #meetings: MeetingRepository;
  readonly #peer: MeetingControllerPeer;
  readonly #region: string;
  readonly #loadFactor: number;
  readonly #warn: (message: string, context: Record<string, unknown>) => void;

  constructor(options: MeetingAssignerOptions) {
    this.#registry = options.registry;
    this.#meetings = options.meetings;
    this.#peer = options.peer;
    this.#region = options.region;
    this.#loadFactor = options.loadFactor ?? 1.25;
    this.#warn = options.onWarning ?? (() => undefined);
  }

  /**
   * Where the meeting runs now: its controller when that one is alive, otherwise a new one (told through
   * AssignMeeting). Rejects with CAPACITY_EXCEEDED when no controller can take it.
   */
  async place(meeting: Meeting, signal?: AbortSignal): Promise<Placement> {
    if (meeting.controllerId !== null) {
      const view = await this.#registry.get(meeting.controllerId);
      if (view !== undefined && canKeepMeetings(view.status)) return { meeting, controller: view.record };
    }
    return this.#move(meeting, signal);
  }

  async #move(meeting: Meeting, signal?: AbortSignal): Promise<Placement> {
    const candidates = await this.#registry.candidates();
    const exclude = new Set<string>();
    let current: ControllerId | null = meeting.controllerId;
    if (current !== null) exclude.add(current);
    for (let attempt = 0; attempt <= candidates.length; attempt++) {
      signal?.throwIfAborted();
      const decision = chooseController(meeting.id, candidates, {
        region: this.#region,
        loadFactor: this.#loadFactor,
        exclude,
      });
      if (decision.kind === 'no-capacity') break;
      const chosen = decision.controllerId;
      const claimed = await this.#meetings.reassign(meeting.id, current, {
        controllerId: chosen,
        region: decision.region,
      });
      if (!claimed) return this.#adoptWinner(meeting, signal);
      current = chosen;
      const view = await this.#registry.get(chosen);
      if (view === undefined) {
        exclude.add(chosen);
        continue;
      }
      try {
        const answer = await this.#peer.assignMeeting(view.record.rpcEndpoint, meeting, signal);
        if (answer.accepted) {
          await this.#registry.noteAssigned(chosen);
          return {
            meeting: { ...meeting, controllerId: chosen, controllerRegion: decision.region },
            controller: answer.endpoint === '' ? view.record : { ...view.record, clientUrl: answer.endpoint },
          };
        }
        this.#warn('meeting controller refused a meeting', { controller_id: chosen, meeting_id: meeting.id });
      } catch (error) {
        if (signal?.aborted === true) throw error;
        this.#warn('meeting controller unreachable; trying another', {
          controller_id: chosen,
          meeting_id: meeting.id,
          err: error,
        });
      }
      exclude.add(chosen);
    }
    // Nobody took it: leave it unassigned so the next read (or the sweep) tries again.
    if (current !== null) await this.#meetings.reassign(meeting.id, current, null);
    throw GlobalError.capacityExceeded('No meeting controller is available', { region: this.#region });
  }

  /** Another instance moved the meeting first: use its choice if that controller is alive. */
  async #adoptWinner(meeting: Meeting, signal?: AbortSignal): Promise<Placement> {
    const fresh = await this.#meetings.findById(meeting.tenant, meeting.id);
    if (fresh === undefined) throw GlobalError.meetingNotFound(meeting.id);
    if (fresh.endedAt !== null) throw GlobalError.conflict('Meeting has ended', { reason: 'meeting_ended' });
    if (fresh.controllerId !== null) {
      const view = await this.#registry.get(fresh.controllerId);
      if (view !== undefined && canKeepMeetings(view.status))
        return { meeting: fresh, controller: view.record };
    }
    signal?.throwIfAborted();
    return this.#move(fresh, signal);
  }

  /** Tells the meeting's controller to end it; a dead or missing controller has nothing to end. */
  async end(
    meeting: Meeting,
    signal?: AbortSignal,
  ): Promise<{ participantsDisconnected: number } | undefined> {
    if (meeting.controllerId === null) return undefined;
    const view = await this.#registry.get(meeting.controllerId);
    if (view === undefined || view.status.state === 'expired') return undefined;
    try {
      return await this.#peer.endMeeting(view.record.rpcEndpoint, meeting.id, 'ended by host', signal);
    } catch (error) {
      this.#warn('could not tell the meeting controller to end a meeting', {
        controller_id: meeting.controllerId,
        meeting_id: meeting.id,
        err: error,
      });
      return undefined;
    }
  }

  /**
   * Moves active meetings off controllers that died (the periodic sweep). Bounded per run; returns how many moved.
   */
  async sweep(limit = 100, signal?: AbortSignal): Promise<number> {
    const views = await this.#registry.list();
    const keep = views.filter((v) => canKeepMeetings(v.status)).map((v) => v.record.id);
    const orphans = await this.#meetings.activeOrphans(keep, limit);
    let moved = 0;
    for (const meeting of orphans) {
      signal?.throwIfAborted();
      try {
        await this.#move(meeting, signal);
        moved++;
      } catch (error) {
        if (signal?.aborted === true) throw error;
        // No capacity now: the next sweep tries again.
        break;
      }
    }
    return moved;
  }
}
