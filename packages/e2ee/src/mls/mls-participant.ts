// The client side of the Delivery Service protocol: turns what the DS sends (DsMessage, i.e. the MLS server
// messages of signaling.proto) into MlsMember operations, keeps the SFrame keyring on the group's current epoch,
// and returns what to send back (the MLS client messages). Transport-neutral: the client SDK maps both ways.
import { isMlsError } from './mls-error.ts';
import type { MlsMember } from './mls-member.ts';
import type { EpochKeySink, MlsSframeKeyring } from './mls-sframe-keyring.ts';
import type { DsMessage, DsParticipantId } from './delivery-service-messages.ts';
import { decodeKeyPackage } from './mls-codec.ts';

/** What the client sends to the DS: MlsKeyPackageUpload, MlsCommit, MlsWelcome. */
export type ParticipantOutbound =
  | { type: 'keyPackage'; keyPackage: Uint8Array }
  | { type: 'commit'; epoch: bigint; commit: Uint8Array }
  | { type: 'welcome'; epoch: bigint; welcome: Uint8Array; recipientParticipantIds: DsParticipantId[] };

export interface ParticipantCounters {
  commitsApplied: number;
  commitsRefused: number;
  rebases: number;
}

const MAX_KEY_PACKAGES_PER_REQUEST = 4;

/**
 * `K`: where the epochs' SFrame keys go: an MlsSframeKeyring in this thread, or a proxy to one in a Worker.
 */
export class MlsParticipant<K extends EpochKeySink = MlsSframeKeyring> {
  readonly member: MlsMember;
  readonly keyring: K;
  readonly counters: ParticipantCounters = { commitsApplied: 0, commitsRefused: 0, rebases: 0 };
  #queue: Promise<unknown> = Promise.resolve();

  constructor(member: MlsMember, keyring: K) {
    this.member = member;
    this.keyring = keyring;
  }

  /**
   * Handles one DS message. Garbage or hostile MLS bytes are refused with a typed MlsError (the caller logs and
   * drops them; the group state is unchanged).
   */
  handle(message: DsMessage, options: { signal?: AbortSignal } = {}): Promise<ParticipantOutbound[]> {
    // One message at a time, in arrival order: a commit, its epoch snapshot and the keyring update belong together.
    const run = this.#queue.then(() => this.#handle(message, options));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #handle(message: DsMessage, options: { signal?: AbortSignal }): Promise<ParticipantOutbound[]> {
    options.signal?.throwIfAborted();
    switch (message.type) {
      case 'keyPackageRequest': {
        const count = Math.max(1, Math.min(MAX_KEY_PACKAGES_PER_REQUEST, Math.trunc(message.count)));
        const out: ParticipantOutbound[] = [];
        for (let i = 0; i < count; i++)
          out.push({ type: 'keyPackage', keyPackage: await this.member.createKeyPackage() });
        return out;
      }
      case 'commitRequest':
        return this.#commitRequest(message, options.signal);
      case 'commit': {
        let outcome;
        try {
          outcome = await this.member.processCommit(message.commit, options);
        } catch (error) {
          // A duplicate of a commit we already applied is harmless; anything else is refused and counted.
          if (
            isMlsError(error, 'WRONG_EPOCH') &&
            this.member.state === 'member' &&
            message.epoch < this.member.epoch
          )
            return [];
          this.counters.commitsRefused++;
          throw error;
        }
        this.counters.commitsApplied++;
        if (outcome.kind === 'applied' && outcome.rebase) this.counters.rebases++;
        if (outcome.kind === 'removed') this.keyring.retire();
        else await this.keyring.setEpoch(await this.member.epochSnapshot());
        return [];
      }
      case 'welcome':
        await this.member.joinFromWelcome(message.welcome, options);
        await this.keyring.setEpoch(await this.member.epochSnapshot());
        return [];
      case 'error':
        // Our commit lost the epoch: drop it; the winner arrives as a 'commit' and the DS asks again.
        if (message.code === 'CONFLICT') this.member.discardPendingCommit();
        return [];
      default: {
        const never: never = message;
        return never;
      }
    }
  }

  /** Closes the member and the keyring (all key material). Idempotent. */
  async close(): Promise<void> {
    await Promise.all([this.member.close(), this.keyring.close()]);
  }

  get closed(): Promise<void> {
    return Promise.all([this.member.closed, this.keyring.closed]).then(() => undefined);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #commitRequest(
    request: Extract<DsMessage, { type: 'commitRequest' }>,
    signal: AbortSignal | undefined,
  ): Promise<ParticipantOutbound[]> {
    if (this.member.state === 'idle') {
      if (!request.createGroup) return []; // not for us yet (we are waiting for a Welcome)
      await this.member.createGroup();
      await this.keyring.setEpoch(await this.member.epochSnapshot());
      if (request.add.length === 0 && request.removeParticipantIds.length === 0) return [];
    }
    if (this.member.state !== 'member' || this.member.epoch !== request.epoch || this.member.hasPendingCommit)
      return []; // stale request: the DS re-issues it for the current epoch
    // A joiner's undecodable key package must not block everyone else's join: leave it out.
    let adds = request.add.filter((a) => {
      try {
        decodeKeyPackage(a.keyPackage);
        return true;
      } catch {
        return false;
      }
    });
    const removeLeaves = [
      ...new Set(
        request.removeParticipantIds
          .map((pid) => this.member.leafIndexOf(pid))
          .filter((leaf): leaf is number => leaf !== undefined && leaf !== this.member.ownLeafIndex),
      ),
    ];
    let created;
    try {
      created = await this.member.createCommit({
        add: adds.map((a) => a.keyPackage),
        removeLeaves,
        ...(signal === undefined ? {} : { signal }),
      });
    } catch (error) {
      if (!isMlsError(error, 'REJECTED_MESSAGE') || adds.length === 0) throw error;
      // One bad key package (bad signature, refused identity) must not block the others: find the good ones.
      const good: typeof adds = [];
      for (const a of adds) {
        try {
          await this.member.createCommit({ add: [a.keyPackage] });
          good.push(a);
        } catch {
          // refused: left out; the DS re-asks that joiner when its Welcome does not come
        } finally {
          this.member.discardPendingCommit();
        }
      }
      adds = good;
      created = await this.member.createCommit({
        add: adds.map((a) => a.keyPackage),
        removeLeaves,
        ...(signal === undefined ? {} : { signal }),
      });
    }
    const out: ParticipantOutbound[] = [{ type: 'commit', epoch: created.epoch, commit: created.commit }];
    if (created.welcome !== undefined)
      out.push({
        type: 'welcome',
        epoch: created.epoch,
        welcome: created.welcome,
        recipientParticipantIds: adds.map((a) => a.participantId),
      });
    return out;
  }
}
