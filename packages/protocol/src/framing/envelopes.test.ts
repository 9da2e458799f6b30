import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { create, type DescMessage, equals, fromBinary, toBinary } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { isProtocolError } from '../errors/protocol-error.ts';
import { file_darktower_v1_common } from '../gen/darktower/v1/common_pb.ts';
import { ErrorCode } from '../gen/darktower/v1/enums_pb.ts';
import { file_darktower_v1_global_controller } from '../gen/darktower/v1/global_controller_pb.ts';
import { file_darktower_v1_layout } from '../gen/darktower/v1/layout_pb.ts';
import { file_darktower_v1_media_control } from '../gen/darktower/v1/media_control_pb.ts';
import { file_darktower_v1_media_handler } from '../gen/darktower/v1/media_handler_pb.ts';
import { file_darktower_v1_meeting_controller } from '../gen/darktower/v1/meeting_controller_pb.ts';
import { file_darktower_v1_mls } from '../gen/darktower/v1/mls_pb.ts';
import { ClientMessageSchema, file_darktower_v1_signaling } from '../gen/darktower/v1/signaling_pb.ts';
import { arbitraryMessage } from '../testing/arbitrary-message.ts';
import { mutate } from '../testing/arbitrary-media.ts';
import {
  decodeClientMessage,
  decodeMediaClientMessage,
  decodeMediaServerMessage,
  decodeServerMessage,
  encodeClientMessage,
  encodeMediaClientMessage,
  encodeMediaServerMessage,
  encodeServerMessage,
  Envelopes,
} from './envelopes.ts';
import { FrameDecoder } from './frame-decoder.ts';
import { decodeMessage } from './message-codec.ts';

const envelopeCodecs = [
  { schema: Envelopes.client, encode: encodeClientMessage, decode: decodeClientMessage },
  { schema: Envelopes.server, encode: encodeServerMessage, decode: decodeServerMessage },
  { schema: Envelopes.mediaClient, encode: encodeMediaClientMessage, decode: decodeMediaClientMessage },
  { schema: Envelopes.mediaServer, encode: encodeMediaServerMessage, decode: decodeMediaServerMessage },
] as const;

function unframe(bytes: Uint8Array): Uint8Array {
  const bodies = new FrameDecoder().push(bytes);
  assert.equal(bodies.length, 1);
  const [body] = bodies;
  assert.ok(body);
  return body;
}

describe('envelopes', () => {
  for (const { schema, encode, decode } of envelopeCodecs) {
    const kind = schema.oneofs.find((o) => o.localName === 'kind');
    assert.ok(kind, `${schema.typeName} has a kind oneof`);
    for (const field of kind.fields) {
      test(`${schema.typeName} round-trips kind "${field.localName}"`, () => {
        assert.equal(field.fieldKind, 'message');
        const payload = arbitraryMessage(field.message);
        fc.assert(
          fc.property(payload, fc.integer({ min: 0, max: 0xffff_ffff }), (value, requestId) => {
            const msg = create(schema as DescMessage, { requestId, kind: { case: field.localName, value } });
            // The four encode/decode pairs take their own envelope type; the loop erases it.
            const encoded = (encode as (m: typeof msg) => Uint8Array)(msg);
            const back = (decode as (b: Uint8Array) => typeof msg)(unframe(encoded));
            assert.ok(equals(schema as DescMessage, back, msg));
            assert.equal((back as unknown as { kind: { case: string } }).kind.case, field.localName);
          }),
          { numRuns: 40 },
        );
      });
    }

    test(`${schema.typeName}: random and mutated bytes give a message or MALFORMED_PROTOBUF`, () => {
      const valid = arbitraryMessage(schema as DescMessage).map((m) => toBinary(schema as DescMessage, m));
      fc.assert(
        fc.property(fc.oneof(fc.uint8Array({ maxLength: 512 }), valid.chain(mutate)), (bytes) => {
          try {
            (decode as (b: Uint8Array) => unknown)(bytes);
          } catch (e) {
            assert.ok(isProtocolError(e, 'MALFORMED_PROTOBUF'), String(e));
            assert.equal(e.wireCode, ErrorCode.MALFORMED_MESSAGE);
          }
        }),
        { numRuns: 300 },
      );
    });
  }

  test('deeply nested garbage hits the recursion limit as MALFORMED_PROTOBUF, not a crash', () => {
    // 30 000 nested "start group" tags of unknown field 100 (tag 803 = varint a3 06).
    const groups = new Uint8Array(60_000);
    for (let i = 0; i < groups.length; i += 2) groups.set([0xa3, 0x06], i);
    assert.throws(
      () => decodeClientMessage(groups),
      (e) => isProtocolError(e, 'MALFORMED_PROTOBUF'),
    );
  });

  test('a parse failure keeps its cause', () => {
    try {
      decodeClientMessage(new Uint8Array([0x52, 0x05, 0x01]));
      assert.fail('expected a failure');
    } catch (e) {
      assert.ok(isProtocolError(e, 'MALFORMED_PROTOBUF'));
      assert.ok(e.cause instanceof Error);
    }
  });

  test('unknown kinds from a newer peer decode with an empty kind', () => {
    const bytes = new Uint8Array([0x08, 0x05, 0xfa, 0x06, 0x00]); // request_id 5, field 111 (unknown), empty
    const msg = decodeClientMessage(bytes);
    assert.equal(msg.requestId, 5);
    assert.equal(msg.kind.case, undefined);
    assert.ok(
      equals(ClientMessageSchema, msg, fromBinary(ClientMessageSchema, toBinary(ClientMessageSchema, msg))),
    );
  });
});

describe('every darktower.v1 message', () => {
  const files = [
    file_darktower_v1_common,
    file_darktower_v1_layout,
    file_darktower_v1_mls,
    file_darktower_v1_signaling,
    file_darktower_v1_media_control,
    file_darktower_v1_global_controller,
    file_darktower_v1_meeting_controller,
    file_darktower_v1_media_handler,
  ];
  const schemas = files.flatMap((f) => f.messages);
  test('has round-trip coverage (sanity: the list is not empty)', () => {
    assert.ok(schemas.length > 60, `only ${schemas.length} messages`);
  });
  for (const schema of schemas) {
    test(`${schema.typeName} round-trips through decodeMessage`, () => {
      fc.assert(
        fc.property(arbitraryMessage(schema), (msg) => {
          assert.ok(equals(schema, decodeMessage(schema, toBinary(schema, msg)), msg));
        }),
        { numRuns: 25 },
      );
    });
  }
});
