// The one place an error becomes an answer: its status, headers and the documented error body
// `{code, message, issues?, request_id?}`. REST, /trpc (through the tRPC error formatter), the Hono fallbacks
// (404, 405, 413, 415), the WebSocket upgrade and onError all come through here.
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import { TRPC_ERROR_CODES_BY_KEY, type TRPC_ERROR_CODE_KEY, type TRPC_ERROR_CODE_NUMBER } from '@trpc/server/rpc';
import type { Context as HonoContext } from 'hono';
import { describeIssues, toIssues, type ErrorBody, type Issue, type IssueLike } from '../../schema/index.js';
import type { Logger } from 'pino';
import { isDatabaseUnavailable, needsOperator } from '../db/errors.js';
import { AppError, type AppErrorCode } from '../domain/errors.js';
import type { AppEnv } from './env.js';
import { LogSampler, logRefusal } from '../log-sampler.js';

/** Wire codes: tRPC's code names (so /trpc and REST agree), plus two HTTP-only ones (the room upgrade, node's parser). */
export type WireCode = TRPC_ERROR_CODE_KEY | 'UPGRADE_REQUIRED' | 'REQUEST_HEADER_FIELDS_TOO_LARGE';

/** An error of the HTTP transport itself: no route, wrong method, a body that is too large or not JSON, … */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly code: WireCode,
    message: string,
    /** Headers the answer must carry, e.g. `Allow` on a 405. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Statuses of the codes Warroom itself answers with (tRPC's own errors keep tRPC's mapping). */
const STATUS: Partial<Record<WireCode, number>> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_SUPPORTED: 405,
  CONFLICT: 409,
  UNPROCESSABLE_CONTENT: 422,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UPGRADE_REQUIRED: 426,
  REQUEST_HEADER_FIELDS_TOO_LARGE: 431,
  CLIENT_CLOSED_REQUEST: 499,
  TIMEOUT: 408,
  TOO_MANY_REQUESTS: 429,
  SERVICE_UNAVAILABLE: 503,
};

const DOMAIN_CODES: Record<AppErrorCode, TRPC_ERROR_CODE_KEY> = {
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  INVALID_INPUT: 'BAD_REQUEST',
  UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  UNAUTHENTICATED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  RATE_LIMITED: 'TOO_MANY_REQUESTS',
};

/** RFC 6750 §3: a 401 names the scheme; a 403 for a missing scope names the scope. */
function appErrorHeaders(err: AppError, status: number): Record<string, string> {
  if (status === 503) return { 'Retry-After': String(RETRY_AFTER_SECONDS) };
  if (err.code === 'UNAUTHENTICATED') return { 'WWW-Authenticate': 'Bearer realm="warroom"' };
  if (err.code === 'FORBIDDEN' && err.scope)
    return { 'WWW-Authenticate': `Bearer realm="warroom", error="insufficient_scope", scope="${err.scope}"` };
  return err.headers ?? {};
}

/** Seconds a client should wait before retrying a 503 (the database is restarting, or the server is overloaded). */
export const RETRY_AFTER_SECONDS = 2;

export interface WireError {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
}

function zodIssuesOf(cause: unknown): Issue[] | undefined {
  if (typeof cause !== 'object' || cause === null || !('issues' in cause)) return undefined;
  const issues: unknown = cause.issues;
  if (!Array.isArray(issues)) return undefined;
  const ok = issues.every(
    (i: unknown) => typeof i === 'object' && i !== null && 'path' in i && Array.isArray(i.path) && 'message' in i,
  );
  return ok ? toIssues(issues as IssueLike[]) : undefined;
}

/** tRPC wraps whatever a procedure throws; the domain, transport or database error inside is what the answer is about. */
function unwrap(err: unknown): unknown {
  if (err instanceof TRPCError && err.code === 'INTERNAL_SERVER_ERROR' && err.cause !== undefined) return err.cause;
  return err;
}

/**
 * The 503 for a failure the database caused. What the client is told matches what happened without naming internals:
 * a database that answered but refuses (read-only, grants gone, disk full: needsOperator) is not "not answering", and
 * a retry waits for a person (an outage drill, 2026-12-02, read "not answering" on a read-only database).
 */
const unavailable = (err: unknown): AppError =>
  new AppError(
    'UNAVAILABLE',
    needsOperator(err)
      ? 'the database refuses this request until an operator acts; retry later'
      : 'the database is not answering; retry shortly',
  );

function build(code: WireCode, message: string, issues: Issue[] | undefined, requestId: string | undefined): ErrorBody {
  const body: ErrorBody = { code, message };
  if (issues && issues.length > 0) body.issues = issues;
  if (requestId) body.request_id = requestId;
  return body;
}

/**
 * Describes any error for the wire. Domain errors map by their code; tRPC's input validation failures name each
 * issue; anything unexpected is a 500 that reveals nothing (the log has the details, found by request_id).
 */
export function describeError(error: unknown, requestId?: string): WireError {
  const unwrapped = unwrap(error);
  // Connection loss, shutdown, timeouts and too many connections: the same request may succeed later.
  const err = isDatabaseUnavailable(unwrapped) ? unavailable(unwrapped) : unwrapped;
  if (err instanceof AppError) {
    const code = DOMAIN_CODES[err.code];
    const status = STATUS[code] ?? 500;
    const headers = appErrorHeaders(err, status);
    return { status, headers, body: build(code, err.message, err.issues, requestId) };
  }
  if (err instanceof HttpError) {
    const status = STATUS[err.code] ?? 500;
    return { status, headers: err.headers, body: build(err.code, err.message, undefined, requestId) };
  }
  if (err instanceof TRPCError) {
    const status = getHTTPStatusCodeFromError(err);
    const issues = err.code === 'BAD_REQUEST' ? zodIssuesOf(err.cause) : undefined;
    const message = issues
      ? `invalid input: ${describeIssues(issues)}`
      : status >= 500
        ? 'internal server error'
        : err.message;
    return { status, headers: {}, body: build(err.code, message, issues, requestId) };
  }
  return {
    status: 500,
    headers: {},
    body: build('INTERNAL_SERVER_ERROR', 'internal server error', undefined, requestId),
  };
}

/**
 * A tRPC error shape: what a tRPC client reads from `{ error }` (or each item of a batch). `code` is tRPC's JSON-RPC
 * number for the wire code (tRPC's `TRPC_ERROR_CODES_BY_KEY`; the two HTTP-only codes take BAD_REQUEST's or
 * INTERNAL_SERVER_ERROR's by status); `data` is the REST error body with `httpStatus` (and the procedure's `path`
 * when one was called), so `TRPCClientError.data` carries code, message, issues and request_id.
 */
export interface TrpcErrorShape {
  message: string;
  code: TRPC_ERROR_CODE_NUMBER;
  data: ErrorBody & { httpStatus: number; path?: string | undefined };
}

const isTrpcCode = (code: string): code is TRPC_ERROR_CODE_KEY => code in TRPC_ERROR_CODES_BY_KEY;

export function trpcErrorShape(body: ErrorBody, status: number, path?: string): TrpcErrorShape {
  const code = isTrpcCode(body.code)
    ? TRPC_ERROR_CODES_BY_KEY[body.code]
    : TRPC_ERROR_CODES_BY_KEY[status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST'];
  return { message: body.message, code, data: { ...body, httpStatus: status, path } };
}

/** Whether a request is a tRPC call (`/trpc/<procedure>[,<procedure>…]`), whose errors a tRPC client must read. */
const isTrpcPath = (path: string): boolean => path.startsWith('/trpc/');

/** 503 refusals are logged once a second per instance, with how many were left out (src/log-sampler.ts). */
const refusals = new LogSampler();

/**
 * Logs a request (REST, tRPC, a room upgrade) answered 503: sampled per kind of failure, an error when only an
 * operator can mend it (src/log-sampler.ts logRefusal). `fields` adds to the line (the tRPC procedure's path).
 */
export function logRefusedRequest(log: Logger, error: unknown, fields: Record<string, unknown>): void {
  if (!isDatabaseUnavailable(error)) {
    // A 503 of our own (a subscriber too far behind, updates missed from other instances): not the database's.
    const message = error instanceof Error ? error.message : String(error);
    const logged = refusals.take(`ours:${message}`);
    if (logged) log.warn({ err: error, ...fields, ...logged }, `request refused: ${message}`);
    return;
  }
  logRefusal(refusals, log, error, fields, {
    away: 'request refused: the database is unavailable',
    operator:
      'request refused: the database cannot serve it until an operator acts (tables missing, grants gone, ' +
      'read-only, disk full, or its own I/O or internal errors)',
  });
}

/**
 * The HTTP answer to an error, as `describeError` describes it; a 5xx is logged with its cause first. On /trpc the
 * body is tRPC's envelope `{ error: TrpcErrorShape }` (what tRPC itself answers for an error before any call runs,
 * which httpLink, httpBatchLink and httpBatchStreamLink all read, a batch's every call getting the one error), so a
 * refusal by our middleware (rate limit, body limit, bad UTF-8) reaches a tRPC client as a TRPCClientError with its
 * code and status, not as a response it cannot parse. Elsewhere it is the REST error body.
 */
export function errorResponse(c: HonoContext<AppEnv>, error: unknown): Response {
  const requestId = c.get('requestId');
  const { status, headers, body } = describeError(error, requestId);
  if (status === 503) logRefusedRequest(c.get('log')(), error, {});
  else if (status >= 500) c.get('log')().error({ err: error }, 'request failed');
  for (const [name, value] of Object.entries(headers)) c.header(name, value);
  if (!isTrpcPath(c.req.path)) return c.json(body, status as 500);
  if (c.req.method === 'GET' && c.req.header('accept')?.includes('text/event-stream')) {
    return subscriptionRefusal(c, trpcErrorShape(body, status), headers['Retry-After']);
  }
  return c.json({ error: trpcErrorShape(body, status) }, status as 500);
}

/**
 * A refusal of a tRPC subscription (an EventSource: `Accept: text/event-stream`) before it runs. EventSource cannot
 * read the body of a non-200 answer (httpSubscriptionLink would report only "Non-200 status code" and give up), so
 * it gets what tRPC sends for an error inside a subscription: 200 and one `serialized-error` event with the error
 * shape (https://trpc.io/docs/server/subscriptions, tRPC's sse.ts). The link retries the codes tRPC deems retryable
 * (SERVICE_UNAVAILABLE: the database away) after the `retry` delay set from Retry-After, and ends the subscription
 * with a TRPCClientError carrying the code for the others (a 429 or 401). The refusal's own status stays in the
 * error's `data.httpStatus`.
 */
function subscriptionRefusal(c: HonoContext<AppEnv>, shape: TrpcErrorShape, retryAfter: string | undefined): Response {
  const retry = retryAfter && /^\d+$/.test(retryAfter) ? `retry: ${Number(retryAfter) * 1000}\n` : '';
  // The access log and request metrics record the refusal, not the 200 EventSource needs.
  c.set('refusedWith', shape.data.httpStatus);
  c.header('Content-Type', 'text/event-stream');
  c.header('Cache-Control', 'no-cache');
  return c.body(`${retry}event: serialized-error\ndata: ${JSON.stringify(shape)}\n\n`, 200);
}

/**
 * A whole HTTP/1.1 response as text, for a socket no response object wraps: the status line, `Connection: close`,
 * `headers` in order, and the body with its Content-Length.
 */
export function rawHttpResponse(status: number, headers: Iterable<readonly [string, string]>, body: string): string {
  const lines = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`, 'Connection: close'];
  for (const [name, value] of headers) lines.push(`${name}: ${value}`);
  lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/**
 * Answers a raw socket (one node has not wrapped in a response: a refused upgrade, a request its parser refused) with
 * the error's status, headers and body as HTTP/1.1, and closes it. `requestId` goes in the body and x-request-id, as
 * on every other error (a new UUID when there is no request to take one from). Returns the status it answered with.
 */
export function answerRawSocket(socket: Duplex, error: unknown, requestId: string = randomUUID()): number {
  const { status, headers, body } = describeError(error, requestId);
  if (socket.destroyed) return status;
  const all: Array<[string, string]> = [
    ['Content-Type', 'application/json'],
    ['x-request-id', requestId],
    ...Object.entries(headers),
  ];
  socket.end(rawHttpResponse(status, all, JSON.stringify(body)));
  return status;
}
