// Builds openapi.json from the router: trpc-to-openapi generates it, then it is made to say what the server really does.
import type { AnyRouter } from '@trpc/server';
import { generateOpenApiDocument, type OpenAPIObject } from 'trpc-to-openapi';
import { createSchema } from 'zod-openapi';
import type { ZodType } from 'zod';
import { ErrorBody } from '../../schema/index.js';
import { restRoutes, type RestRoute } from './routes.js';
import { PREFER_PARAMETER, PREFERENCE_APPLIED_HEADER } from './prefer.js';
import { addWebhookPaths } from './webhook-docs.js';

const ERROR_DESCRIPTIONS: Record<number, string> = {
  401: 'No API key, or one that is unknown, expired or revoked (`WWW-Authenticate: Bearer`)',
  403: 'The API key lacks the scope this operation needs (the message names it)',
  400: 'Invalid input (malformed JSON, or a field that fails validation; `issues` names each one)',
  404: 'Not found (names the missing id), or an unknown route',
  405: 'Method not allowed on this path',
  409: 'Conflict with the current state (e.g. leaving a closed incident), or a request with the same Idempotency-Key still running',
  413: 'Request body too large',
  415: 'Request body is not JSON',
  429: 'Over the rate limit of this key (or address); retry after `Retry-After` seconds (`RateLimit` says more)',
  422: 'The Idempotency-Key was already used with a different request',
  500: 'Internal error; reveals nothing, see the server log by request_id',
  503: 'The database is unavailable (restarting, unreachable, out of connections); retry after `Retry-After` seconds',
};

const RETRY_AFTER = {
  'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer', minimum: 1 } },
};

const IDEMPOTENCY_KEY_PARAMETER = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description:
    'Makes the request safe to retry (IETF httpapi Idempotency-Key draft): the first successful response to a key is ' +
    'stored with the writes and replayed to a retry with the same key and body (header `Idempotent-Replayed: true`) ' +
    'for 24 hours; the same key with another body is 422, while the first request still runs 409. 1 to 255 visible ' +
    'ASCII characters, e.g. a UUID.',
  schema: { type: 'string', minLength: 1, maxLength: 255 },
};

type Json = Record<string, unknown>;

function errorCodesFor(route: RestRoute): number[] {
  const codes = new Set([400, 401, 403, 429, 500, 503]);
  if (route.meta.rest?.idempotent) codes.add(409).add(422);
  if (route.pathParams.length > 0 || route.path.startsWith('events.ingest')) codes.add(404);
  // Every method but GET and DELETE reads a JSON body when one is sent (src/rest/input.ts), query-string ones too.
  if (route.method !== 'GET' && route.method !== 'DELETE') codes.add(413).add(415);
  const declared = route.meta.openapi?.errorResponses ?? [];
  for (const code of Array.isArray(declared) ? declared : Object.keys(declared).map(Number)) codes.add(code);
  return [...codes].sort();
}

/** The JSON schema of a Zod schema; any named schemas it refers to are added to `schemas`. */
function jsonSchema(schema: ZodType, schemas: Record<string, unknown>): Json {
  const { schema: out, components } = createSchema(schema, { io: 'input' });
  Object.assign(schemas, components);
  return out as Json;
}

/**
 * Query parameters for a non-GET procedure whose input comes from the query string (e.g. `?status=`): the
 * generator documented them as a JSON body, so its body schema is turned into one parameter per property.
 */
function queryParameters(route: RestRoute, op: Json): Json[] {
  const content = (op.requestBody as { content?: Record<string, { schema?: Json }> } | undefined)?.content;
  const schema = (content?.['application/json']?.schema ?? {}) as {
    properties?: Record<string, Json>;
    required?: string[];
  };
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {})
    .filter(([name]) => !route.pathParams.includes(name))
    .map(([name, s]) => {
      const { description, ...rest } = s;
      return { name, in: 'query', required: required.has(name), schema: rest, ...(description ? { description } : {}) };
    });
}

/**
 * The JSON body a query-string procedure also takes (src/rest/input.ts): the same fields as an object, none required
 * there, each of which must agree with the query string when given in both (else 400). Undefined with no fields.
 */
function optionalBody(route: RestRoute, op: Json): Json | undefined {
  const content = (op.requestBody as { content?: Record<string, { schema?: Json }> } | undefined)?.content;
  const schema = (content?.['application/json']?.schema ?? {}) as { properties?: Record<string, Json> };
  const properties = Object.fromEntries(
    Object.entries(schema.properties ?? {}).filter(([name]) => !route.pathParams.includes(name)),
  );
  if (Object.keys(properties).length === 0) return undefined;
  return {
    required: false,
    description:
      'Optional: the query parameters as a JSON object instead (or as well: a field given in both must say the same, ' +
      'else 400)',
    content: { 'application/json': { schema: { type: 'object', properties, additionalProperties: false } } },
  };
}

/**
 * The generator leaves a query parameter's description inside its schema, where documentation viewers (Swagger UI)
 * do not show it: it becomes the parameter's own description.
 */
function hoistDescriptions(op: Json): void {
  for (const param of (op.parameters as Json[] | undefined) ?? []) {
    const schema = param.schema as Json | undefined;
    if (param.description === undefined && typeof schema?.description === 'string') {
      param.description = schema.description;
      delete schema.description;
    }
  }
}

export interface DocumentOptions {
  version: string;
  /** Where the REST facade is mounted, e.g. `/api`. */
  prefix: string;
}

export function buildOpenApiDocument(router: AnyRouter, opts: DocumentOptions): OpenAPIObject {
  const doc = generateOpenApiDocument(router, {
    title: 'Warroom',
    description:
      'Incident response platform: incidents with a status lifecycle, a timeline, events and remediation actions. ' +
      'Every path also answers with a trailing slash. The same procedures are served over tRPC at /trpc.',
    version: opts.version,
    baseUrl: opts.prefix,
    defs: { Error: ErrorBody as unknown as ZodType },
  });
  const schemas = (doc.components?.schemas ?? {}) as Record<string, unknown>;
  for (const name of Object.keys(schemas)) if (name.startsWith('error.')) delete schemas[name];
  // One scheme, whatever the generator guessed: a bearer API key, with the scope each operation needs.
  doc.components = {
    ...doc.components,
    securitySchemes: {
      bearerAuth: {
        type: 'http',
        scheme: 'bearer',
        description:
          'An API key (`wr_…`) from `warroom keys create` or POST /api/keys. Scopes: `ingest` (post events), `read` ' +
          '(every GET, listening in rooms), `write` (changes, speaking; implies read), `admin` (keys and integrations; ' +
          'implies all). ' +
          'Not needed while the server is open (AUTH=auto with no key, on loopback; or AUTH=off).',
      },
    },
  };

  for (const route of restRoutes(router)) {
    const item = (doc.paths?.[route.openapiPath] ?? {}) as Record<string, Json>;
    const op = item[route.method.toLowerCase()];
    if (!op) throw new Error(`generator left out ${route.method} ${route.openapiPath}`);
    op.security = [{ bearerAuth: [route.meta.scope] }];

    if (route.inputFrom === 'query' && route.method !== 'GET') {
      const pathParams = ((op.parameters as Json[] | undefined) ?? []).filter((p) => p.in === 'path');
      op.parameters = [...pathParams, ...queryParameters(route, op)];
      const body = optionalBody(route, op);
      if (body && route.method !== 'DELETE') op.requestBody = body;
      else delete op.requestBody;
    }
    hoistDescriptions(op);
    const arrayBody = route.meta.rest?.arrayBody;
    if (arrayBody) {
      op.requestBody = { required: true, content: { 'application/json': { schema: jsonSchema(arrayBody, schemas) } } };
    }

    const responses = op.responses as Record<string, Json>;
    const success = responses['200'];
    const out: Record<string, Json> = {};
    const descriptions = { 200: 'OK', 201: 'Created', 202: 'Accepted' } as const;
    if (success) out[String(route.successStatus)] = { ...success, description: descriptions[route.successStatus] };
    for (const code of errorCodesFor(route)) {
      out[String(code)] = {
        description: ERROR_DESCRIPTIONS[code] ?? 'Error',
        ...(code === 503 || code === 429 ? { headers: RETRY_AFTER } : {}),
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      };
    }
    if (route.meta.rest?.idempotent) {
      op.parameters = [...((op.parameters as Json[] | undefined) ?? []), IDEMPOTENCY_KEY_PARAMETER];
    }
    if (route.meta.rest?.minimalReturn) {
      op.parameters = [...((op.parameters as Json[] | undefined) ?? []), PREFER_PARAMETER];
      const created = out[String(route.successStatus)];
      if (created) {
        created.headers = {
          [PREFERENCE_APPLIED_HEADER]: {
            description: '`return=minimal` when the request asked for it; the body is then empty',
            schema: { type: 'string' },
          },
        };
      }
    }
    op.responses = out;
  }
  addWebhookPaths(doc);
  return doc;
}
