// Requests node's HTTP parser refuses before any route sees them (headers or a request target over its 16 KiB
// limit, a malformed request line, an unknown method): node would answer with a bare status and no body. Here they
// get the one error body too (src/http/errors.ts), and a socket that is already gone is simply dropped.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import { answerRawSocket, describeError, HttpError } from './errors.js';
import { RequestError } from '@hono/node-server';
import { recordRawAnswer, requestIdFrom } from './request-context.js';

function errorFor(err: NodeJS.ErrnoException): HttpError {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return new HttpError('REQUEST_HEADER_FIELDS_TOO_LARGE', 'request headers or target are larger than 16 KiB');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'ERR_HTTP_HEADERS_TIMEOUT':
      return new HttpError('TIMEOUT', 'the request did not arrive in time');
    default:
      return new HttpError('BAD_REQUEST', 'malformed HTTP request');
  }
}

/**
 * Installs the handler; node calls it instead of writing its own bare answer. Each answer is counted and logged as a
 * request (recordRawAnswer): node has not parsed the request, so its method and path are unknown.
 */
export function answerClientErrors(server: Server, logger: Logger, metrics: Metrics): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    logger.debug({ err }, 'malformed HTTP request');
    const requestId = randomUUID();
    const status = answerRawSocket(socket, errorFor(err), requestId);
    recordRawAnswer(logger, metrics, { method: 'UNKNOWN', path: '', status, requestId, seconds: 0 });
  });
  // CONNECT asks for a tunnel (RFC 9110 §9.3.6); with no listener for it node closes the socket without a word.
  server.on('connect', (req: IncomingMessage, socket: Duplex) => {
    const requestId = requestIdFrom(headerOf(req, 'x-request-id'));
    const refusal = new HttpError('METHOD_NOT_SUPPORTED', 'CONNECT is not supported: Warroom is not a proxy', {
      Allow: 'GET, HEAD, POST, PUT, PATCH, DELETE',
    });
    const status = answerRawSocket(socket, refusal, requestId);
    recordRawAnswer(logger, metrics, { method: 'CONNECT', path: targetOf(req), status, requestId, seconds: 0 });
  });
}

/** A header's one value (undefined when absent or sent more than once, as node gives a list for some). */
function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** The request target as the access log shows it, cut to 200 characters. */
const targetOf = (req: IncomingMessage): string => (req.url ?? '').slice(0, 200);

/**
 * Why no route can take `req`, or undefined. An HTTP/1.1 request without Host must be refused with 400 (RFC 9112
 * §3.2); node would answer it with an empty body (the server runs with `requireHostHeader: false` so it comes here).
 * A target that is neither a path nor an absolute URL (`OPTIONS *`, RFC 9112 §3.2.4) names no resource here; the
 * adapter would answer it with an empty 400.
 */
function unroutable(req: IncomingMessage): HttpError | undefined {
  if (req.httpVersion === '1.1' && req.headers.host === undefined) {
    return new HttpError('BAD_REQUEST', 'an HTTP/1.1 request needs a Host header (RFC 9112 §3.2)');
  }
  const target = req.url ?? '';
  if (!target.startsWith('/') && !/^https?:\/\//i.test(target)) {
    return new HttpError('BAD_REQUEST', `request target ${JSON.stringify(target.slice(0, 100))} is not a path`);
  }
  return undefined;
}

/**
 * `listener`, with requests no route can take (unroutable above) answered first in the one error body, closing
 * their connection, and counted and logged as the refusals above are.
 */
export function refusingUnroutable(listener: RequestListener, logger: Logger, metrics: Metrics): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    const refusal = unroutable(req);
    if (!refusal) {
      listener(req, res);
      return;
    }
    const requestId = requestIdFrom(headerOf(req, 'x-request-id'));
    const { status, headers, body } = describeError(refusal, requestId);
    const text = JSON.stringify(body);
    res.writeHead(status, {
      ...headers,
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      'x-request-id': requestId,
      connection: 'close',
    });
    res.end(text);
    recordRawAnswer(logger, metrics, {
      method: req.method ?? 'UNKNOWN',
      path: targetOf(req),
      status,
      requestId,
      seconds: 0,
    });
  };
}

/**
 * For @hono/node-server's `errorHandler`: what the adapter could not make a Request of (a malformed absolute URL, an
 * invalid Host, a backslash in the path: its RequestError) is a 400 in the one error body, where the adapter would
 * answer an empty one. Anything else reaching it is ours and is answered as describeError says. The adapter passes
 * only the error, so the request id is a new one.
 */
export function adapterErrorResponse(err: unknown): Response {
  const requestId = randomUUID();
  const error = err instanceof RequestError ? new HttpError('BAD_REQUEST', `malformed request: ${err.message}`) : err;
  const { status, headers, body } = describeError(error, requestId);
  return new Response(JSON.stringify(body), {
    status,
    headers: { ...headers, 'content-type': 'application/json', 'x-request-id': requestId, connection: 'close' },
  });
}
