// When the receiver of one forwarded video stream (a layout slot) must start over from a key frame: another source
// fills the slot, or the media handler switched the slot to another simulcast layer of the same source.

export type SlotRestartReason = 'source' | 'layer';

/**
 * Simulcast layers number frames by capture, so a slot moved between layers sees one numbering; but the new
 * layer's key frame can arrive after frames of the old layer with higher numbers (its encoder lags the other one,
 * a forced key frame takes longer). A jitter buffer drops such a key frame as late, and the new layer's delta
 * frames would then be decoded against the old layer's pictures: nothing decodes until a periodic key frame.
 * A key frame behind what was received therefore marks a layer switch: start over from it, with a fresh decoder
 * (the layer's resolution differs).
 */
export class SlotRestart {
  #source: string | undefined;
  #highest = -1;
  /** Restarts at a layer switch (observability). */
  layerSwitches = 0;

  /** Called for every frame in arrival order; says whether to start over from this frame. */
  next(sourceStreamId: string, sequence: number, key: boolean): SlotRestartReason | undefined {
    let reason: SlotRestartReason | undefined;
    if (sourceStreamId !== this.#source) {
      this.#source = sourceStreamId;
      this.#highest = -1;
      reason = 'source';
    } else if (key && sequence <= this.#highest) {
      this.#highest = -1;
      this.layerSwitches++;
      reason = 'layer';
    }
    this.#highest = Math.max(this.#highest, sequence);
    return reason;
  }
}
