// Turns an HTTP request into a procedure's raw input: path params, query string and JSON body, as its route says.
import { TRPCError } from '@trpc/server';
import type { Context as HonoContext } from 'hono';
import { AppError } from '../domain/errors.js';
import { readBodyText, requestHeader } from '../http/node-io.js';
import type { RestRoute } from './procedures.js';

/** A TRPCError, so the one error mapping (trpc/errors.ts describeError) answers it with 415. */
export class UnsupportedMediaType extends TRPCError {
  override readonly name = 'UnsupportedMediaType';
  constructor(message: string) {
    super({ code: 'UNSUPPORTED_MEDIA_TYPE', message });
  }
}

function queryObject(href: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (!href.includes('?')) return out;
  const url = new URL(href);
  for (const key of new Set(url.searchParams.keys())) {
    const all = url.searchParams.getAll(key);
    out[key] = all.length === 1 ? (all[0] ?? '') : all;
  }
  return out;
}

function isJsonContentType(ct: string | undefined): boolean {
  if (!ct) return false;
  const mime = ct.split(';')[0]?.trim().toLowerCase() ?? '';
  return mime === 'application/json' || mime.endsWith('+json');
}

async function readJsonBody(c: HonoContext, required: boolean, maxBytes: number): Promise<unknown> {
  const text = await readBodyText(c, maxBytes);
  if (text.trim() === '') {
    if (required) throw new AppError('BAD_REQUEST', 'request body is empty; expected JSON');
    return undefined;
  }
  const ct = requestHeader(c, 'content-type');
  if (!isJsonContentType(ct)) {
    throw new UnsupportedMediaType(
      ct ? `unsupported content-type "${ct}"; send application/json` : 'missing content-type; send application/json',
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const detail = err instanceof Error ? err.message : 'invalid JSON';
    throw new AppError('BAD_REQUEST', `malformed JSON body: ${detail}`);
  }
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The raw input, or a promise of it when a body must be read first: a GET does not pay for an extra promise.
 * Throws (or rejects) AppError for a bad body, UnsupportedMediaType, PayloadTooLarge.
 */
export function readInput(c: HonoContext, route: RestRoute, maxBodyBytes: number): unknown {
  const pathInput: Record<string, string> = {};
  for (const p of route.pathParams) pathInput[p] = c.req.param(p) ?? '';

  if (route.arrayBody) return readJsonBody(c, true, maxBodyBytes);

  const fromQuery = route.inputFrom === 'query' ? queryObject(c.req.url) : {};
  if (route.method === 'GET' || route.method === 'DELETE') return { ...fromQuery, ...pathInput };
  // A PATCH documented with query parameters may still carry a JSON object body; the query wins on conflict.
  return readJsonBody(c, route.inputFrom === 'body', maxBodyBytes).then((body) => {
    if (body !== undefined && !isPlainObject(body)) {
      throw new AppError('BAD_REQUEST', 'request body must be a JSON object');
    }
    return { ...(body ?? {}), ...fromQuery, ...pathInput };
  });
}
