// Decoding of untrusted MLS bytes (RFC 9420 MLSMessage) with a size cap, an exact-length check and one error type.
// ts-mls decoders either throw or return undefined on bad input; both end up as MlsError MALFORMED_MESSAGE.
import {
  decodeMlsMessage,
  encodeMlsMessage,
  type KeyPackage,
  type MLSMessage,
  type MlsPrivateMessage,
  type MlsPublicMessage,
  type Welcome,
} from 'ts-mls';
import { MlsError } from './mls-error.ts';

/** Largest MLS message we decode (a Welcome carries the ratchet tree: ~1 KiB per member). */
export const MAX_MLS_MESSAGE_BYTES = 4 * 1024 * 1024;
/** Largest key package we accept (they are a few hundred bytes with the default suite). */
export const MAX_KEY_PACKAGE_BYTES = 64 * 1024;

function decode(bytes: Uint8Array, what: string, max: number): MLSMessage {
  if (!(bytes instanceof Uint8Array)) throw MlsError.malformed(`${what}: not bytes`);
  if (bytes.byteLength > max) throw MlsError.malformed(`${what}: ${bytes.byteLength} bytes > ${max}`);
  let decoded: [MLSMessage, number] | undefined;
  try {
    decoded = decodeMlsMessage(bytes, 0);
  } catch (error) {
    throw MlsError.malformed(what, error);
  }
  if (decoded === undefined) throw MlsError.malformed(what);
  if (decoded[1] !== bytes.byteLength) throw MlsError.malformed(`${what}: trailing bytes`);
  return decoded[0];
}

export function decodeKeyPackage(bytes: Uint8Array): KeyPackage {
  const message = decode(bytes, 'key package', MAX_KEY_PACKAGE_BYTES);
  if (message.wireformat !== 'mls_key_package') throw MlsError.malformed('key package: wrong wire format');
  return message.keyPackage;
}

export function decodeWelcome(bytes: Uint8Array): Welcome {
  const message = decode(bytes, 'welcome', MAX_MLS_MESSAGE_BYTES);
  if (message.wireformat !== 'mls_welcome') throw MlsError.malformed('welcome: wrong wire format');
  return message.welcome;
}

export function decodeHandshake(bytes: Uint8Array): MlsPrivateMessage | MlsPublicMessage {
  const message = decode(bytes, 'commit', MAX_MLS_MESSAGE_BYTES);
  if (message.wireformat !== 'mls_private_message' && message.wireformat !== 'mls_public_message')
    throw MlsError.malformed('commit: wrong wire format');
  return message;
}

export function encodeKeyPackage(keyPackage: KeyPackage): Uint8Array {
  return encodeMlsMessage({ version: 'mls10', wireformat: 'mls_key_package', keyPackage });
}

export function encodeWelcome(welcome: Welcome): Uint8Array {
  return encodeMlsMessage({ version: 'mls10', wireformat: 'mls_welcome', welcome });
}
