// @darktower/meeting: the Meeting Controller.
export {
  buildMeetingController,
  type MeetingController,
  type MeetingControllerAddresses,
  type MeetingControllerOverrides,
} from './meeting-controller.ts';
export { loadMeetingConfig, type MeetingConfig } from './config.ts';
