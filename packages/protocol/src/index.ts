// Generated protobuf schemas and types (package darktower.v1). Each generated file exports distinct names.
export * from './gen/darktower/v1/enums_pb.ts';
export * from './gen/darktower/v1/common_pb.ts';
export * from './gen/darktower/v1/layout_pb.ts';
export * from './gen/darktower/v1/mls_pb.ts';
export * from './gen/darktower/v1/signaling_pb.ts';
export * from './gen/darktower/v1/media_control_pb.ts';
export * from './gen/darktower/v1/global_controller_pb.ts';
export * from './gen/darktower/v1/meeting_controller_pb.ts';
export * from './gen/darktower/v1/media_handler_pb.ts';
