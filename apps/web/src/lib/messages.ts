import { isClientError } from '@darktower/client';

/** A sentence a person understands for an error from the SDK. */
export function describeError(error: unknown): string {
  if (isClientError(error)) {
    switch (error.code) {
      case 'CAPACITY_EXCEEDED':
        return 'This meeting is full.';
      case 'MEETING_ENDED':
        return 'This meeting has ended.';
      case 'NOT_FOUND':
        return /ended/i.test(error.message) ? 'This meeting has ended.' : 'No meeting with that code exists.';
      case 'UNAUTHORIZED':
      case 'FORBIDDEN':
        return 'You are not authorized to join this meeting. Sign in with an account that may join it.';
      case 'UNAVAILABLE':
        return 'The service is not reachable right now. Try again in a moment.';
      case 'TIMEOUT':
        return 'The connection timed out. Check your network and try again.';
      default:
        return error.message;
    }
  }
  if (error instanceof DOMException && error.name === 'NotAllowedError')
    return 'Camera or microphone access was denied.';
  return error instanceof Error ? error.message : String(error);
}
