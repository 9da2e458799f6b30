// REST calls to the Auth and Global Controller APIs (api-contracts.md 1): sign in, create, look up and join meetings.
import { anySignal } from '../core/abort.ts';
import { ClientError } from '../core/client-error.ts';

export interface MeetingInfo {
  readonly meetingId: string;
  readonly meetingCode: string;
  readonly meetingUrl: string;
  readonly displayName: string;
  readonly participantCount: number;
  readonly maxParticipants: number;
  readonly status: 'active' | 'ended';
  readonly requireAuth: boolean;
}

export interface CreatedMeeting {
  readonly meetingId: string;
  readonly meetingCode: string;
  readonly meetingUrl: string;
  readonly joinToken: string;
  readonly meetingControllerUrl: string;
}

export interface JoinGrant {
  readonly meetingId: string;
  readonly joinToken: string;
  readonly meetingControllerUrl: string;
  readonly role: string;
  readonly expiresAt: string;
}

export interface ApiOptions {
  /** Origin of the API, e.g. "http://localhost:8080" (default: same origin in a page). */
  readonly baseUrl: string;
  readonly fetch?: typeof fetch;
  /** Per-request deadline (default 10 s). */
  readonly timeoutMs?: number;
}

type Json = Record<string, unknown>;

export class DarkTowerApi {
  readonly #base: string;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;

  constructor(options: ApiOptions) {
    this.#base = options.baseUrl.replace(/\/+$/, '');
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  async register(
    user: { username: string; password: string; displayName: string },
    signal?: AbortSignal,
  ): Promise<void> {
    await this.#call('POST', '/api/v1/users', {
      body: { username: user.username, password: user.password, display_name: user.displayName },
      signal,
    });
  }

  /** A user access token (1 hour). */
  async signIn(user: { username: string; password: string }, signal?: AbortSignal): Promise<string> {
    const body = await this.#call('POST', '/v1/auth/user/token', { body: user, signal });
    return str(body, 'access_token');
  }

  async createMeeting(
    meeting: { displayName: string; requireAuth?: boolean; maxParticipants?: number },
    userToken: string,
    signal?: AbortSignal,
  ): Promise<CreatedMeeting> {
    const body = await this.#call('POST', '/api/v1/meetings', {
      token: userToken,
      signal,
      body: {
        display_name: meeting.displayName,
        ...(meeting.maxParticipants === undefined ? {} : { max_participants: meeting.maxParticipants }),
        settings: { require_auth: meeting.requireAuth ?? false },
      },
    });
    return {
      meetingId: str(body, 'meeting_id'),
      meetingCode: str(body, 'meeting_code'),
      meetingUrl: str(body, 'meeting_url'),
      joinToken: str(body, 'join_token'),
      meetingControllerUrl: str(body, 'meeting_controller_url'),
    };
  }

  async getMeeting(idOrCode: string, userToken?: string, signal?: AbortSignal): Promise<MeetingInfo> {
    const body = await this.#call('GET', `/api/v1/meetings/${encodeURIComponent(idOrCode)}`, {
      token: userToken,
      signal,
    });
    const settings = (body.settings ?? {}) as Json;
    return {
      meetingId: str(body, 'meeting_id'),
      meetingCode: str(body, 'meeting_code'),
      meetingUrl: str(body, 'meeting_url'),
      displayName: str(body, 'display_name'),
      participantCount: Number(body.participant_count ?? 0),
      maxParticipants: Number(body.max_participants ?? 0),
      status: body.status === 'ended' ? 'ended' : 'active',
      requireAuth: settings.require_auth === true,
    };
  }

  /** A 5-minute join token: for the signed-in user, or a guest by display name. */
  async joinMeeting(
    idOrCode: string,
    who: {
      displayName: string;
      userToken?: string | undefined;
      /** W3C trace context of the caller's span: the Global Controller's spans join that trace. */
      traceparent?: string | undefined;
    },
    signal?: AbortSignal,
  ): Promise<JoinGrant> {
    const body = await this.#call('POST', `/api/v1/meetings/${encodeURIComponent(idOrCode)}/join`, {
      token: who.userToken,
      traceparent: who.traceparent,
      signal,
      body: { display_name: who.displayName },
    });
    return {
      meetingId: str(body, 'meeting_id'),
      joinToken: str(body, 'join_token'),
      meetingControllerUrl: str(body, 'meeting_controller_url'),
      role: typeof body.role === 'string' ? body.role : 'participant',
      expiresAt: typeof body.expires_at === 'string' ? body.expires_at : '',
    };
  }

  /** Any other JSON endpoint of the same origin (e.g. the dev stack's configuration). */
  getJson(path: string, signal?: AbortSignal): Promise<Json> {
    return this.#call('GET', path, { signal });
  }

  async #call(
    method: 'GET' | 'POST',
    path: string,
    options: {
      body?: unknown;
      token?: string | undefined;
      traceparent?: string | undefined;
      signal?: AbortSignal | undefined;
    },
  ): Promise<Json> {
    const headers: Record<string, string> = {};
    if (options.traceparent !== undefined) headers.traceparent = options.traceparent;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.token !== undefined && options.token !== '')
      headers.authorization = `Bearer ${options.token}`;
    let response: Response;
    try {
      response = await this.#fetch(`${this.#base}${path}`, {
        method,
        headers,
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
        signal: anySignal(options.signal, AbortSignal.timeout(this.#timeoutMs)),
      });
    } catch (error) {
      if (options.signal?.aborted === true) throw ClientError.aborted(options.signal.reason);
      throw new ClientError('UNAVAILABLE', `${method} ${path} failed`, { cause: error });
    }
    const text = await response.text();
    let body: Json = {};
    try {
      body = text === '' ? {} : (JSON.parse(text) as Json);
    } catch {
      if (response.ok) throw ClientError.protocol(`${method} ${path}: response is not JSON`);
    }
    if (!response.ok) {
      const e = (body.error ?? {}) as Json;
      const code = typeof e.code === 'string' ? e.code : statusCode(response.status);
      const message = typeof e.message === 'string' ? e.message : `HTTP ${response.status}`;
      throw ClientError.fromWire(code, message, { status: String(response.status) });
    }
    return body;
  }
}

function str(body: Json, key: string): string {
  const v = body[key];
  if (typeof v !== 'string') throw ClientError.protocol(`response field ${key} is missing`);
  return v;
}

function statusCode(status: number): string {
  if (status === 401) return 'UNAUTHORIZED';
  if (status === 403) return 'FORBIDDEN';
  if (status === 404) return 'NOT_FOUND';
  if (status === 409) return 'CONFLICT';
  if (status === 429) return 'RATE_LIMITED';
  if (status === 503) return 'UNAVAILABLE';
  return 'INTERNAL';
}
