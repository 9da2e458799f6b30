import {
  CreateMeetingBodySchema,
  CreateMeetingResponseSchema,
  EndMeetingResponseSchema,
  JoinBodySchema,
  JoinResponseSchema,
  JwksSchema,
  ListMeetingsQuerySchema,
  ListMeetingsResponseSchema,
  MeetingIdParamsSchema,
  MeetingInfoSchema,
} from './schemas.ts';

/**
 * The REST routes as data: registration uses `schema`, and the OpenAPI document is generated from the same specs.
 * Paths are relative to each mount prefix (`/api/v1`, and `/v1` of architecture.md).
 */
export const ROUTE_SPECS = {
  createMeeting: {
    method: 'POST',
    path: '/meetings',
    summary: 'Create a meeting (201) and get the host join token',
    scopes: ['user.write.gc'],
    errors: [400, 401, 403, 409, 413, 429, 503],
    schema: { body: CreateMeetingBodySchema, response: { 201: CreateMeetingResponseSchema } },
  },
  getMeeting: {
    method: 'GET',
    path: '/meetings/:id',
    summary: 'Meeting info and current Meeting Controller URL (by id or code)',
    scopes: ['user.read.gc (optional for meetings with require_auth false)'],
    errors: [400, 401, 403, 404, 429, 503],
    schema: { params: MeetingIdParamsSchema, response: { 200: MeetingInfoSchema } },
  },
  listMeetings: {
    method: 'GET',
    path: '/meetings',
    summary: "List the caller's meetings (newest first, cursor paging)",
    scopes: ['user.read.gc', 'user.admin.gc for other users'],
    errors: [400, 401, 403, 429],
    schema: { querystring: ListMeetingsQuerySchema, response: { 200: ListMeetingsResponseSchema } },
  },
  endMeeting: {
    method: 'DELETE',
    path: '/meetings/:id',
    summary: 'End a meeting: its Meeting Controller disconnects participants with MEETING_ENDED',
    scopes: ['user.write.gc (host, or user.admin.gc)'],
    errors: [400, 401, 403, 404, 409, 429],
    schema: { params: MeetingIdParamsSchema, response: { 200: EndMeetingResponseSchema } },
  },
  joinMeeting: {
    method: 'POST',
    path: '/meetings/:id/join',
    summary:
      'Get a 5-minute join token (signed-in user, or guest by display name when require_auth is false)',
    scopes: ['user.read.gc (optional: guests send no token)'],
    errors: [400, 401, 403, 404, 409, 413, 429, 503],
    schema: { params: MeetingIdParamsSchema, body: JoinBodySchema, response: { 200: JoinResponseSchema } },
  },
  joinKeys: {
    method: 'GET',
    path: '/join-keys.json',
    summary: 'JWKS of the keys join tokens are signed with (for Meeting Controllers)',
    scopes: [],
    errors: [429],
    schema: { response: { 200: JwksSchema } },
  },
} as const;

export type RouteSpec = (typeof ROUTE_SPECS)[keyof typeof ROUTE_SPECS];
