// The Meeting's end-to-end encryption: decides from the JoinResponse whether the meeting runs E2EE, feeds the MLS
// messages of every signaling link (first join and resumes) to one E2eeSession, and is the Meeting's frame
// transform: SFrame inside, the caller's own transform (if any) outside, on the wire side. Until the mode is known
// nothing is sent, so no frame of an E2EE meeting ever leaves unencrypted.
import type { JoinResponse, ServerMessage } from '@darktower/protocol';
import { Emitter } from '../core/emitter.ts';
import type { FrameMeta, FrameTransform } from '../media/frame-transform.ts';
import type { SignalingClient } from '../signaling/signaling-client.ts';
import type { E2eeKeyring } from './e2ee-keyring.ts';
import {
  E2eeSession,
  type E2eeDroppedFrame,
  type E2eePort,
  type E2eeState,
  type E2eeStats,
} from './e2ee-session.ts';

export interface MeetingE2eeOptions {
  /**
   * Where SFrame runs (e.g. a WorkerKeyring in browsers); default: this thread. Called once per MLS member: at the
   * join, after a fresh join under a new participant id, and when the Delivery Service adds us afresh.
   */
  readonly keyring?: () => E2eeKeyring;
  /** How long keys of a superseded epoch still decrypt (default 10 s). */
  readonly graceMs?: number;
  /** How long an MLS credential check waits for the roster to announce its participant (default 3 s). */
  readonly rosterWaitMs?: number;
}

/** 'pending' until joined; then whether media is end-to-end encrypted. */
export type E2eeMode = 'pending' | 'e2ee' | 'none';

export interface MeetingE2eeEvents {
  stateChanged: [E2eeState];
  frameDropped: [E2eeDroppedFrame];
  error: [unknown];
}

/** The MLS messages of the signaling link (MeetingE2ee listens to them from before the join on). */
export const MLS_EVENTS = ['mlsKeyPackageRequest', 'mlsCommitRequest', 'mlsCommit', 'mlsWelcome'] as const;

const ROSTER_WAIT_MS = 3_000;
/**
 * How long a frame that arrives while we are still joining the group waits for our keys before it is tried (and,
 * without them, dropped). The key frame our subscription asked for can arrive before the Welcome is processed;
 * dropped, the picture waited for another key frame a round trip later.
 */
const JOINING_WAIT_MS = 1_000;
/** At most this many frames wait at once (beyond it they are tried at once): a bound on what is held. */
const MAX_JOINING_WAITERS = 256;

export class MeetingE2ee implements AsyncDisposable {
  readonly events = new Emitter<MeetingE2eeEvents>();
  readonly transform: FrameTransform;
  readonly #options: MeetingE2eeOptions;
  readonly #outer: FrameTransform;
  readonly #requestKeyframe: (forwardedStreamId: string) => void;
  /** The join's timing marks (Meeting.joinMarks): the first of each MLS message in and out. */
  readonly #mark: (name: string) => void;
  readonly #marked = new Set<string>();
  #mode: E2eeMode = 'pending';
  #session: E2eeSession | undefined;
  /** The participant id the session's MLS member was made for (its credential's identity). */
  #participantId: string | undefined;
  #port: SignalingClient | undefined;
  /** MLS messages that arrived before the session exists (right after the JoinResponse), or while #holding. */
  #buffer: ServerMessage['kind'][] = [];
  /** A fresh join's link is attached and its JoinResponse not yet handled (see attach). */
  #holding = false;
  #detach: (() => void)[] = [];
  /** Every participant id this client has seen in the meeting (MLS identities are participant ids). */
  readonly #seen = new Set<string>();
  /** MLS checks waiting for a participant the roster has not announced yet (see #accept). */
  readonly #awaited = new Map<string, (() => void)[]>();
  /** Frames waiting for our first keys (see JOINING_WAIT_MS): woken when the session leaves 'joining'. */
  readonly #joiningWaiters = new Set<() => void>();
  /** Streams whose frames did not decrypt for want of a key: a key frame is asked for at the next epoch. */
  readonly #starved = new Set<string>();
  readonly #closed = new AbortController();
  /**
   * The tail of each stream's work: WebCrypto may finish jobs out of order (Node runs them on a thread pool), so
   * every stream's frames are encrypted and decrypted one after the other and come out in the order they went in.
   */
  readonly #tails = new Map<string, Promise<unknown>>();

  constructor(
    options: MeetingE2eeOptions,
    outer: FrameTransform,
    requestKeyframe: (forwardedStreamId: string) => void,
    mark: (name: string) => void = () => undefined,
  ) {
    this.#options = options;
    this.#outer = outer;
    this.#requestKeyframe = requestKeyframe;
    this.#mark = mark;
    this.transform = {
      encrypt: (payload, meta) => this.#inOrder(`e${meta.streamId}`, () => this.#encrypt(payload, meta)),
      decrypt: (payload, meta) => this.#inOrder(`d${meta.streamId}`, () => this.#decrypt(payload, meta)),
    };
  }

  get mode(): E2eeMode {
    return this.#mode;
  }

  /** The MLS state (joining, active with epoch and verification code, removed); undefined without E2EE. */
  get state(): E2eeState | undefined {
    return this.#session?.state;
  }

  get stats(): E2eeStats | undefined {
    return this.#session?.stats;
  }

  /** @internal The session (tests, diagnostics). */
  get session(): E2eeSession | undefined {
    return this.#session;
  }

  /**
   * @internal A fresh signaling link (before its JoinRequest/ResumeSession): MLS messages now come from it, at once
   * (the link does not hold them). For a fresh join (`freshJoin`, not a resume) they are kept until `start()` has
   * the JoinResponse: under a new participant id they are for a new MLS member, not the current one.
   */
  attach(signaling: SignalingClient, freshJoin = true): void {
    this.#holding = freshJoin && this.#session !== undefined;
    this.#buffer = [];
    for (const off of this.#detach) off();
    this.#detach = [
      ...MLS_EVENTS.map((event) =>
        signaling.events.on(event, (value: unknown) => {
          this.#onMls({ case: event, value } as ServerMessage['kind']);
        }),
      ),
      signaling.events.on('participantJoined', (m) => {
        if (m.participant !== undefined) this.#see(m.participant.participantId);
      }),
    ];
    this.#port = signaling;
    this.#session?.setPort(this.#portOf(signaling));
  }

  /**
   * @internal After a JoinResponse (not a resume): starts MLS when the meeting has E2EE on. After a fresh join
   * under a new participant id (a refused resume) the old MLS member and every key it had are dropped and a new
   * member starts under the new id; until it is in the group nothing is sent. The new link's MLS messages are held
   * by its SignalingClient until the Meeting adopts the link, so they all reach the new member.
   */
  async start(response: JoinResponse): Promise<void> {
    if (this.#closed.signal.aborted) return;
    if (this.#mode !== 'pending') {
      if (this.#participantId === response.participantId) {
        this.#release();
        return;
      }
      // The new link's MLS messages are for the new member.
      const held = this.#buffer;
      await this.#dropSession();
      this.#buffer = [...held, ...this.#buffer];
      if (this.#isClosed()) return;
    }
    this.#holding = false;
    this.#participantId = response.participantId;
    this.#see(response.participantId);
    for (const p of response.existingParticipants) this.#see(p.participantId);
    if (response.meeting?.enableE2eEncryption !== true) {
      this.#mode = 'none';
      this.#buffer = [];
      return;
    }
    const session = await E2eeSession.create({
      participantId: response.participantId,
      acceptIdentity: (id) => this.acceptsIdentity(id),
      ...(this.#options.keyring === undefined ? {} : { keyring: this.#options.keyring }),
      ...(this.#options.graceMs === undefined ? {} : { graceMs: this.#options.graceMs }),
    });
    if (this.#isClosed()) {
      await session.close();
      return;
    }
    this.#session = session;
    this.#mode = 'e2ee';
    session.events.on('stateChanged', (s) => {
      if (s.state !== 'joining') this.#wakeJoiningWaiters();
      if (s.state === 'active') {
        for (const id of this.#starved) this.#requestKeyframe(id);
        this.#starved.clear();
      }
      this.events.emit('stateChanged', s);
    });
    session.events.on('frameDropped', (d) => {
      if (d.reason === 'unknown-kid' || d.reason === 'no-group') this.#starved.add(d.streamId);
      this.events.emit('frameDropped', d);
    });
    session.events.on('error', (e) => {
      this.events.emit('error', e);
    });
    const port = this.#port;
    if (port !== undefined) session.setPort(this.#portOf(port));
    this.#release();
    this.events.emit('stateChanged', session.state);
  }

  /** Deletes every key. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed.signal.aborted) return;
    this.#closed.abort();
    for (const list of [...this.#awaited.values()]) for (const wake of list) wake(); // refused: closed
    this.#wakeJoiningWaiters();
    this.#awaited.clear();
    for (const off of this.#detach) off();
    this.#detach = [];
    this.#buffer = [];
    this.#port = undefined;
    await this.#session?.close();
    this.events.removeAll();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Back to 'pending' (nothing sent, nothing decrypted): the old member's keys are deleted. */
  async #dropSession(): Promise<void> {
    const old = this.#session;
    this.#session = undefined;
    this.#mode = 'pending';
    this.#buffer = [];
    this.#starved.clear();
    this.#wakeJoiningWaiters();
    if (old === undefined) return;
    old.events.removeAll(); // its 'closed' is not the meeting's: a new member follows
    await old.close();
  }

  #see(participantId: string): void {
    this.#seen.add(participantId);
    const waiting = this.#awaited.get(participantId);
    this.#awaited.delete(participantId);
    for (const wake of waiting ?? []) wake();
  }

  /**
   * @internal Whether an MLS credential's identity is a participant of the meeting as this client sees it. A commit adding a
   * participant can arrive just before the ParticipantJoined that announces it: an identity not seen yet is waited
   * for (`rosterWaitMs`), then refused.
   */
  acceptsIdentity(participantId: string): boolean | Promise<boolean> {
    if (this.#seen.has(participantId)) return true;
    if (this.#isClosed() || this.#awaited.size >= 64) return false;
    return new Promise<boolean>((resolve) => {
      const list = this.#awaited.get(participantId) ?? [];
      this.#awaited.set(participantId, list);
      const timer = setTimeout(() => {
        const i = list.indexOf(wake);
        if (i >= 0) list.splice(i, 1);
        if (list.length === 0 && this.#awaited.get(participantId) === list)
          this.#awaited.delete(participantId);
        resolve(false);
      }, this.#options.rosterWaitMs ?? ROSTER_WAIT_MS);
      const wake = (): void => {
        clearTimeout(timer);
        resolve(!this.#isClosed());
      };
      list.push(wake);
    });
  }

  /** A method, not a field read: close() may have run while start() awaited. */
  #isClosed(): boolean {
    return this.#closed.signal.aborted;
  }

  /** The session's way out through a signaling link; the first of each MLS message sent is a join mark. */
  #portOf(signaling: SignalingClient): E2eePort {
    return {
      send: (kind) => {
        this.#markOnce(`mls:sent_${kind.case ?? ''}`);
        return signaling.send(kind);
      },
      request: (kind) => {
        this.#markOnce(`mls:sent_${kind.case ?? ''}`);
        return signaling.request(kind);
      },
    };
  }

  #markOnce(name: string): void {
    if (this.#marked.has(name)) return;
    this.#marked.add(name);
    this.#mark(name);
  }

  #onMls(kind: ServerMessage['kind']): void {
    this.#markOnce(`mls:got_${kind.case ?? ''}`);
    if (this.#session !== undefined && !this.#holding) void this.#session.handle(kind);
    else if ((this.#mode === 'pending' || this.#holding) && this.#buffer.length < 256)
      this.#buffer.push(kind);
  }

  /** What was buffered (or held for a fresh join's JoinResponse) goes to the current member. */
  #release(): void {
    this.#holding = false;
    const held = this.#buffer;
    this.#buffer = [];
    for (const kind of held) void this.#session?.handle(kind);
  }

  #inOrder<T>(key: string, work: () => Promise<T>): Promise<T> {
    const run = (this.#tails.get(key) ?? Promise.resolve()).then(work);
    const tail = run.catch(() => undefined);
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return run;
  }

  async #encrypt(payload: Uint8Array, meta: FrameMeta): Promise<Uint8Array | undefined> {
    switch (this.#mode) {
      case 'pending':
        return undefined;
      case 'none':
        return this.#outer.encrypt(payload, meta);
      case 'e2ee': {
        const ciphertext = await this.#session?.encrypt(payload);
        return ciphertext === undefined ? undefined : this.#outer.encrypt(ciphertext, meta);
      }
    }
  }

  async #decrypt(payload: Uint8Array, meta: FrameMeta): Promise<Uint8Array | undefined> {
    if (this.#mode === 'pending') return undefined;
    const wire = await this.#outer.decrypt(payload, meta);
    if (wire === undefined || this.#mode === 'none') return wire;
    if (this.#session?.state.state === 'joining') await this.#untilJoined();
    return this.#session?.decrypt(wire, meta);
  }

  /** Resolves when the session is out of 'joining' (or closed), after JOINING_WAIT_MS at most. */
  #untilJoined(): Promise<void> | undefined {
    if (this.#joiningWaiters.size >= MAX_JOINING_WAITERS || this.#isClosed()) return undefined;
    return new Promise<void>((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.#joiningWaiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, JOINING_WAIT_MS);
      this.#joiningWaiters.add(wake);
    });
  }

  #wakeJoiningWaiters(): void {
    for (const wake of [...this.#joiningWaiters]) wake();
  }
}
