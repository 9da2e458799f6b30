// fast-check arbitraries for any protobuf-es message schema, walking its descriptor. Used by the property tests to
// cover every message kind without a hand-written generator per message (not exported from the package index).
import { create, type DescField, type DescMessage, type MessageShape, ScalarType } from '@bufbuild/protobuf';
import { FeatureSet_FieldPresence } from '@bufbuild/protobuf/wkt';
import fc from 'fast-check';

const MAX_DEPTH = 4;

export function arbitraryMessage<Desc extends DescMessage>(
  schema: Desc,
  depth = 0,
): fc.Arbitrary<MessageShape<Desc>> {
  return arbitraryInit(schema, depth).map((init) => create<Desc>(schema, init as never));
}

function arbitraryInit(schema: DescMessage, depth: number): fc.Arbitrary<Record<string, unknown>> {
  const parts: Record<string, fc.Arbitrary<unknown>> = {};
  for (const member of schema.members) {
    if (member.kind === 'oneof') {
      const cases = member.fields.map((f) =>
        arbitraryFieldValue(f, depth).map((value) => ({ case: f.localName, value })),
      );
      parts[member.localName] = fc.oneof(fc.constant({ case: undefined }), ...cases);
    } else {
      parts[member.localName] = arbitraryFieldValue(member, depth);
    }
  }
  return fc.record(parts);
}

function arbitraryFieldValue(field: DescField, depth: number): fc.Arbitrary<unknown> {
  switch (field.fieldKind) {
    case 'scalar': {
      const arb = arbitraryScalar(field.scalar);
      return field.presence === FeatureSet_FieldPresence.IMPLICIT || field.oneof !== undefined
        ? arb
        : fc.option(arb, { nil: undefined });
    }
    case 'enum':
      return fc.constantFrom(...field.enum.values.map((v) => v.number));
    case 'message':
      return depth >= MAX_DEPTH
        ? fc.constant(undefined)
        : fc.option(arbitraryInit(field.message, depth + 1), { nil: undefined });
    case 'list': {
      const item =
        field.listKind === 'scalar'
          ? arbitraryScalar(field.scalar)
          : field.listKind === 'enum'
            ? fc.constantFrom(...field.enum.values.map((v) => v.number))
            : depth >= MAX_DEPTH
              ? fc.constant({})
              : arbitraryInit(field.message, depth + 1);
      return fc.array(item, { maxLength: 3 });
    }
    case 'map': {
      const value =
        field.mapKind === 'scalar'
          ? arbitraryScalar(field.scalar)
          : field.mapKind === 'enum'
            ? fc.constantFrom(...field.enum.values.map((v) => v.number))
            : arbitraryInit(field.message, depth + 1);
      return fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 8 }), value, { maxKeys: 3 });
    }
    default: {
      const unhandled: never = field;
      throw new TypeError(`unhandled field ${JSON.stringify(unhandled)}`);
    }
  }
}

function arbitraryScalar(scalar: ScalarType): fc.Arbitrary<unknown> {
  switch (scalar) {
    case ScalarType.STRING:
      return fc.string({ unit: 'grapheme', maxLength: 24 });
    case ScalarType.BYTES:
      return fc.uint8Array({ maxLength: 48 });
    case ScalarType.BOOL:
      return fc.boolean();
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return fc.integer({ min: 0, max: 0xffff_ffff });
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff });
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    case ScalarType.FLOAT:
      // -0 is not sent by proto3 (equal to the default 0), so it would not round-trip by identity.
      return fc.float({ noNaN: true }).map((x) => (x === 0 ? 0 : x));
    case ScalarType.DOUBLE:
      return fc.double({ noNaN: true }).map((x) => (x === 0 ? 0 : x));
    default: {
      const unhandled: never = scalar;
      throw new TypeError(`unhandled scalar ${String(unhandled)}`);
    }
  }
}
