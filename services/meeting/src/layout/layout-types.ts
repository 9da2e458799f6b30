import type { ParticipantId, SlotId, StreamId } from '../ids.ts';

export type StreamKind = 'audio' | 'camera' | 'screen';

export interface LayoutStream {
  readonly streamId: StreamId;
  readonly kind: StreamKind;
}

/** A participant as the layout engine sees it; the list it gets is in join order. */
export interface LayoutParticipant {
  readonly participantId: ParticipantId;
  readonly streams: readonly LayoutStream[];
}

export const MAX_GRID_DIMENSION = 256;

/** What a subscriber asks for. Slot ids are chosen by the subscriber, one per slot, in slot order. */
export type LayoutRequest =
  | {
      readonly kind: 'grid';
      readonly rows: number;
      readonly columns: number;
      readonly slotIds: readonly SlotId[];
      readonly options: LayoutOptions;
    }
  | {
      /** Slot 0 is the main stage; the others are a filmstrip. */
      readonly kind: 'speaker';
      readonly slotIds: readonly SlotId[];
      readonly options: LayoutOptions;
    };

export interface LayoutOptions {
  readonly pinnedUsers: readonly ParticipantId[];
  readonly excludedUsers: readonly ParticipantId[];
  readonly preferVideoOverAudio: boolean;
  readonly includeSelf: boolean;
}

export const defaultLayoutOptions: LayoutOptions = {
  pinnedUsers: [],
  excludedUsers: [],
  preferVideoOverAudio: true,
  includeSelf: false,
};

/** Everything in the meeting a layout depends on. */
export interface LayoutContext {
  readonly self: ParticipantId;
  /** In join order. */
  readonly participants: readonly LayoutParticipant[];
  /** Most recent speaker first; index 0 is the current active speaker. */
  readonly activeSpeakers: readonly ParticipantId[];
}

export type SlotReason = 'pinned' | 'screen' | 'speaker' | 'other';

export interface SlotAssignment {
  readonly slotId: SlotId;
  readonly participantId: ParticipantId;
  readonly streamId: StreamId;
  readonly kind: StreamKind;
  readonly reason: SlotReason;
}

/** The computed layout: filled slots in slot order (unfilled slots are absent). */
export interface ComputedLayout {
  readonly slots: readonly SlotAssignment[];
}

/** The minimal change between two layouts: slots (re)assigned and slots emptied. */
export interface LayoutDiff {
  readonly assign: readonly SlotAssignment[];
  readonly clear: readonly SlotId[];
}
