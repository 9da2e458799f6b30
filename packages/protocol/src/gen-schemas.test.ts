import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  ClientMessageSchema,
  ErrorCode,
  GlobalControllerService,
  LeaveReason,
  MediaHandlerService,
  MeetingControllerService,
  ServerMessageSchema,
  StreamType,
} from './index.ts';

test('documented enum numbers are kept', () => {
  assert.equal(ErrorCode.UNKNOWN, 0);
  assert.equal(ErrorCode.STREAM_ERROR, 8);
  assert.equal(ErrorCode.RATE_LIMITED, 9);
  assert.equal(LeaveReason.MEETING_ENDED, 3);
  assert.equal(StreamType.VIDEO_SCREEN, 2);
});

test('a join request survives the ClientMessage envelope', () => {
  const msg = create(ClientMessageSchema, {
    requestId: 7,
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    kind: {
      case: 'join',
      value: {
        meetingId: '550e8400-e29b-41d4-a716-446655440000',
        joinToken: 'tok',
        participantName: 'Alice',
        capabilities: { videoCodecs: ['VP9', 'AV1'], audioCodecs: ['Opus'], supportsSimulcast: true },
      },
    },
  });
  const back = fromBinary(ClientMessageSchema, toBinary(ClientMessageSchema, msg));
  assert.equal(back.requestId, 7);
  assert.ok(back.kind.case === 'join');
  assert.deepEqual(back.kind.value.capabilities?.videoCodecs, ['VP9', 'AV1']);
});

test('an error reply keeps its code and details', () => {
  const msg = create(ServerMessageSchema, {
    requestId: 3,
    kind: {
      case: 'error',
      value: { code: ErrorCode.CAPACITY_EXCEEDED, message: 'full', details: { max: '100' } },
    },
  });
  const back = fromBinary(ServerMessageSchema, toBinary(ServerMessageSchema, msg));
  assert.ok(back.kind.case === 'error');
  assert.equal(back.kind.value.code, ErrorCode.CAPACITY_EXCEEDED);
  assert.deepEqual(back.kind.value.details, { max: '100' });
});

test('services declare the documented RPCs', () => {
  assert.deepEqual(Object.keys(GlobalControllerService.method).sort(), [
    'deregisterMeetingController',
    'heartbeat',
    'registerMeetingController',
  ]);
  assert.ok('registerMediaHandler' in MeetingControllerService.method);
  assert.ok('routeMedia' in MediaHandlerService.method);
  assert.equal(MediaHandlerService.typeName, 'darktower.v1.MediaHandlerService');
});
