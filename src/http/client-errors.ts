// Requests node's HTTP parser refuses before any route sees them (headers or a request target over its 16 KiB
// limit, a malformed request line, an unknown method): node would answer with a bare status and no body. Here they
// get the one error body too (src/http/errors.ts), and a socket that is already gone is simply dropped.
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import { answerRawSocket, HttpError } from './errors.js';
import { recordRawAnswer } from './request-context.js';

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
}
