// The MLS Delivery Service of one meeting (RFC 9420 section 16.12 / RFC 9750): orders commits, relays key
// packages, commits and welcomes. Pure and transport-neutral: the Meeting Controller calls these methods with
// what participants sent and sends the returned deliveries. It never sees a secret: it handles opaque bytes and
// epoch numbers only, so a compromised DS can withhold, delay or reorder, but cannot read media.
//
// Rules:
// - One commit per epoch: the first commit for the current epoch wins; any other commit is refused with CONFLICT
//   (the sender then applies the winner, relayed to it like to everyone, and rebases).
// - Adds and removes come from one designated committer: the longest-present member that answers. Joiners'
//   key packages are queued and handed to it in an MlsCommitRequest; leaves become remove requests.
// - A joiner becomes a member when its Welcome is relayed. Commits accepted between the commit that added it and
//   its Welcome are buffered and delivered right after the Welcome, so it never misses an epoch.
// - At least every `rotationIntervalMs` (default 1 h) the committer is asked for an empty commit (self-update).
// - A committer that does not answer within `requestTimeoutMs` is passed over; a joiner whose Welcome does not
//   come within `welcomeTimeoutMs` is removed again and asked for a fresh key package.
// A new method returns the deliveries it causes, in order; the caller must send them in that order per recipient.
import { MAX_KEY_PACKAGE_BYTES, MAX_MLS_MESSAGE_BYTES } from './mls-codec.ts';
import type { DsDelivery, DsErrorCode, DsMessage, DsParticipantId } from './delivery-service-messages.ts';

export interface DeliveryServiceOptions {
  /** Milliseconds clock (injected in tests). */
  now?: () => number;
  rotationIntervalMs?: number;
  requestTimeoutMs?: number;
  welcomeTimeoutMs?: number;
  /** Most key packages handed to one commit (bounds commit and welcome sizes). */
  maxAddsPerCommit?: number;
}

interface Outstanding {
  epoch: bigint;
  committer: DsParticipantId;
  add: DsParticipantId[];
  remove: DsParticipantId[];
  sentAt: number;
}

interface AwaitingWelcome {
  /** The epoch of the commit that added it; its Welcome is for this epoch and it joins at epoch + 1. */
  epoch: bigint;
  committer: DsParticipantId;
  since: number;
  buffered: DsMessage[];
}

const RECENT_COMMITS = 64;

/** Version of the exported state; importState refuses any other. */
const STATE_VERSION = 1;
/** An exported state larger than this is refused on import (queued key packages and buffered commits are capped). */
const MAX_STATE_CHARS = 32 * 1024 * 1024;

/**
 * What `exportState` writes (JSON with bigints as {"$n": "..."} and bytes as {"$b": base64}): the DS's whole
 * state. Public data only: epoch numbers, participant ids, key packages, commits waiting for a joiner's Welcome.
 */
interface DeliveryServiceState {
  v: number;
  epoch: bigint | null;
  members: DsParticipantId[];
  awaiting: [DsParticipantId, AwaitingWelcome][];
  queued: [DsParticipantId, Uint8Array][];
  toRemove: DsParticipantId[];
  outstanding: Outstanding | null;
  issued: Outstanding[];
  departed: DsParticipantId[];
  committers: [bigint, DsParticipantId][];
  lastCommitAt: number;
  commitsAccepted: number;
  commitsRejected: number;
}

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000)
    s += String.fromCharCode(...bytes.subarray(i, Math.min(bytes.length, i + 0x8000)));
  return btoa(s);
}

function fromBase64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function encodeState(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return { $n: value.toString() };
  if (value instanceof Uint8Array) return { $b: toBase64(value) };
  return value;
}

function decodeState(_key: string, value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const v = value as Record<string, unknown>;
  const keys = Object.keys(v);
  if (keys.length === 1 && typeof v.$n === 'string') {
    if (!/^-?\d{1,40}$/.test(v.$n)) throw new TypeError('bad integer in DS state');
    return BigInt(v.$n);
  }
  if (keys.length === 1 && typeof v.$b === 'string') return fromBase64(v.$b);
  return value;
}

const isIdList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
const isPairs = (v: unknown): v is [unknown, unknown][] =>
  Array.isArray(v) && v.every((x) => Array.isArray(x) && x.length === 2);
const isOutstanding = (v: unknown): v is Outstanding => {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o.epoch === 'bigint' &&
    typeof o.committer === 'string' &&
    isIdList(o.add) &&
    isIdList(o.remove) &&
    typeof o.sentAt === 'number'
  );
};
const isDsMessage = (v: unknown): v is DsMessage =>
  typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string';

function checkState(v: unknown): DeliveryServiceState {
  const bad = (what: string): never => {
    throw new TypeError(`malformed DS state: ${what}`);
  };
  if (typeof v !== 'object' || v === null) return bad('not an object');
  const s = v as Record<string, unknown>;
  if (s.v !== STATE_VERSION) return bad(`version ${String(s.v)}`);
  if (s.epoch !== null && typeof s.epoch !== 'bigint') bad('epoch');
  if (!isIdList(s.members) || !isIdList(s.toRemove) || !isIdList(s.departed)) bad('id lists');
  if (!isPairs(s.queued) || !s.queued.every(([k, b]) => typeof k === 'string' && b instanceof Uint8Array))
    bad('queued');
  if (
    !isPairs(s.awaiting) ||
    !s.awaiting.every(([k, a]) => {
      if (typeof k !== 'string' || typeof a !== 'object' || a === null) return false;
      const w = a as Record<string, unknown>;
      return (
        typeof w.epoch === 'bigint' &&
        typeof w.committer === 'string' &&
        typeof w.since === 'number' &&
        Array.isArray(w.buffered) &&
        w.buffered.every(isDsMessage)
      );
    })
  )
    bad('awaiting');
  if (
    !isPairs(s.committers) ||
    !s.committers.every(([e, c]) => typeof e === 'bigint' && typeof c === 'string')
  )
    bad('committers');
  if (s.outstanding !== null && !isOutstanding(s.outstanding)) bad('outstanding');
  if (!Array.isArray(s.issued) || !s.issued.every(isOutstanding)) bad('issued');
  for (const k of ['lastCommitAt', 'commitsAccepted', 'commitsRejected'])
    if (typeof s[k] !== 'number' || !Number.isFinite(s[k])) bad(k);
  return s as unknown as DeliveryServiceState;
}

export class DeliveryServiceCore {
  readonly #now: () => number;
  readonly #rotationIntervalMs: number;
  readonly #requestTimeoutMs: number;
  readonly #welcomeTimeoutMs: number;
  readonly #maxAdds: number;
  /** undefined: no group yet (or everybody left). */
  #epoch: bigint | undefined;
  /** Group members in admission order; the first is the designated committer. */
  #members: DsParticipantId[] = [];
  readonly #awaiting = new Map<DsParticipantId, AwaitingWelcome>();
  /** Joiners' key packages, in arrival order, until a commit adds them. */
  readonly #queued = new Map<DsParticipantId, Uint8Array>();
  /** Participants that left (or never got their Welcome) and still have a leaf to remove. */
  readonly #toRemove = new Set<DsParticipantId>();
  #outstanding: Outstanding | undefined;
  /** Requests sent for the current epoch (a timed-out one may still be answered). */
  #issued: Outstanding[] = [];
  /** Joiners that left while a request to add them was in flight. */
  readonly #departed = new Set<DsParticipantId>();
  /** Who committed recent epochs (to validate Welcomes). */
  readonly #committers = new Map<bigint, DsParticipantId>();
  #lastCommitAt: number;
  #commitsAccepted = 0;
  #commitsRejected = 0;

  constructor(options: DeliveryServiceOptions = {}) {
    this.#now = options.now ?? (() => Date.now());
    this.#rotationIntervalMs = options.rotationIntervalMs ?? 60 * 60 * 1000;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.#welcomeTimeoutMs = options.welcomeTimeoutMs ?? 15_000;
    this.#maxAdds = options.maxAddsPerCommit ?? 50;
    this.#lastCommitAt = this.#now();
  }

  /**
   * The whole state as JSON text, for another controller to continue the group after this one died (the Meeting
   * Controller keeps it with the meeting in Redis). Public data only: the DS never holds a secret.
   */
  exportState(): string {
    const state: DeliveryServiceState = {
      v: STATE_VERSION,
      epoch: this.#epoch ?? null,
      members: [...this.#members],
      awaiting: [...this.#awaiting],
      queued: [...this.#queued],
      toRemove: [...this.#toRemove],
      outstanding: this.#outstanding ?? null,
      issued: this.#issued,
      departed: [...this.#departed],
      committers: [...this.#committers],
      lastCommitAt: this.#lastCommitAt,
      commitsAccepted: this.#commitsAccepted,
      commitsRejected: this.#commitsRejected,
    };
    return JSON.stringify(state, encodeState);
  }

  /** A DS that continues from `exportState` output; throws TypeError on anything malformed. */
  static importState(text: string, options: DeliveryServiceOptions = {}): DeliveryServiceCore {
    if (text.length > MAX_STATE_CHARS) throw new TypeError('DS state too large');
    const s = checkState(JSON.parse(text, decodeState));
    const core = new DeliveryServiceCore(options);
    core.#epoch = s.epoch ?? undefined;
    core.#members = [...s.members];
    for (const [pid, w] of s.awaiting) core.#awaiting.set(pid, w);
    for (const [pid, kp] of s.queued) core.#queued.set(pid, kp);
    for (const pid of s.toRemove) core.#toRemove.add(pid);
    core.#outstanding = s.outstanding ?? undefined;
    // The outstanding request is the last issued one; keep them one object as the live DS does.
    core.#issued = s.issued.map((r) =>
      core.#outstanding !== undefined &&
      r.epoch === core.#outstanding.epoch &&
      r.committer === core.#outstanding.committer &&
      r.sentAt === core.#outstanding.sentAt
        ? core.#outstanding
        : r,
    );
    for (const pid of s.departed) core.#departed.add(pid);
    for (const [epoch, pid] of s.committers) core.#committers.set(epoch, pid);
    core.#lastCommitAt = s.lastCommitAt;
    core.#commitsAccepted = s.commitsAccepted;
    core.#commitsRejected = s.commitsRejected;
    return core;
  }

  /** Current epoch of the group, undefined before it exists. */
  get epoch(): bigint | undefined {
    return this.#epoch;
  }

  get members(): readonly DsParticipantId[] {
    return [...this.#members];
  }

  /** Who is asked to commit next (the longest-present responsive member). */
  get committer(): DsParticipantId | undefined {
    return this.#members[0];
  }

  get stats(): { commitsAccepted: number; commitsRejected: number; queued: number; awaitingWelcome: number } {
    return {
      commitsAccepted: this.#commitsAccepted,
      commitsRejected: this.#commitsRejected,
      queued: this.#queued.size,
      awaitingWelcome: this.#awaiting.size,
    };
  }

  /** A participant joined the meeting (E2EE on): ask it for a key package. */
  participantJoined(participantId: DsParticipantId): DsDelivery[] {
    return [{ to: participantId, message: { type: 'keyPackageRequest', count: 1 } }];
  }

  /** MlsKeyPackageUpload from a participant that wants to be added. */
  uploadKeyPackage(from: DsParticipantId, keyPackage: Uint8Array): DsDelivery[] {
    if (keyPackage.byteLength === 0 || keyPackage.byteLength > MAX_KEY_PACKAGE_BYTES)
      return [this.#error(from, 'INVALID_REQUEST', `key package of ${keyPackage.byteLength} bytes`)];
    if (this.#members.includes(from) || this.#awaiting.has(from))
      return [this.#error(from, 'CONFLICT', 'already in the group')];
    this.#queued.delete(from); // a newer key package replaces the older one, at the back of the queue
    this.#queued.set(from, new Uint8Array(keyPackage));
    return this.#schedule();
  }

  /** The participant left the meeting (or was kicked): its leaf must go. */
  participantLeft(participantId: DsParticipantId): DsDelivery[] {
    this.#queued.delete(participantId);
    if (this.#issued.some((r) => r.add.includes(participantId))) this.#departed.add(participantId);
    const wasMember = this.#members.includes(participantId);
    if (wasMember) this.#members = this.#members.filter((m) => m !== participantId);
    const wasAwaiting = this.#awaiting.delete(participantId);
    if (wasMember || wasAwaiting) this.#toRemove.add(participantId);
    if (this.#outstanding?.committer === participantId) this.#outstanding = undefined;
    this.#resetIfEmpty();
    return this.#schedule();
  }

  /** MlsCommit{epoch, commit} from a member. */
  submitCommit(from: DsParticipantId, epoch: bigint, commit: Uint8Array): DsDelivery[] {
    if (!this.#members.includes(from)) {
      this.#commitsRejected++;
      return [this.#error(from, 'FORBIDDEN', 'not a member of the group')];
    }
    if (commit.byteLength === 0 || commit.byteLength > MAX_MLS_MESSAGE_BYTES) {
      this.#commitsRejected++;
      return [this.#error(from, 'INVALID_REQUEST', `commit of ${commit.byteLength} bytes`)];
    }
    if (this.#epoch === undefined || epoch !== this.#epoch) {
      this.#commitsRejected++;
      const current = this.#epoch === undefined ? 'none' : this.#epoch.toString();
      return [
        this.#error(
          from,
          'CONFLICT',
          `commit for epoch ${epoch.toString()} refused: the group is at epoch ${current} (a commit for that ` +
            'epoch was already accepted: apply it and rebase)',
        ),
      ];
    }
    this.#commitsAccepted++;
    this.#epoch = epoch + 1n;
    this.#lastCommitAt = this.#now();
    this.#committers.set(epoch, from);
    if (this.#committers.size > RECENT_COMMITS) this.#committers.delete(epoch - BigInt(RECENT_COMMITS));
    const message: DsMessage = {
      type: 'commit',
      epoch,
      commit: new Uint8Array(commit),
      senderParticipantId: from,
    };
    const out: DsDelivery[] = this.#members.map((to) => ({ to, message }));
    for (const waiting of this.#awaiting.values()) if (epoch > waiting.epoch) waiting.buffered.push(message);

    // Any request this member was sent for this epoch counts, also one that timed out and was re-issued to another
    // member: its commit won, so it is the one that carries those adds and removes.
    const request = this.#issued.find((r) => r.epoch === epoch && r.committer === from);
    this.#issued = [];
    this.#outstanding = undefined;
    if (request !== undefined) {
      // Fulfilled: the adds now have leaves and wait for their Welcome; the removes are gone.
      for (const pid of request.remove) this.#toRemove.delete(pid);
      for (const pid of request.add) {
        if (this.#departed.has(pid)) {
          // Left while the commit adding it was in flight: its new leaf goes right away.
          this.#departed.delete(pid);
          this.#toRemove.add(pid);
          continue;
        }
        this.#queued.delete(pid);
        this.#awaiting.set(pid, { epoch, committer: from, since: this.#now(), buffered: [] });
      }
    }
    // Otherwise another commit won the epoch: the request is stale and is re-issued for the new epoch below.
    this.#departed.clear();
    return [...out, ...this.#schedule()];
  }

  /** MlsWelcome{epoch, welcome, recipients} from the member whose commit of `epoch` added the recipients. */
  submitWelcome(
    from: DsParticipantId,
    epoch: bigint,
    welcome: Uint8Array,
    recipients: readonly DsParticipantId[],
  ): DsDelivery[] {
    if (welcome.byteLength === 0 || welcome.byteLength > MAX_MLS_MESSAGE_BYTES)
      return [this.#error(from, 'INVALID_REQUEST', `welcome of ${welcome.byteLength} bytes`)];
    if (this.#committers.get(epoch) !== from)
      return [this.#error(from, 'CONFLICT', `no accepted commit of yours for epoch ${epoch.toString()}`)];
    const unique = [...new Set(recipients)];
    if (unique.length === 0) return [this.#error(from, 'INVALID_REQUEST', 'welcome without recipients')];
    for (const pid of unique) {
      const waiting = this.#awaiting.get(pid);
      if (waiting?.epoch !== epoch || waiting.committer !== from)
        return [
          this.#error(from, 'INVALID_REQUEST', `${pid} is not waiting for a welcome of epoch ${epoch}`),
        ];
    }
    const out: DsDelivery[] = [];
    const message: DsMessage = {
      type: 'welcome',
      epoch,
      welcome: new Uint8Array(welcome),
      senderParticipantId: from,
      recipientParticipantIds: unique,
    };
    for (const pid of unique) {
      const waiting = this.#awaiting.get(pid);
      if (waiting === undefined) continue;
      this.#awaiting.delete(pid);
      this.#members.push(pid);
      out.push({ to: pid, message }, ...waiting.buffered.map((m) => ({ to: pid, message: m })));
    }
    return out;
  }

  /** Timers: passes over a silent committer, retries lost welcomes, asks for the periodic rotation. */
  tick(): DsDelivery[] {
    const now = this.#now();
    const out: DsDelivery[] = [];
    const request = this.#outstanding;
    if (request !== undefined && now - request.sentAt >= this.#requestTimeoutMs) {
      this.#outstanding = undefined;
      // The silent committer goes to the back of the line; the next longest-present member is asked.
      if (this.#members[0] === request.committer && this.#members.length > 1)
        this.#members = [...this.#members.slice(1), request.committer];
    }
    for (const [pid, waiting] of [...this.#awaiting]) {
      if (now - waiting.since < this.#welcomeTimeoutMs) continue;
      this.#awaiting.delete(pid);
      this.#toRemove.add(pid);
      out.push({ to: pid, message: { type: 'keyPackageRequest', count: 1 } });
    }
    this.#resetIfEmpty();
    return [...out, ...this.#schedule()];
  }

  /** Nobody holds the group any more (everybody left, no Welcome pending): the next joiner founds a new one. */
  #resetIfEmpty(): void {
    if (this.#epoch === undefined || this.#members.length > 0 || this.#awaiting.size > 0) return;
    this.#epoch = undefined;
    this.#toRemove.clear();
    this.#outstanding = undefined;
    this.#issued = [];
    this.#departed.clear();
    this.#committers.clear();
  }

  #schedule(): DsDelivery[] {
    if (this.#outstanding !== undefined) return [];
    const now = this.#now();
    if (this.#epoch === undefined) {
      const founder = this.#queued.keys().next();
      if (founder.done === true) return [];
      this.#queued.delete(founder.value);
      this.#epoch = 0n;
      this.#members = [founder.value];
      this.#lastCommitAt = now;
      return this.#request(founder.value, true, now);
    }
    const committer = this.#members[0];
    if (committer === undefined) return [];
    const rotationDue = this.#members.length >= 2 && now - this.#lastCommitAt >= this.#rotationIntervalMs;
    if (this.#queued.size === 0 && this.#toRemove.size === 0 && !rotationDue) return [];
    return this.#request(committer, false, now);
  }

  #request(committer: DsParticipantId, createGroup: boolean, now: number): DsDelivery[] {
    const epoch = this.#epoch ?? 0n;
    const add = [...this.#queued].slice(0, this.#maxAdds).map(([participantId, keyPackage]) => ({
      participantId,
      keyPackage,
    }));
    const removeParticipantIds = [...this.#toRemove];
    this.#outstanding = {
      epoch,
      committer,
      add: add.map((a) => a.participantId),
      remove: removeParticipantIds,
      sentAt: now,
    };
    if (createGroup && add.length === 0) {
      // Founding alone: nothing to commit yet, the request only tells the founder to create the group.
      this.#outstanding = undefined;
    } else {
      this.#issued.push(this.#outstanding);
    }
    return [
      { to: committer, message: { type: 'commitRequest', epoch, createGroup, add, removeParticipantIds } },
    ];
  }

  #error(to: DsParticipantId, code: DsErrorCode, message: string): DsDelivery {
    return { to, message: { type: 'error', code, message, currentEpoch: this.#epoch } };
  }
}
