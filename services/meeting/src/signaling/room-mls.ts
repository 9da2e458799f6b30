// The MLS Delivery Service of one E2EE meeting (issue 9): a DeliveryServiceCore from @darktower/e2ee fed with the
// room's membership changes and the participants' MLS messages, its deliveries sent as unsolicited
// ServerMessages. It relays KeyPackages, Commits and Welcomes and orders commits (one per epoch, first wins), and
// handles opaque bytes only: it never sees group secrets. Payload bytes are never logged.
import type { ClientMessage, ServerMessage } from '@darktower/protocol';
import {
  DeliveryServiceCore,
  applyClientKind,
  dsMessageToServerKind,
  type DeliveryServiceOptions,
  type DsDelivery,
} from '@darktower/e2ee';
import { MeetingError } from '../errors.ts';
import { ParticipantId } from '../ids.ts';
import { serverMessage } from './wire.ts';

/** The MLS kinds of ClientMessage. */
export type MlsClientKind = Extract<
  ClientMessage['kind'],
  { case: 'mlsKeyPackage' | 'mlsCommit' | 'mlsWelcome' | 'mlsProposal' }
>;

export const isMlsClientKind = (kind: ClientMessage['kind']): kind is MlsClientKind =>
  kind.case === 'mlsKeyPackage' ||
  kind.case === 'mlsCommit' ||
  kind.case === 'mlsWelcome' ||
  kind.case === 'mlsProposal';

/** The opaque MLS bytes a ServerMessage carries (to bound what is held for a disconnected member). */
export function mlsPayloadBytes(message: ServerMessage): number {
  const k = message.kind;
  switch (k.case) {
    case 'mlsCommit':
      return k.value.commit.byteLength;
    case 'mlsWelcome':
      return k.value.welcome.byteLength;
    case 'mlsCommitRequest':
      return k.value.add.reduce((n, a) => n + a.keyPackage.byteLength, 0);
    default:
      return 0;
  }
}

export class RoomDeliveryService {
  readonly #core: DeliveryServiceCore;
  readonly #send: (to: ParticipantId, message: ServerMessage) => void;
  /** The state last handed out by `takeChangedState` (to skip writes when nothing changed). */
  #saved: string | undefined;
  /** Whether the core was called since the last `takeChangedState` (most room operations never touch it). */
  #touched = false;

  /**
   * `send` delivers to a participant's current session (dropped when it has none). `state` (from `exportState`,
   * kept in the store) continues a group another controller ran; a malformed state throws TypeError.
   */
  constructor(
    send: (to: ParticipantId, message: ServerMessage) => void,
    options: DeliveryServiceOptions = {},
    state?: string,
  ) {
    this.#core =
      state === undefined
        ? new DeliveryServiceCore(options)
        : DeliveryServiceCore.importState(state, options);
    this.#saved = state;
    this.#send = send;
  }

  /** The DS state (public data only) to persist with the meeting. */
  exportState(): string {
    return this.#core.exportState();
  }

  /** The state when it changed since the last call (or since it was loaded), else undefined. */
  takeChangedState(): string | undefined {
    if (!this.#touched) return undefined;
    this.#touched = false;
    const state = this.#core.exportState();
    if (state === this.#saved) return undefined;
    this.#saved = state;
    return state;
  }

  get epoch(): bigint | undefined {
    return this.#core.epoch;
  }

  get stats(): DeliveryServiceCore['stats'] {
    return this.#core.stats;
  }

  joined(id: ParticipantId): void {
    this.#touched = true;
    this.#deliver(this.#core.participantJoined(id));
  }

  left(id: ParticipantId): void {
    this.#touched = true;
    this.#deliver(this.#core.participantLeft(id));
  }

  /** Timeouts (silent committer, missing Welcome) and the hourly rotation; call about once a second. */
  tick(): void {
    this.#touched = true;
    this.#deliver(this.#core.tick());
  }

  /**
   * An MLS ClientMessage from `from`, answering `requestId`: a refusal of the request itself comes back as its
   * ErrorMessage (carrying `requestId`), otherwise it is acknowledged with RequestAck (none for request_id 0, which
   * asks for no reply). Whatever the DS relays because of it (the accepted commit, also to its sender; welcomes;
   * commit requests) follows unsolicited. Proposals are not relayed (the designated committer commits every
   * change): INVALID_REQUEST.
   */
  handle(from: ParticipantId, kind: MlsClientKind, requestId: number): void {
    this.#touched = true;
    const deliveries = applyClientKind(this.#core, from, kind);
    if (deliveries === undefined) throw MeetingError.invalidRequest(`${kind.case} is not supported`);
    const refusal = deliveries.findIndex((d) => d.to === from && d.message.type === 'error');
    const answer = refusal === -1 ? undefined : deliveries[refusal];
    if (answer === undefined) {
      if (requestId !== 0) this.#send(from, serverMessage({ case: 'ack', value: {} }, requestId));
    } else this.#send(from, serverMessage(dsMessageToServerKind(answer.message), requestId));
    this.#deliver(deliveries.filter((_, i) => i !== refusal));
  }

  #deliver(deliveries: readonly DsDelivery[]): void {
    for (const d of deliveries)
      this.#send(ParticipantId(d.to), serverMessage(dsMessageToServerKind(d.message)));
  }
}
