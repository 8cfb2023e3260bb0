// Turns an HTTP request into a procedure's raw input: path params, query string and JSON body, as its route says.
import type { Context as HonoContext } from 'hono';
import { HttpError } from '../http/errors.js';
import { readBodyText, requestHeader } from '../http/node-io.js';
import { queryObject } from '../http/query.js';
import type { RestRoute } from './routes.js';

function isJsonContentType(ct: string | undefined): boolean {
  if (!ct) return false;
  const mime = ct.split(';')[0]?.trim().toLowerCase() ?? '';
  return mime === 'application/json' || mime.endsWith('+json');
}

async function readJsonBody(c: HonoContext, required: boolean, maxBytes: number): Promise<unknown> {
  const text = await readBodyText(c, maxBytes);
  if (text.trim() === '') {
    if (required) throw new HttpError('BAD_REQUEST', 'request body is empty; expected JSON');
    return undefined;
  }
  const ct = requestHeader(c, 'content-type');
  if (!isJsonContentType(ct)) {
    throw new HttpError(
      'UNSUPPORTED_MEDIA_TYPE',
      ct ? `unsupported content-type "${ct}"; send application/json` : 'missing content-type; send application/json',
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    // JSON.parse's SyntaxError names the position, useful to the sender; a RangeError (nesting deeper than the
    // engine's stack) would only leak an engine message.
    const detail = err instanceof SyntaxError ? err.message : 'it nests too deeply';
    throw new HttpError('BAD_REQUEST', `malformed JSON body: ${detail}`);
  }
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The procedure's raw input. GET and DELETE: query and path parameters. Otherwise the JSON body, merged with the
 * query string (for a PATCH documented with query parameters; a field in both with different values is a 400) and
 * the path parameters; a body that is a JSON array (a batch) is the whole input. Throws HttpError for a bad body (400, 413, 415).
 */
export async function readInput(c: HonoContext, route: RestRoute, maxBodyBytes: number): Promise<unknown> {
  const pathInput: Record<string, string> = {};
  for (const p of route.pathParams) pathInput[p] = c.req.param(p) ?? '';
  const fromQuery = route.inputFrom === 'query' ? queryObject(c.req.url) : {};
  refuseConflicts(fromQuery, pathInput, 'the path', 'the query string');
  if (route.method === 'GET' || route.method === 'DELETE') return { ...fromQuery, ...pathInput };
  const body = await readJsonBody(c, route.inputFrom === 'body', maxBodyBytes);
  if (Array.isArray(body) && route.pathParams.length === 0 && route.inputFrom === 'body') return body;
  if (body !== undefined && !isPlainObject(body))
    throw new HttpError('BAD_REQUEST', 'request body must be a JSON object');
  if (body !== undefined) refuseConflicts(body, fromQuery, 'the query string');
  if (body !== undefined) refuseConflicts(body, pathInput, 'the path');
  return { ...(body ?? {}), ...fromQuery, ...pathInput };
}

/**
 * A field given in the body and again in the query string or the path, or in the query string and the path, must say
 * the same thing: which one wins is nowhere a client would look, so a conflict is a 400 naming the field rather than
 * one value silently dropped (`PATCH …/status?status=resolved` with `{"status": "investigating"}` applied `resolved`;
 * `PATCH /api/incidents/A/status?incident_id=B` changed A).
 */
function refuseConflicts(
  given: Record<string, unknown>,
  other: Record<string, unknown>,
  where: string,
  givenWhere = 'the body',
): void {
  for (const [name, value] of Object.entries(other)) {
    if (!Object.hasOwn(given, name) || given[name] === value) continue;
    throw new HttpError(
      'BAD_REQUEST',
      `${name} is given in ${givenWhere} and in ${where} with different values; give it once`,
    );
  }
}
