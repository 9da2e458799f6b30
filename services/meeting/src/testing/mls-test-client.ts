// Test support for the MLS Delivery Service: a participant's client that feeds the controller's MLS messages to a
// real MlsParticipant (MLS group state, SFrame keyrings) and sends back its answers, and checks on a set of them.
import assert from 'node:assert/strict';
import { ErrorCode } from '@darktower/protocol';
import {
  MlsMember,
  MlsParticipant,
  MlsSframeKeyring,
  participantOutboundToClientKind,
  serverKindToDsMessage,
} from '@darktower/e2ee';
import type { Harness, Joined } from './harness.ts';
import type { SignalingClient } from './signaling-client.ts';

export const frame = (n: number): Uint8Array => new TextEncoder().encode(`frame ${n} `.repeat(16));
export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const MLS_KINDS = new Set(['mlsKeyPackageRequest', 'mlsCommitRequest', 'mlsCommit', 'mlsWelcome']);

/** A participant's client: feeds the controller's MLS messages to an MlsParticipant and sends back its answers. */
export class MlsClient {
  joined: Joined;
  readonly participant: MlsParticipant;
  /** Errors the MlsParticipant raised (refused MLS bytes). */
  readonly failures: unknown[] = [];
  /** Replies to our MLS requests: 'ack' or the ErrorCode. */
  readonly replies: (ErrorCode | 'ack')[] = [];
  readonly #commitRequests = new Set<number>();
  readonly #mlsRequests = new Set<number>();
  #cursor = 0;

  private constructor(joined: Joined, participant: MlsParticipant) {
    this.joined = joined;
    this.participant = participant;
  }

  static async join(
    h: Harness,
    meetingId: string,
    name: string,
    role: 'host' | 'participant' = 'participant',
  ): Promise<MlsClient> {
    return MlsClient.on(await h.join(meetingId, name, role));
  }

  /** A client on a session joined some other way (another controller, say). */
  static async on(joined: Joined): Promise<MlsClient> {
    const member = await MlsMember.create({ identity: joined.participantId });
    return new MlsClient(joined, new MlsParticipant(member, new MlsSframeKeyring()));
  }

  /** Continues on a resumed session. */
  resumedOn(client: SignalingClient): void {
    this.joined = { ...this.joined, client };
    this.#cursor = 0;
  }

  get member(): MlsMember {
    return this.participant.member;
  }

  /** Sends an MLS message as the client SDK would; returns its request id. */
  async sendMls(out: Parameters<typeof participantOutboundToClientKind>[0]): Promise<number> {
    const id = await this.joined.client.send(participantOutboundToClientKind(out));
    this.#mlsRequests.add(id);
    if (out.type === 'commit') this.#commitRequests.add(id);
    return id;
  }

  /** Handles everything received since the last call; returns whether there was anything MLS. */
  async pump(): Promise<boolean> {
    let worked = false;
    const received = this.joined.client.received;
    while (this.#cursor < received.length) {
      const m = received[this.#cursor++];
      if (m === undefined) break;
      if (this.#mlsRequests.has(m.requestId)) {
        this.#mlsRequests.delete(m.requestId);
        this.replies.push(m.kind.case === 'error' ? m.kind.value.code : 'ack');
      }
      const unsolicited = m.requestId === 0 && MLS_KINDS.has(m.kind.case ?? '');
      const answersCommit = m.kind.case === 'error' && this.#commitRequests.has(m.requestId);
      if (!unsolicited && !answersCommit) continue;
      const message = serverKindToDsMessage(m.kind, {
        hasGroup: this.member.state !== 'idle',
        answersMlsCommit: answersCommit,
      });
      if (message === undefined) continue;
      worked = true;
      try {
        for (const out of await this.participant.handle(message)) await this.sendMls(out);
      } catch (error) {
        this.failures.push(error);
      }
    }
    return worked;
  }
}

/** Pumps every client until `done` holds (or fails after a while). */
export async function settle(
  clients: readonly MlsClient[],
  done: () => boolean,
  what: string,
): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    let worked = false;
    for (const c of clients) if (await c.pump()) worked = true;
    if (!worked && done()) return;
    if (Date.now() > deadline) throw new Error(`MLS did not settle: ${what}`);
    if (!worked) await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export const atEpoch = (clients: readonly MlsClient[], epoch: bigint) => (): boolean =>
  clients.every((c) => c.member.state === 'member' && c.member.epoch === epoch);

export async function sameKeys(clients: readonly MlsClient[]): Promise<void> {
  const keys = await Promise.all(clients.map(async (c) => hex(await c.member.exportSframeBaseKey())));
  assert.equal(new Set(keys).size, 1, 'everybody derives the same SFrame base key');
}

export async function framesGoAllWays(clients: readonly MlsClient[], n: number): Promise<void> {
  for (const sender of clients) {
    const ct = await sender.participant.keyring.encrypt(frame(n));
    for (const receiver of clients) {
      if (receiver === sender) continue;
      const got = await receiver.participant.keyring.decrypt(ct);
      assert.deepEqual(got.plaintext, frame(n));
      assert.equal(got.senderLeafIndex, sender.member.ownLeafIndex);
    }
  }
}
