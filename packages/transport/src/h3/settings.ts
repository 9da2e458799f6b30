// HTTP/3 SETTINGS (RFC 9114 section 7.2.4) with the WebTransport and datagram settings Chromium requires.
import { H3Error } from './h3-error.ts';
import { FRAME, encodeFrame } from './frames.ts';
import { readVarint, varintLength, writeVarint } from './varint.ts';

export const SETTING = {
  QPACK_MAX_TABLE_CAPACITY: 0x01,
  MAX_FIELD_SECTION_SIZE: 0x06,
  QPACK_BLOCKED_STREAMS: 0x07,
  ENABLE_CONNECT_PROTOCOL: 0x08,
  H3_DATAGRAM: 0x33,
  H3_DATAGRAM_DRAFT04: 0xffd277,
  ENABLE_WEBTRANSPORT_DRAFT02: 0x2b603742,
  WEBTRANSPORT_MAX_SESSIONS: 0xc671706a,
} as const;

// HTTP/2 settings that RFC 9114 section 7.2.4.1 forbids.
const HTTP2_ONLY = new Set([0x02, 0x03, 0x04, 0x05]);

export type Settings = ReadonlyMap<number, number>;

export function ourSettings(options: {
  maxFieldSectionSize: number;
  maxSessions: number;
}): [number, number][] {
  return [
    [SETTING.QPACK_MAX_TABLE_CAPACITY, 0],
    [SETTING.QPACK_BLOCKED_STREAMS, 0],
    [SETTING.MAX_FIELD_SECTION_SIZE, options.maxFieldSectionSize],
    [SETTING.ENABLE_CONNECT_PROTOCOL, 1],
    [SETTING.H3_DATAGRAM, 1],
    [SETTING.H3_DATAGRAM_DRAFT04, 1],
    [SETTING.ENABLE_WEBTRANSPORT_DRAFT02, 1],
    [SETTING.WEBTRANSPORT_MAX_SESSIONS, options.maxSessions],
  ];
}

export function encodeSettingsFrame(settings: readonly (readonly [number, number])[]): Uint8Array {
  let size = 0;
  for (const [id, value] of settings) size += varintLength(id) + varintLength(value);
  const payload = new Uint8Array(size);
  let pos = 0;
  for (const [id, value] of settings) pos = writeVarint(payload, writeVarint(payload, pos, id), value);
  return encodeFrame(FRAME.SETTINGS, payload);
}

/** Parses a SETTINGS payload; unknown identifiers are kept (and ignored by callers), duplicates are an error. */
export function decodeSettings(payload: Uint8Array): Settings {
  const out = new Map<number, number>();
  let pos = 0;
  while (pos < payload.length) {
    const id = readVarint(payload, pos);
    const value = id === undefined ? undefined : readVarint(payload, id.next);
    if (id === undefined || value === undefined) throw H3Error.frame('truncated SETTINGS');
    if (HTTP2_ONLY.has(id.value)) throw H3Error.settings(`HTTP/2 setting 0x${id.value.toString(16)}`);
    if (out.has(id.value)) throw H3Error.settings(`duplicate setting 0x${id.value.toString(16)}`);
    out.set(id.value, value.value);
    pos = value.next;
  }
  return out;
}

/** Does the peer speak WebTransport with HTTP/3 datagrams, as far as its SETTINGS say? */
export function peerSupportsWebTransport(settings: Settings): boolean {
  const wt =
    settings.get(SETTING.ENABLE_WEBTRANSPORT_DRAFT02) === 1 ||
    (settings.get(SETTING.WEBTRANSPORT_MAX_SESSIONS) ?? 0) > 0;
  const dgram = settings.get(SETTING.H3_DATAGRAM) === 1 || settings.get(SETTING.H3_DATAGRAM_DRAFT04) === 1;
  return wt && dgram;
}
