export { startDevStack, type DevStack, type DevStackInfo, type DevStackOptions } from './dev/dev-stack.ts';
export { callApi, ApiError, type ApiRequest } from './api-client.ts';
