import { ErrorBodySchema } from './schemas.ts';
import { ROUTE_SPECS } from './route-specs.ts';

export interface OpenApiOptions {
  readonly prefix: string;
  readonly serverUrl: string;
}

interface SchemaSet {
  readonly body?: unknown;
  readonly params?: unknown;
  readonly querystring?: unknown;
  readonly response: Readonly<Record<number, unknown>>;
}

const ERROR_TEXT: Record<number, string> = {
  400: 'INVALID_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'MEETING_NOT_FOUND / NOT_FOUND',
  409: 'CONFLICT',
  413: 'INVALID_REQUEST (body too large)',
  429: 'RATE_LIMITED',
  503: 'CAPACITY_EXCEEDED (no meeting controller available)',
};

/** OpenAPI 3.1 generated from the route schemas (the ones fastify validates with), served at `<prefix>/openapi.json`. */
export function buildOpenApiDocument(options: OpenApiOptions): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [operationId, spec] of Object.entries(ROUTE_SPECS)) {
    const path = `${options.prefix}${spec.path}`.replace(/:([A-Za-z_]+)/g, '{$1}');
    const schema = spec.schema as SchemaSet;
    const parameters = [...objectParams(schema.params, 'path'), ...objectParams(schema.querystring, 'query')];
    const responses: Record<string, unknown> = {};
    for (const [status, body] of Object.entries(schema.response)) {
      responses[status] = {
        description: 'Success',
        content: { 'application/json': { schema: plain(body) } },
      };
    }
    for (const status of spec.errors) {
      responses[String(status)] = {
        description: ERROR_TEXT[status] ?? 'Error',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorBody' } } },
      };
    }
    const operation: Record<string, unknown> = {
      operationId,
      summary: spec.summary,
      parameters,
      responses,
      ...(spec.scopes.length > 0 ? { security: [{ bearer: [] }], 'x-scopes': [...spec.scopes] } : {}),
    };
    if (schema.body !== undefined) {
      operation.requestBody = {
        required: true,
        content: { 'application/json': { schema: plain(schema.body) } },
      };
    }
    paths[path] = { ...paths[path], [spec.method.toLowerCase()]: operation };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Dark Tower Global Controller', version: '1.0.0' },
    servers: [{ url: options.serverUrl }],
    paths,
    components: {
      schemas: { ErrorBody: plain(ErrorBodySchema) },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
  };
}

function objectParams(schema: unknown, where: 'path' | 'query'): Record<string, unknown>[] {
  if (schema === undefined) return [];
  const s = plain(schema) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(s.properties ?? {}).map(([name, prop]) => ({
    name,
    in: where,
    required: where === 'path' || (s.required ?? []).includes(name),
    schema: prop,
  }));
}

/** Plain JSON (drops TypeBox's non-enumerable markers and `$id`s that would clash inside one document). */
function plain(schema: unknown): unknown {
  return JSON.parse(JSON.stringify(schema), (key, value: unknown) => (key === '$id' ? undefined : value));
}
