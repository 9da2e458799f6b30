// Our control stream's opening bytes and the reader for the peer's control stream (RFC 9114 section 6.2.1):
// SETTINGS first and once, GOAWAY noted, unknown frames skipped, its end a connection error.
import { FRAME, STREAM_TYPE, controlStreamPolicy } from '../h3/frames.ts';
import { H3Error } from '../h3/h3-error.ts';
import { decodeSettings, encodeSettingsFrame, ourSettings, type Settings } from '../h3/settings.ts';
import { TlvReader } from '../h3/tlv-reader.ts';
import { encodeVarint } from '../h3/varint.ts';
import type { TransportLimits } from './limits.ts';

export function controlStreamOpening(limits: TransportLimits): Uint8Array {
  const type = encodeVarint(STREAM_TYPE.CONTROL);
  const settings = encodeSettingsFrame(
    ourSettings({ maxFieldSectionSize: limits.maxHeaderBytes, maxSessions: limits.maxSessionsPerConnection }),
  );
  const out = new Uint8Array(type.length + settings.length);
  out.set(type, 0);
  out.set(settings, type.length);
  return out;
}

export class ControlStreamReader {
  readonly #reader = new TlvReader(controlStreamPolicy());
  readonly #onSettings: (settings: Settings) => void;
  readonly #onGoaway: () => void;
  #gotSettings = false;

  constructor(handlers: { onSettings: (settings: Settings) => void; onGoaway: () => void }) {
    this.#onSettings = handlers.onSettings;
    this.#onGoaway = handlers.onGoaway;
  }

  push(bytes: Uint8Array, fin: boolean): void {
    this.#reader.push(bytes, (ev) => {
      if (ev.kind !== 'whole') return;
      if (!this.#gotSettings) {
        if (ev.type !== FRAME.SETTINGS)
          throw new H3Error('MISSING_SETTINGS', 'first control frame is not SETTINGS');
        this.#gotSettings = true;
        this.#onSettings(decodeSettings(ev.payload));
        return;
      }
      if (ev.type === FRAME.SETTINGS) throw H3Error.unexpected('second SETTINGS frame');
      if (ev.type === FRAME.GOAWAY) this.#onGoaway();
    });
    if (fin) throw new H3Error('CLOSED_CRITICAL_STREAM', 'control stream closed');
  }
}
