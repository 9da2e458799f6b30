import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { ClientMessageSchema, ErrorCode, type ServerMessage } from '@darktower/protocol';
import { ParticipantId } from '../ids.ts';
import { RoomDeliveryService, isMlsClientKind, type MlsClientKind } from './room-mls.ts';

function mls(kind: MessageInitShape<typeof ClientMessageSchema>['kind']): MlsClientKind {
  const k = create(ClientMessageSchema, { kind }).kind;
  assert.ok(isMlsClientKind(k));
  return k;
}

const A = ParticipantId('a');
const B = ParticipantId('b');

function sent(): { out: [ParticipantId, ServerMessage][]; ds: RoomDeliveryService } {
  const out: [ParticipantId, ServerMessage][] = [];
  return { out, ds: new RoomDeliveryService((to, m) => out.push([to, m]), { now: () => 0 }) };
}

test('RoomDeliveryService: joins ask for a key package; requests are answered by request id', () => {
  const { out, ds } = sent();
  ds.joined(A);
  assert.deepEqual(
    out.map(([to, m]) => [to, m.requestId, m.kind.case]),
    [[A, 0, 'mlsKeyPackageRequest']],
  );
  out.length = 0;
  // The first key package founds the group: acked (request 7), then a commit request at epoch 0 to the founder.
  ds.handle(A, mls({ case: 'mlsKeyPackage', value: { keyPackage: new Uint8Array([1]) } }), 7);
  assert.deepEqual(
    out.map(([to, m]) => [to, m.requestId, m.kind.case]),
    [
      [A, 7, 'ack'],
      [A, 0, 'mlsCommitRequest'],
    ],
  );
  out.length = 0;
  // A refusal answers the request itself; request id 0 gets no ack.
  ds.handle(B, mls({ case: 'mlsKeyPackage', value: { keyPackage: new Uint8Array() } }), 9);
  assert.equal(out.length, 1);
  const [to, refusal] = out[0] ?? assert.fail('no refusal');
  assert.equal(to, B);
  assert.equal(refusal.requestId, 9);
  assert.equal(
    refusal.kind.case === 'error' ? refusal.kind.value.code : undefined,
    ErrorCode.INVALID_REQUEST,
  );
  out.length = 0;
  ds.handle(B, mls({ case: 'mlsKeyPackage', value: { keyPackage: new Uint8Array([2]) } }), 0);
  assert.ok(out.every(([, m]) => m.kind.case !== 'ack'));
  assert.throws(() => {
    ds.handle(A, mls({ case: 'mlsProposal', value: {} }), 3);
  }, /not supported/);
  assert.equal(
    isMlsClientKind(create(ClientMessageSchema, { kind: { case: 'heartbeat', value: {} } }).kind),
    false,
  );
});
