// One participant's view of the meeting's MLS group (RFC 9420), on ts-mls. Transport-neutral: every method takes
// and returns opaque bytes that the caller carries in the signaling messages of mls.proto. All group secrets stay
// in this object; the SFrame base key of an epoch leaves it only through exportSframeBaseKey()/epochSnapshot().
//
// Commits follow the Delivery Service's "one commit per epoch" rule: createCommit() keeps the new state pending;
// when the DS relays our own commit back (accepted), processCommit() merges it; when it relays someone else's
// commit for that epoch instead (we lost the race), processCommit() drops our pending commit and applies theirs,
// and the caller re-creates its commit on the new epoch.
import {
  createCommit,
  createGroup,
  defaultCapabilities,
  defaultLifetime,
  emptyPskIndex,
  encodeMlsMessage,
  generateKeyPackage,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
  joinGroup,
  mlsExporter,
  processMessage,
  zeroOutUint8Array,
  type CiphersuiteImpl,
  type IncomingMessageCallback,
  type CiphersuiteName,
  type ClientConfig,
  type ClientState,
  type Credential,
  type KeyPackage,
  type PrivateKeyPackage,
  type Proposal,
} from 'ts-mls';
import { makeKeyPackageRef } from 'ts-mls/keyPackage.js';
import { cipherSuite, DEFAULT_SUITE, type CipherSuiteId } from '../cipher-suites.ts';
import {
  decodeHandshake,
  decodeKeyPackage,
  decodeWelcome,
  encodeKeyPackage,
  encodeWelcome,
} from './mls-codec.ts';
import { MlsError } from './mls-error.ts';
import { withNobleHashing } from './mls-hashing.ts';
import { clientConfigFor, identityOf, MAX_IDENTITY_BYTES } from './mls-credentials.ts';
import { verificationCodeFor } from './verification-code.ts';

/** RFC 9605 section 5.2 exporter label for the per-epoch SFrame base key. */
export const SFRAME_EXPORTER_LABEL = 'SFrame 1.0 Base Key';
/** The MLS cipher suite used by default: X25519, AES-128-GCM, SHA-256, Ed25519 (RFC 9420 suite 1). */
export const DEFAULT_MLS_CIPHERSUITE: CiphersuiteName = 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519';

const encoder = new TextEncoder();

export interface MlsMemberOptions {
  /** This participant's identity, carried in its MLS basic credential (Dark Tower: the participant id). */
  identity: string;
  /** SFrame cipher suite whose Nk sizes the exported base key (default 4, AES_128_GCM_SHA256_128). */
  sframeSuite?: CipherSuiteId;
  mlsCiphersuite?: CiphersuiteName;
  /**
   * Decides whether a credential may be in the group (called for every leaf of a Welcome's tree and every
   * committed leaf). Default: any well-formed identity. The client passes a check against the meeting roster (which
   * may wait a moment for a participant the roster has not announced yet).
   */
  acceptIdentity?: (identity: string) => boolean | Promise<boolean>;
}

export interface MlsMemberInfo {
  leafIndex: number;
  identity: string;
}

export interface MlsEpochSnapshot {
  epoch: bigint;
  ownLeafIndex: number;
  memberLeafIndices: number[];
  /** MLS-Exporter("SFrame 1.0 Base Key", "", Nk). The receiver owns this copy and should zero it when done. */
  sframeBaseKey: Uint8Array;
}

export interface CreatedCommit {
  /** The epoch the commit was created in (the DS orders commits by this number). */
  epoch: bigint;
  commit: Uint8Array;
  /** Present when the commit adds members: relay to them. */
  welcome: Uint8Array | undefined;
}

export type CommitOutcome =
  /** Our own pending commit came back from the DS: merged. */
  | { kind: 'merged'; epoch: bigint }
  /** Another member's commit applied (our pending commit, if any, was dropped: `rebase` says so). */
  | { kind: 'applied'; epoch: bigint; rebase: boolean }
  /** The commit removed this member: no keys of later epochs. */
  | { kind: 'removed'; epoch: bigint };

interface Pending {
  epoch: bigint;
  commit: Uint8Array;
  newState: ClientState;
  consumed: Uint8Array[];
}

type State =
  | { state: 'idle' }
  | { state: 'member'; group: ClientState; pending: Pending | undefined }
  | { state: 'removed'; epoch: bigint }
  | { state: 'closed' };

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

const ALLOWED_PROPOSALS = new Set<unknown>(['add', 'remove', 'update']);
/**
 * Our clients only commit adds and removes (with an update path) as members; anything else (external commits,
 * PSK, ReInit, group context changes, standalone proposals) is refused.
 */
const acceptMemberCommit: IncomingMessageCallback = (incoming) =>
  incoming.kind === 'commit' &&
  incoming.senderLeafIndex !== undefined &&
  incoming.proposals.every((p) => ALLOWED_PROPOSALS.has(p.proposal.proposalType))
    ? 'accept'
    : 'reject';
export class MlsMember {
  readonly identity: string;
  readonly sframeNk: number;
  readonly #cs: CiphersuiteImpl;
  readonly #csName: CiphersuiteName;
  readonly #config: ClientConfig;
  readonly #keyPackages: { publicPackage: KeyPackage; privatePackage: PrivateKeyPackage }[] = [];
  #state: State = { state: 'idle' };
  /** Serialises the async operations so a commit is never processed against a state that is being replaced. */
  #queue: Promise<unknown> = Promise.resolve();
  readonly #epochListeners = new Set<(epoch: bigint) => void>();
  readonly #closed: Promise<void>;
  #resolveClosed!: () => void;

  private constructor(
    identity: string,
    sframeNk: number,
    csName: CiphersuiteName,
    cs: CiphersuiteImpl,
    config: ClientConfig,
  ) {
    this.identity = identity;
    this.#csName = csName;
    this.sframeNk = sframeNk;
    this.#cs = cs;
    this.#config = config;
    this.#closed = new Promise((resolve) => (this.#resolveClosed = resolve));
  }

  static async create(options: MlsMemberOptions): Promise<MlsMember> {
    const bytes = encoder.encode(options.identity);
    if (bytes.byteLength === 0 || bytes.byteLength > MAX_IDENTITY_BYTES)
      throw MlsError.unknownMember(`identity of ${bytes.byteLength} bytes`);
    const suite = cipherSuite(options.sframeSuite ?? DEFAULT_SUITE);
    if (suite === undefined) throw MlsError.badKidLayout('unknown SFrame suite');
    const csName = options.mlsCiphersuite ?? DEFAULT_MLS_CIPHERSUITE;
    const definition = getCiphersuiteFromName(csName);
    const cs = withNobleHashing(await getCiphersuiteImpl(definition), definition.hash, definition.hpke.kdf);
    const config = clientConfigFor(options.acceptIdentity ?? (() => true));
    return new MlsMember(options.identity, suite.nk, csName, cs, config);
  }

  /** 'idle' (no group yet), 'member', 'removed' or 'closed'. */
  get state(): State['state'] {
    return this.#state.state;
  }

  get epoch(): bigint {
    return this.#group().groupContext.epoch;
  }

  get ownLeafIndex(): number {
    return this.#group().privatePath.leafIndex;
  }

  /** RFC 9420 section 8.7: equal for all members of an epoch, unknown to everyone else. */
  get epochAuthenticator(): Uint8Array {
    return new Uint8Array(this.#group().keySchedule.epochAuthenticator);
  }

  get hasPendingCommit(): boolean {
    return this.#state.state === 'member' && this.#state.pending !== undefined;
  }

  get closed(): Promise<void> {
    return this.#closed;
  }

  /** Called after every epoch change (group created, joined, commit merged or applied). Returns an unsubscribe. */
  onEpoch(listener: (epoch: bigint) => void): () => void {
    this.#epochListeners.add(listener);
    return () => this.#epochListeners.delete(listener);
  }

  /** The group's members as the MLS tree says (what the UI should compare with the meeting roster). */
  members(): MlsMemberInfo[] {
    const out: MlsMemberInfo[] = [];
    const tree = this.#group().ratchetTree;
    for (let node = 0; node < tree.length; node += 2) {
      const entry = tree[node];
      if (entry?.nodeType !== 'leaf') continue;
      out.push({ leafIndex: node / 2, identity: identityOf(entry.leaf.credential) ?? '' });
    }
    return out;
  }

  leafIndexOf(identity: string): number | undefined {
    return this.members().find((m) => m.identity === identity)?.leafIndex;
  }

  /** A fresh single-use KeyPackage (MLSMessage bytes) for the DS to hand to a committer. */
  async createKeyPackage(): Promise<Uint8Array> {
    this.#assertOpen();
    const credential: Credential = { credentialType: 'basic', identity: encoder.encode(this.identity) };
    const kp = await generateKeyPackage(credential, defaultCapabilities(), defaultLifetime, [], this.#cs);
    this.#keyPackages.push(kp);
    // Bound what a misbehaving caller can make us keep; only the newest few can be in flight.
    if (this.#keyPackages.length > 8) this.#keyPackages.shift();
    return encodeKeyPackage(kp.publicPackage);
  }

  /** Founds the group as its first member (epoch 0). */
  async createGroup(
    groupId: Uint8Array = globalThis.crypto.getRandomValues(new Uint8Array(16)),
  ): Promise<void> {
    await this.#exclusive(async () => {
      if (this.#state.state !== 'idle') throw MlsError.alreadyInGroup();
      const credential: Credential = { credentialType: 'basic', identity: encoder.encode(this.identity) };
      const kp = await generateKeyPackage(credential, defaultCapabilities(), defaultLifetime, [], this.#cs);
      const group = await createGroup(
        groupId,
        kp.publicPackage,
        kp.privatePackage,
        [],
        this.#cs,
        this.#config,
      );
      this.#state = { state: 'member', group, pending: undefined };
    });
    this.#emitEpoch();
  }

  /** Joins from a Welcome (which must carry the ratchet tree extension, as createCommit's welcomes do). */
  async joinFromWelcome(welcomeBytes: Uint8Array, options: { signal?: AbortSignal } = {}): Promise<void> {
    const welcome = decodeWelcome(welcomeBytes);
    // RFC 9420 section 12.4.3.1: the Welcome's (unauthenticated) cipher suite must be the one of our KeyPackages.
    if (welcome.cipherSuite !== this.#csName) throw MlsError.malformed('welcome: wrong cipher suite');
    await this.#exclusive(async () => {
      options.signal?.throwIfAborted();
      if (this.#state.state !== 'idle') throw MlsError.alreadyInGroup();
      // The Welcome names the KeyPackage it is for (KeyPackageRef, RFC 9420 section 12.4.3.1).
      let index = -1;
      for (const [i, kp] of this.#keyPackages.entries()) {
        const ref = await makeKeyPackageRef(kp.publicPackage, this.#cs.hash);
        if (welcome.secrets.some((s) => sameBytes(s.newMember, ref))) {
          index = i;
          break;
        }
      }
      const kp = this.#keyPackages[index];
      if (kp === undefined) throw MlsError.noMatchingKeyPackage();
      let group: ClientState;
      try {
        group = await joinGroup(
          welcome,
          kp.publicPackage,
          kp.privatePackage,
          emptyPskIndex,
          this.#cs,
          undefined,
          undefined,
          this.#config,
        );
      } catch (error) {
        throw MlsError.rejected('welcome', error);
      }
      this.#keyPackages.splice(index, 1);
      this.#state = { state: 'member', group, pending: undefined };
    });
    this.#emitEpoch();
  }

  /**
   * Creates a commit for the current epoch: adds these KeyPackages, removes these leaves, and always carries an
   * update path, so an empty commit is the periodic self-update (fresh key material for everyone). The new epoch
   * stays pending until the DS relays this commit back (processCommit) or another one wins.
   */
  async createCommit(
    change: { add?: readonly Uint8Array[]; removeLeaves?: readonly number[]; signal?: AbortSignal } = {},
  ): Promise<CreatedCommit> {
    const proposals: Proposal[] = [];
    for (const bytes of change.add ?? []) {
      const keyPackage = decodeKeyPackage(bytes);
      if (keyPackage.cipherSuite !== this.#csName)
        throw MlsError.malformed('key package: wrong cipher suite');
      proposals.push({ proposalType: 'add', add: { keyPackage } });
    }
    return this.#exclusive(async () => {
      change.signal?.throwIfAborted();
      const group = this.#group();
      if (this.#state.state === 'member' && this.#state.pending !== undefined)
        throw MlsError.wrongEpoch(group.groupContext.epoch, this.#state.pending.epoch);
      const leaves = new Set(this.members().map((m) => m.leafIndex));
      for (const leaf of change.removeLeaves ?? []) {
        if (!leaves.has(leaf) || leaf === group.privatePath.leafIndex)
          throw MlsError.unknownMember(`leaf ${leaf}`);
        proposals.push({ proposalType: 'remove', remove: { removed: leaf } });
      }
      let result: Awaited<ReturnType<typeof createCommit>>;
      try {
        result = await createCommit(
          { state: group, cipherSuite: this.#cs },
          { extraProposals: proposals, ratchetTreeExtension: true },
        );
      } catch (error) {
        throw MlsError.rejected('commit', error);
      }
      const commit = encodeMlsMessage(result.commit);
      const epoch = group.groupContext.epoch;
      this.#state = {
        state: 'member',
        group,
        pending: { epoch, commit, newState: result.newState, consumed: result.consumed },
      };
      return {
        epoch,
        commit,
        welcome: result.welcome === undefined ? undefined : encodeWelcome(result.welcome),
      };
    });
  }

  /** Drops a pending commit (e.g. the DS refused it); the group stays at its current epoch. */
  discardPendingCommit(): void {
    if (this.#state.state === 'member') this.#state = { ...this.#state, pending: undefined };
  }

  /** Applies a commit relayed by the DS (ours: merge; another member's: process, dropping ours). */
  async processCommit(
    commitBytes: Uint8Array,
    options: { signal?: AbortSignal } = {},
  ): Promise<CommitOutcome> {
    const message = decodeHandshake(commitBytes);
    const outcome = await this.#exclusive(async (): Promise<CommitOutcome> => {
      options.signal?.throwIfAborted();
      const group = this.#group();
      const current = group.groupContext.epoch;
      const pending = this.#state.state === 'member' ? this.#state.pending : undefined;
      if (pending !== undefined && sameBytes(pending.commit, commitBytes)) {
        pending.consumed.forEach(zeroOutUint8Array);
        this.#state = { state: 'member', group: pending.newState, pending: undefined };
        return { kind: 'merged', epoch: pending.newState.groupContext.epoch };
      }
      const epoch =
        message.wireformat === 'mls_private_message'
          ? message.privateMessage.epoch
          : message.publicMessage.content.epoch;
      if (epoch !== current) throw MlsError.wrongEpoch(current, epoch);
      let result: Awaited<ReturnType<typeof processMessage>>;
      try {
        result = await processMessage(message, group, emptyPskIndex, acceptMemberCommit, this.#cs);
      } catch (error) {
        throw MlsError.rejected('commit', error);
      }
      if (result.kind !== 'newState' || result.actionTaken !== 'accept')
        throw MlsError.rejected('non-commit handshake message');
      result.consumed.forEach(zeroOutUint8Array);
      if (result.newState.groupActiveState.kind === 'removedFromGroup') {
        this.#state = { state: 'removed', epoch: current + 1n };
        return { kind: 'removed', epoch: current + 1n };
      }
      this.#state = { state: 'member', group: result.newState, pending: undefined };
      return { kind: 'applied', epoch: result.newState.groupContext.epoch, rebase: pending !== undefined };
    });
    if (outcome.kind !== 'removed') this.#emitEpoch();
    return outcome;
  }

  /** MLS-Exporter("SFrame 1.0 Base Key", "", Nk) of the current epoch (RFC 9605 section 5.2). */
  async exportSframeBaseKey(length = this.sframeNk): Promise<Uint8Array> {
    const group = this.#group();
    return mlsExporter(
      group.keySchedule.exporterSecret,
      SFRAME_EXPORTER_LABEL,
      new Uint8Array(0),
      length,
      this.#cs,
    );
  }

  /** Everything an MlsSframeKeyring needs for the current epoch, read consistently. */
  async epochSnapshot(): Promise<MlsEpochSnapshot> {
    const group = this.#group();
    return {
      epoch: group.groupContext.epoch,
      ownLeafIndex: group.privatePath.leafIndex,
      memberLeafIndices: this.members().map((m) => m.leafIndex),
      sframeBaseKey: await mlsExporter(
        group.keySchedule.exporterSecret,
        SFRAME_EXPORTER_LABEL,
        new Uint8Array(0),
        this.sframeNk,
        this.#cs,
      ),
    };
  }

  /** The short code members compare out of band (see verification-code.ts). */
  async verificationCode(): Promise<string> {
    return verificationCodeFor(this.#group().keySchedule.epochAuthenticator);
  }

  /** Forgets the group and all key material. Idempotent. */
  close(): Promise<void> {
    if (this.#state.state !== 'closed') {
      if (this.#state.state === 'member') {
        const { group, pending } = this.#state;
        zeroOutUint8Array(group.keySchedule.exporterSecret);
        zeroOutUint8Array(group.keySchedule.epochAuthenticator);
        if (pending !== undefined) zeroOutUint8Array(pending.newState.keySchedule.exporterSecret);
      }
      this.#keyPackages.length = 0;
      this.#state = { state: 'closed' };
      this.#epochListeners.clear();
      this.#resolveClosed();
    }
    return this.#closed;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #group(): ClientState {
    switch (this.#state.state) {
      case 'member':
        return this.#state.group;
      case 'idle':
        throw MlsError.notInGroup();
      case 'removed':
        throw MlsError.removed();
      case 'closed':
        throw MlsError.closed();
      default: {
        const never: never = this.#state;
        return never;
      }
    }
  }

  #assertOpen(): void {
    if (this.#state.state === 'closed') throw MlsError.closed();
  }

  #exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(() => {
      this.#assertOpen();
      return work();
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #emitEpoch(): void {
    if (this.#state.state !== 'member') return;
    const epoch = this.#state.group.groupContext.epoch;
    for (const listener of this.#epochListeners) {
      try {
        listener(epoch);
      } catch {
        // A throwing listener must not break the member or the other listeners.
      }
    }
  }
}
