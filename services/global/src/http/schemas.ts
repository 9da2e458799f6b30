import { Type, type Static } from 'typebox';

/** Route schemas: the single source of request validation, response serialization and the OpenAPI document. */

const strict = { additionalProperties: false } as const;

export const ErrorBodySchema = Type.Object(
  {
    error: Type.Object(
      {
        code: Type.String({ description: 'Stable error code (api-contracts.md)' }),
        message: Type.String(),
        details: Type.Object({}, { additionalProperties: true }),
      },
      strict,
    ),
  },
  { ...strict, $id: 'ErrorBody' },
);

const Uuid = Type.String({
  pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
});
const IsoTime = Type.String({ description: 'RFC 3339 UTC time' });
const DisplayName = Type.String({ minLength: 1, maxLength: 200 });

export const MeetingSettingsSchema = Type.Object(
  {
    enable_e2e_encryption: Type.Optional(Type.Boolean()),
    require_auth: Type.Optional(Type.Boolean()),
    recording_enabled: Type.Optional(Type.Boolean()),
  },
  strict,
);

export const CreateMeetingBodySchema = Type.Object(
  {
    display_name: DisplayName,
    max_participants: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
    settings: Type.Optional(MeetingSettingsSchema),
  },
  strict,
);
export type CreateMeetingBody = Static<typeof CreateMeetingBodySchema>;

export const CreateMeetingResponseSchema = Type.Object(
  {
    meeting_id: Uuid,
    meeting_code: Type.String(),
    meeting_url: Type.String(),
    join_token: Type.String(),
    meeting_controller_url: Type.String(),
    meeting_controller_region: Type.String(),
    created_at: IsoTime,
  },
  strict,
);

export const MeetingIdParamsSchema = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 64, description: 'Meeting id (UUID) or code (abc-defg-hij)' }),
  },
  strict,
);
export type MeetingIdParams = Static<typeof MeetingIdParamsSchema>;

export const MeetingInfoSchema = Type.Object(
  {
    meeting_id: Uuid,
    meeting_code: Type.String(),
    meeting_url: Type.String(),
    display_name: Type.String(),
    participant_count: Type.Integer(),
    max_participants: Type.Integer(),
    created_at: IsoTime,
    ended_at: Type.Union([IsoTime, Type.Null()]),
    status: Type.Union([Type.Literal('active'), Type.Literal('ended')]),
    settings: Type.Object(
      {
        enable_e2e_encryption: Type.Boolean(),
        require_auth: Type.Boolean(),
        recording_enabled: Type.Boolean(),
      },
      strict,
    ),
    meeting_controller_region: Type.Union([Type.String(), Type.Null()]),
    meeting_controller_url: Type.Union([Type.String(), Type.Null()]),
  },
  strict,
);

export const ListMeetingsQuerySchema = Type.Object(
  {
    user_id: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    active: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
    limit: Type.Optional(
      Type.String({ pattern: '^(?:[1-9]|[1-9][0-9]|100)$', description: '1..100, default 20' }),
    ),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  strict,
);
export type ListMeetingsQuery = Static<typeof ListMeetingsQuerySchema>;

export const MeetingSummarySchema = Type.Object(
  {
    meeting_id: Uuid,
    meeting_code: Type.String(),
    display_name: Type.String(),
    participant_count: Type.Integer(),
    created_at: IsoTime,
    ended_at: Type.Union([IsoTime, Type.Null()]),
  },
  strict,
);

export const ListMeetingsResponseSchema = Type.Object(
  {
    meetings: Type.Array(MeetingSummarySchema),
    total: Type.Integer(),
    next_cursor: Type.Union([Type.String(), Type.Null()]),
  },
  strict,
);

export const EndMeetingResponseSchema = Type.Object(
  {
    meeting_id: Uuid,
    status: Type.Literal('ended'),
    ended_at: IsoTime,
  },
  strict,
);

export const JoinBodySchema = Type.Object({ display_name: Type.Optional(DisplayName) }, strict);
export type JoinBody = Static<typeof JoinBodySchema>;

export const JoinResponseSchema = Type.Object(
  {
    join_token: Type.String(),
    meeting_id: Uuid,
    meeting_controller_url: Type.String(),
    expires_at: IsoTime,
    participant_identity: Type.String(),
    role: Type.Union([Type.Literal('host'), Type.Literal('participant')]),
  },
  strict,
);

export const JwksSchema = Type.Object(
  {
    keys: Type.Array(
      Type.Object(
        {
          kty: Type.String(),
          crv: Type.String(),
          x: Type.String(),
          kid: Type.String(),
          alg: Type.String(),
          use: Type.String(),
        },
        strict,
      ),
    ),
  },
  strict,
);
