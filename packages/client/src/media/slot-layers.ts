// Which simulcast layer each layout slot asks its media handler for: the smallest layer that covers the slot's
// size on screen (layerForSlot). Sent when the slot's size or source changes, and again every few seconds: the
// handler keeps a preference only for a slot it is delivering, and the layout update can reach the client before
// the route reaches the handler.
import type { Emitter } from '../core/emitter.ts';
import type { LayoutSlotView, MeetingEvents, RemoteParticipant } from '../meeting/meeting-types.ts';
import { layerForSlot } from './simulcast-ladder.ts';

/** What SlotLayerPreferences needs of a Meeting. */
export interface SlotLayerHost {
  readonly layoutSlots: readonly LayoutSlotView[];
  readonly roster: { get(participantId: string): RemoteParticipant | undefined };
  readonly events: Pick<Emitter<MeetingEvents>, 'on'>;
  preferLayer(forwardedStreamId: string, layerId: string): Promise<void>;
}

export interface SlotSize {
  readonly width: number;
  readonly height: number;
}

export class SlotLayerPreferences implements Disposable {
  readonly #host: SlotLayerHost;
  readonly #pixelRatio: () => number;
  readonly #sizes = new Map<string, SlotSize>();
  /** slot stream id -> layer id last asked for */
  readonly #asked = new Map<string, string>();
  readonly #offs: (() => void)[] = [];
  readonly #timer: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  constructor(host: SlotLayerHost, options: { pixelRatio?: () => number; resendEveryMs?: number } = {}) {
    this.#host = host;
    this.#pixelRatio = options.pixelRatio ?? (() => 1);
    const all = (): void => {
      this.#updateAll(false);
    };
    this.#offs.push(host.events.on('layoutChanged', all), host.events.on('participantUpdated', all));
    const every = options.resendEveryMs ?? 2_000;
    if (every > 0) {
      this.#timer = setInterval(() => {
        this.#updateAll(true);
      }, every);
    }
  }

  /** The on-screen size (CSS pixels) of the slot showing `slotStreamId`. */
  setSlotSize(slotStreamId: string, size: SlotSize): void {
    if (this.#closed) return;
    this.#sizes.set(slotStreamId, size);
    this.#update(slotStreamId, false);
  }

  /** The layer each slot asked for (slot stream id -> layer id). */
  get preferences(): ReadonlyMap<string, string> {
    return this.#asked;
  }

  #updateAll(resend: boolean): void {
    const live = new Set(this.#host.layoutSlots.map((s) => s.slotStreamId));
    for (const id of this.#asked.keys()) if (!live.has(id)) this.#asked.delete(id);
    for (const id of this.#sizes.keys()) if (live.has(id)) this.#update(id, resend);
  }

  #update(slotStreamId: string, resend: boolean): void {
    if (this.#closed) return;
    const size = this.#sizes.get(slotStreamId);
    const slot = this.#host.layoutSlots.find((s) => s.slotStreamId === slotStreamId);
    if (size === undefined || slot === undefined || slot.kind === 'audio') return;
    const stream = this.#host.roster
      .get(slot.participantId)
      ?.streams.find((s) => s.streamId === slot.sourceStreamId);
    const layer = layerForSlot(stream?.layers ?? [], size, this.#pixelRatio());
    if (layer === undefined) return;
    if (!resend && this.#asked.get(slotStreamId) === layer.layerId) return;
    this.#asked.set(slotStreamId, layer.layerId);
    void this.#host.preferLayer(slotStreamId, layer.layerId).catch(() => undefined);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    for (const off of this.#offs) off();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
