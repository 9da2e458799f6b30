import { isHttpError, type ErrorBody, type HttpErrorCode } from './http-error.ts';

/** What to answer for an error thrown while handling a request. */
export interface ErrorReply {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
  /** True for 5xx: log the error with its stack (the client only sees a generic message). */
  internal: boolean;
}

const CODE_BY_STATUS: Partial<Record<number, HttpErrorCode>> = {
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  429: 'RATE_LIMITED',
};

// Messages for framework errors are fixed here: their own texts can echo request input or internals.
const MESSAGE_BY_FASTIFY_CODE: Partial<Record<string, [number, string]>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'Request body is too large'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'Unsupported content type'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'Request body is not valid JSON'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'Request body must not be empty for content type application/json'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'Content-Length does not match the body'],
  FST_ERR_BAD_URL: [400, 'Malformed URL'],
  FST_ERR_MAX_PARAM_LENGTH: [414, 'URL parameter is too long'],
};

const MAX_ISSUES = 20;

interface ValidationIssue {
  instancePath?: string;
  message?: string;
}

interface FrameworkErrorLike {
  code?: unknown;
  statusCode?: unknown;
  message?: unknown;
  validation?: unknown;
  validationContext?: unknown;
}

function body(code: string, message: string, details: Record<string, unknown> = {}): ErrorBody {
  return { error: { code, message, details } };
}

/**
 * Maps any error to the api-contracts.md error response: {@link HttpError}s as given, schema validation failures
 * to 400 INVALID_REQUEST with the issues, fastify's own errors (bad JSON, body too large -> 413, unsupported content
 * type -> 415, ...) to INVALID_REQUEST with fixed messages, other 4xx by status, everything else to 500
 * INTERNAL_ERROR without any internals.
 */
export function toErrorReply(error: unknown): ErrorReply {
  if (isHttpError(error)) {
    return {
      status: error.status,
      body: error.toBody(),
      headers: error.headers,
      internal: error.status >= 500,
    };
  }
  const e = (typeof error === 'object' && error !== null ? error : {}) as FrameworkErrorLike;
  if (Array.isArray(e.validation)) {
    const issues = (e.validation as ValidationIssue[]).slice(0, MAX_ISSUES).map((issue) => ({
      path: typeof issue.instancePath === 'string' ? issue.instancePath : '',
      message: typeof issue.message === 'string' ? issue.message : 'is invalid',
    }));
    const context = typeof e.validationContext === 'string' ? e.validationContext : 'request';
    const first = issues[0];
    const message = first === undefined ? `Invalid ${context}` : `${context}${first.path} ${first.message}`;
    return {
      status: 400,
      body: body('INVALID_REQUEST', message, { context, issues }),
      headers: {},
      internal: false,
    };
  }
  if (typeof e.code === 'string') {
    const known = MESSAGE_BY_FASTIFY_CODE[e.code];
    if (known !== undefined) {
      return { status: known[0], body: body('INVALID_REQUEST', known[1]), headers: {}, internal: false };
    }
  }
  const status = typeof e.statusCode === 'number' && Number.isInteger(e.statusCode) ? e.statusCode : 500;
  if (status >= 400 && status < 500) {
    const code = CODE_BY_STATUS[status] ?? 'INVALID_REQUEST';
    const message = code === 'INVALID_REQUEST' ? 'Invalid request' : code.toLowerCase().replace('_', ' ');
    return {
      status,
      body: body(code, message.charAt(0).toUpperCase() + message.slice(1)),
      headers: {},
      internal: false,
    };
  }
  const unavailable = status === 503;
  return {
    status: unavailable ? 503 : 500,
    body: body('INTERNAL_ERROR', unavailable ? 'Service unavailable' : 'Internal server error'),
    headers: {},
    internal: !unavailable,
  };
}
