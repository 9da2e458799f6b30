// Test support: a meeting in memory. One DeliveryServiceCore, MlsParticipants with real MlsMembers and keyrings,
// and a FIFO of deliveries between them, as the Meeting Controller and client SDK would carry them.
import { DeliveryServiceCore, type DeliveryServiceOptions } from '../delivery-service-core.ts';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { ClientMessageSchema, ServerMessageSchema } from '@darktower/protocol';
import type { DsDelivery, DsMessage } from '../delivery-service-messages.ts';
import { MlsMember } from '../mls-member.ts';
import { MlsParticipant, type ParticipantOutbound } from '../mls-participant.ts';
import { MlsSframeKeyring, type MlsSframeKeyringOptions } from '../mls-sframe-keyring.ts';
import {
  applyClientKind,
  dsMessageToServerKind,
  participantOutboundToClientKind,
  serverKindToDsMessage,
} from '../mls-wire.ts';

export class ManualClock {
  t = 1_000_000;
  readonly now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

export class InMemoryMeeting {
  readonly clock = new ManualClock();
  readonly ds: DeliveryServiceCore;
  readonly participants = new Map<string, MlsParticipant>();
  /** Everything the DS sent, in order (what the wire would carry). */
  readonly log: DsDelivery[] = [];
  readonly errors: { to: string; error: unknown }[] = [];
  readonly #queue: DsDelivery[] = [];
  readonly #connected = new Set<string>();
  readonly #keyringOptions: MlsSframeKeyringOptions;

  /** Carry every message through its protobuf encoding (mls-wire.ts), as the real transport does. */
  readonly #wire: boolean;

  constructor(
    options: { ds?: DeliveryServiceOptions; keyring?: MlsSframeKeyringOptions; wire?: boolean } = {},
  ) {
    this.#wire = options.wire ?? false;
    this.ds = new DeliveryServiceCore({ now: this.clock.now, ...options.ds });
    this.#keyringOptions = { now: this.clock.now, ...options.keyring };
  }

  get(pid: string): MlsParticipant {
    const p = this.participants.get(pid);
    if (p === undefined) throw new Error(`no participant ${pid}`);
    return p;
  }

  async join(pid: string): Promise<MlsParticipant> {
    const member = await MlsMember.create({ identity: pid });
    const participant = new MlsParticipant(member, new MlsSframeKeyring(this.#keyringOptions));
    this.participants.set(pid, participant);
    this.#connected.add(pid);
    this.enqueue(this.ds.participantJoined(pid));
    await this.flush();
    return participant;
  }

  /** Disconnects pid (it keeps its object, so tests can show what it can no longer do). */
  async leave(pid: string): Promise<void> {
    this.#connected.delete(pid);
    this.enqueue(this.ds.participantLeft(pid));
    await this.flush();
  }

  enqueue(deliveries: DsDelivery[]): void {
    this.log.push(...deliveries);
    this.#queue.push(...deliveries);
  }

  /** Routes a participant's outbound message to the DS. */
  send(from: string, out: ParticipantOutbound): void {
    if (this.#wire) {
      const bytes = toBinary(
        ClientMessageSchema,
        create(ClientMessageSchema, { kind: participantOutboundToClientKind(out) }),
      );
      const deliveries = applyClientKind(this.ds, from, fromBinary(ClientMessageSchema, bytes).kind);
      if (deliveries === undefined) throw new Error('not an MLS client message');
      this.enqueue(deliveries);
      return;
    }
    switch (out.type) {
      case 'keyPackage':
        this.enqueue(this.ds.uploadKeyPackage(from, out.keyPackage));
        break;
      case 'commit':
        this.enqueue(this.ds.submitCommit(from, out.epoch, out.commit));
        break;
      case 'welcome':
        this.enqueue(this.ds.submitWelcome(from, out.epoch, out.welcome, out.recipientParticipantIds));
        break;
    }
  }

  async flush(): Promise<void> {
    for (let delivery = this.#queue.shift(); delivery !== undefined; delivery = this.#queue.shift()) {
      if (!this.#connected.has(delivery.to)) continue;
      const participant = this.get(delivery.to);
      try {
        const message = this.#wire
          ? this.#overTheWire(delivery.message, participant.member.state !== 'idle')
          : delivery.message;
        if (message === undefined) continue;
        for (const out of await participant.handle(message)) this.send(delivery.to, out);
      } catch (error) {
        this.errors.push({ to: delivery.to, error });
      }
    }
  }

  async tick(ms: number): Promise<void> {
    this.clock.advance(ms);
    this.enqueue(this.ds.tick());
    await this.flush();
  }

  #overTheWire(message: DsMessage, hasGroup: boolean): DsMessage | undefined {
    const bytes = toBinary(
      ServerMessageSchema,
      create(ServerMessageSchema, { kind: dsMessageToServerKind(message) }),
    );
    return serverKindToDsMessage(fromBinary(ServerMessageSchema, bytes).kind, {
      hasGroup,
      answersMlsCommit: message.type === 'error',
    });
  }
}
