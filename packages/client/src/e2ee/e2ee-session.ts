// One participant's end-to-end encryption (issue 9): its MLS member, driven by the Meeting Controller's Delivery
// Service messages, and the SFrame keyring that follows the group's epochs. As a FrameTransform it encrypts every
// outgoing frame after encoding and decrypts every incoming one before decoding; frames that do not authenticate
// (tampered, replayed, unknown KID, malformed, from a KID that is not the stream owner's) are dropped, counted and
// reported as `frameDropped`, never handed on. Transport-neutral: the caller feeds server messages in through
// `handle` and carries what the session sends through an E2eePort.
import type { ClientMessage, ServerMessage } from '@darktower/protocol';
import {
  MlsMember,
  MlsParticipant,
  MlsSframeKeyring,
  isMlsError,
  participantOutboundToClientKind,
  serverKindToDsMessage,
  type ParticipantOutbound,
} from '@darktower/e2ee';
import { ClientError, isClientError } from '../core/client-error.ts';
import { Emitter } from '../core/emitter.ts';
import type { FrameMeta, FrameTransform } from '../media/frame-transform.ts';
import { dropReasonOf, E2EE_DROP_REASONS, type E2eeDropReason, type E2eeKeyring } from './e2ee-keyring.ts';

/** How the session talks to the Delivery Service (the signaling stream of the current link). */
export interface E2eePort {
  /** A message that gets no reply (request_id 0). */
  send(kind: ClientMessage['kind']): Promise<void>;
  /** A request; rejects with a ClientError when the controller answers with an ErrorMessage. */
  request(kind: ClientMessage['kind']): Promise<unknown>;
}

export type E2eeState =
  /** Waiting to be in the group (KeyPackage sent, Welcome not yet here): nothing is sent, nothing decrypts. */
  | { readonly state: 'joining' }
  | {
      readonly state: 'active';
      readonly epoch: bigint;
      /** Six groups of five digits from the epoch authenticator: the same for every member of this epoch. */
      readonly verificationCode: string;
      /** Participant ids in the MLS group (what the MLS tree says, for comparison with the roster). */
      readonly members: readonly string[];
    }
  /** Removed from the group (or left): keys run out after the grace period; nothing more is sent. */
  | { readonly state: 'removed' }
  | { readonly state: 'closed' };

export interface E2eeStats {
  framesEncrypted: number;
  framesDecrypted: number;
  /** Outgoing frames not sent because we were not (yet) in the group. */
  framesNotSent: number;
  dropped: Record<E2eeDropReason, number>;
  commitsApplied: number;
  /** MLS messages refused (hostile or out of order); the group state is unchanged by them. */
  mlsRefused: number;
}

export interface E2eeDroppedFrame {
  readonly reason: E2eeDropReason;
  readonly streamId: string;
  readonly participantId: string | undefined;
}

export interface E2eeSessionEvents {
  stateChanged: [E2eeState];
  frameDropped: [E2eeDroppedFrame];
  /** An MLS message was refused or a send failed (the session carries on). */
  error: [unknown];
}

export interface E2eeSessionOptions {
  /** Our participant id: the identity in our MLS credential. */
  readonly participantId: string;
  /** Whether an identity may be in the group (default: any); the SDK passes a check against the meeting roster. */
  readonly acceptIdentity?: (identity: string) => boolean | Promise<boolean>;
  /**
   * Where SFrame runs (default: an MlsSframeKeyring on this thread). Called for the first MLS member and again for
   * every fresh one (the DS re-adds us): a new member never inherits the old one's keys.
   */
  readonly keyring?: () => E2eeKeyring;
  /** How long keys of a superseded epoch still decrypt (default 10 s); used for the default keyring. */
  readonly graceMs?: number;
}

const MLS_KINDS = new Set(['mlsKeyPackageRequest', 'mlsCommitRequest', 'mlsCommit', 'mlsWelcome']);

export class E2eeSession implements FrameTransform, AsyncDisposable {
  readonly events = new Emitter<E2eeSessionEvents>();
  readonly stats: E2eeStats = {
    framesEncrypted: 0,
    framesDecrypted: 0,
    framesNotSent: 0,
    dropped: Object.fromEntries(E2EE_DROP_REASONS.map((r) => [r, 0])) as Record<E2eeDropReason, number>,
    commitsApplied: 0,
    mlsRefused: 0,
  };
  /** Replaced by a fresh member (new keys, new KeyPackage) when the DS adds us again. */
  #mls: MlsParticipant<E2eeKeyring>;
  readonly #options: E2eeSessionOptions;
  #port: E2eePort | undefined;
  #state: E2eeState = { state: 'joining' };
  #queue: Promise<void> = Promise.resolve();
  /** Leaf index of each member identity in the current epoch (leaf indices of a member never change). */
  #leaves = new Map<string, number>();
  #closing: Promise<void> | undefined;

  private constructor(mls: MlsParticipant<E2eeKeyring>, options: E2eeSessionOptions) {
    this.#mls = mls;
    this.#options = options;
  }

  static async create(options: E2eeSessionOptions): Promise<E2eeSession> {
    return new E2eeSession(await E2eeSession.#newParticipant(options), options);
  }

  static async #newParticipant(options: E2eeSessionOptions): Promise<MlsParticipant<E2eeKeyring>> {
    const member = await MlsMember.create({
      identity: options.participantId,
      ...(options.acceptIdentity === undefined ? {} : { acceptIdentity: options.acceptIdentity }),
    });
    const keyring =
      options.keyring?.() ??
      new MlsSframeKeyring(options.graceMs === undefined ? {} : { graceMs: options.graceMs });
    return new MlsParticipant(member, keyring);
  }

  /** Whether a server message kind is for the session. */
  static isMlsKind(kind: ServerMessage['kind']): boolean {
    return kind.case !== undefined && MLS_KINDS.has(kind.case);
  }

  get state(): E2eeState {
    return this.#state;
  }

  get keyring(): E2eeKeyring {
    return this.#mls.keyring;
  }

  /** The current link's signaling; replaced after a resume. */
  setPort(port: E2eePort | undefined): void {
    this.#port = port;
  }

  /** Feeds one MLS server message in (in arrival order). Refused messages are counted and emitted as `error`. */
  handle(kind: ServerMessage['kind']): Promise<void> {
    const run = this.#queue.then(() => this.#process(kind));
    this.#queue = run.catch((error: unknown) => {
      this.stats.mlsRefused++;
      this.events.emit('error', error);
    });
    return this.#queue;
  }

  // ---- FrameTransform -------------------------------------------------------------------------------------

  /** Encrypts a frame after encoding; undefined (the frame is not sent) while we are not in the group. */
  async encrypt(payload: Uint8Array): Promise<Uint8Array | undefined> {
    if (this.#state.state !== 'active') {
      this.stats.framesNotSent++;
      return undefined;
    }
    try {
      const ciphertext = await this.#mls.keyring.encrypt(payload);
      this.stats.framesEncrypted++;
      return ciphertext;
    } catch (error) {
      if (!isMlsError(error, 'NOT_IN_GROUP') && !isMlsError(error, 'CLOSED')) throw error;
      this.stats.framesNotSent++;
      return undefined;
    }
  }

  /** Decrypts a frame before decoding; undefined (dropped and counted) when it does not authenticate. */
  async decrypt(payload: Uint8Array, meta: FrameMeta): Promise<Uint8Array | undefined> {
    let reason: E2eeDropReason;
    try {
      const frame = await this.#mls.keyring.decrypt(payload);
      const expected = meta.participantId === undefined ? undefined : this.#leaves.get(meta.participantId);
      if (expected === undefined || expected === frame.senderLeafIndex) {
        this.stats.framesDecrypted++;
        return frame.plaintext;
      }
      // Another member's KID on this participant's stream: the forwarder swapped streams (or a member forges).
      reason = 'sender-mismatch';
    } catch (error) {
      reason = dropReasonOf(error);
    }
    this.stats.dropped[reason]++;
    this.events.emit('frameDropped', {
      reason,
      streamId: meta.streamId,
      participantId: meta.participantId,
    });
    return undefined;
  }

  // ---- lifetime -------------------------------------------------------------------------------------------

  /** Deletes every key and the MLS state. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#port = undefined;
      await this.#queue;
      await this.#mls.close();
      this.#setState({ state: 'closed' });
      this.events.removeAll();
    })();
    return this.#closing;
  }

  get closed(): Promise<void> {
    return this.#mls.closed;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #process(kind: ServerMessage['kind']): Promise<void> {
    if (this.#closing !== undefined) return;
    // The DS asks only a joiner for a KeyPackage: asked while in (or removed from) the group, we are being added
    // afresh (it held too many messages for us, or our Welcome timed out and it removes our old leaf).
    if (kind.case === 'mlsKeyPackageRequest' && this.#mls.member.state !== 'idle') await this.#renew();
    const member = this.#mls.member;
    const ds = serverKindToDsMessage(kind, { hasGroup: member.state !== 'idle' });
    if (ds === undefined) return;
    if (ds.type === 'welcome' && member.state === 'member') return; // a duplicate; we are in already
    const epochBefore = member.state === 'member' ? member.epoch : undefined;
    let out: ParticipantOutbound[];
    try {
      out = await this.#mls.handle(ds);
    } finally {
      await this.#afterChange(epochBefore);
    }
    for (const o of out) await this.#send(o);
  }

  /**
   * A fresh MLS member under the same identity: the old member and keyring (every epoch's keys) are closed, nothing
   * is sent until the new member is in the group, and incoming frames wait for the new epoch's keys.
   */
  async #renew(): Promise<void> {
    const old = this.#mls;
    this.#mls = await E2eeSession.#newParticipant(this.#options);
    this.#leaves = new Map();
    this.#setState({ state: 'joining' });
    await old.close();
  }

  async #afterChange(epochBefore: bigint | undefined): Promise<void> {
    const member = this.#mls.member;
    if (member.state === 'removed' && this.#state.state !== 'removed') {
      this.#setState({ state: 'removed' });
      return;
    }
    if (member.state !== 'member') return;
    const epoch = member.epoch;
    if (epoch === epochBefore && this.#state.state === 'active') return;
    const members = member.members();
    this.#leaves = new Map(members.map((m) => [m.identity, m.leafIndex]));
    this.stats.commitsApplied = this.#mls.counters.commitsApplied;
    this.#setState({
      state: 'active',
      epoch,
      verificationCode: await member.verificationCode(),
      members: members.map((m) => m.identity),
    });
  }

  async #send(out: ParticipantOutbound): Promise<void> {
    const port = this.#port;
    if (port === undefined) throw ClientError.closed('signaling (E2EE)');
    const kind = participantOutboundToClientKind(out);
    if (out.type !== 'commit') {
      await port.send(kind);
      return;
    }
    // The commit's answer tells us whether it won its epoch; a Welcome that follows must not wait for it.
    void port.request(kind).catch((error: unknown) => {
      if (isClientError(error, 'CONFLICT')) {
        // Our commit lost the epoch: drop it; the winner arrives as an MlsCommit and the DS asks again.
        const run = this.#queue.then(async () => {
          await this.#mls.handle({
            type: 'error',
            code: 'CONFLICT',
            message: error.message,
            currentEpoch: undefined,
          });
        });
        this.#queue = run.catch((e: unknown) => {
          this.events.emit('error', e);
        });
        return;
      }
      if (!isClientError(error, 'CLOSED')) this.events.emit('error', error);
    });
  }

  #setState(state: E2eeState): void {
    this.#state = state;
    this.events.emit('stateChanged', state);
  }
}
