// Guards the HTTP upgrade path in front of @hono/node-ws, whose 'upgrade' listener is async and has no catch: a
// request target that is not a parseable URL (`GET //a:b/ws/… HTTP/1.1`) made it throw in a promise nobody handled,
// which ended the process. Here a malformed upgrade is answered 400 and closed, any other failure 503, and a socket
// that errors or closes mid-upgrade is simply dropped.
//
// It also refuses, before the route sees them, WebSocket handshakes that `ws` would refuse. @hono/node-ws (1.3.1)
// remembers each upgrade the route accepts in a map it clears only when `ws` completes the handshake; one `ws`
// refuses (a bad Sec-WebSocket-Key, version or subprotocol list) stayed in that map for the life of the process with
// its request, socket and context: about 9 KB each, 5,000 bad-key upgrades +43 MB of heap (docs/performance.md,
// 2026-12-01). The route refuses a socket that closed while it looked the incident up, the other way in.
//
// And it writes the route's refusals whole. @hono/node-ws answers a response that is not an upgrade with its status
// line alone (`HTTP/1.1 503 …`, `Content-Length: 0`), so a refused upgrade lost its headers (Retry-After on a 503,
// WWW-Authenticate on a 401, x-request-id on all) and its JSON body (review, 2026-12-01). The route's outermost
// middleware (recordUpgradeRefusals) keeps the response the app made; the guard writes it instead of that line.
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import { answerRawSocket, HttpError, rawHttpResponse, RETRY_AFTER_SECONDS } from '../http/errors.js';
import { recordRawAnswer, requestIdFrom } from '../http/request-context.js';
import type { Metrics } from '../metrics.js';

/** The refusal the app made for an upgrade request, as HTTP/1.1 text, until the guard writes it. */
const refusals = new WeakMap<IncomingMessage, string>();

/**
 * Keeps the app's whole answer to an upgrade request it did not upgrade (anything but 101), for the guard to write.
 * Register it before every other middleware of the upgrade path, so that the answer it keeps has every header the
 * others add.
 */
export const recordUpgradeRefusals: MiddlewareHandler = async (c, next) => {
  await next();
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  // Only upgrades come without node's response object; plain HTTP is answered by node-server as usual.
  if (incoming === undefined || (c.env as { outgoing?: unknown }).outgoing !== undefined) return;
  if (c.res.status === 101) return;
  // rawHttpResponse writes its own framing headers.
  const framing = new Set(['connection', 'content-length', 'transfer-encoding']);
  const headers = [...c.res.headers].filter(([name]) => !framing.has(name));
  refusals.set(incoming, rawHttpResponse(c.res.status, headers, await c.res.clone().text()));
};

/**
 * Makes `socket.end()` write the refusal recordUpgradeRefusals kept for `request`, when there is one, in place of
 * what the caller passes (@hono/node-ws's bare status line); otherwise it ends as asked.
 */
function endWithRefusal(request: IncomingMessage, socket: Duplex): void {
  const end = socket.end.bind(socket);
  socket.end = ((...args: Parameters<Duplex['end']>) => {
    const refusal = refusals.get(request);
    if (refusal === undefined) return end(...args);
    refusals.delete(request);
    return end(refusal);
  }) as Duplex['end'];
}

type UpgradeListener = (request: IncomingMessage, socket: Duplex, head: Buffer) => unknown;

/** True when `url` (the request target) can be resolved the way @hono/node-ws resolves it. */
function parseable(url: string | undefined): boolean {
  try {
    new URL(url ?? '/', 'http://localhost');
    return true;
  } catch {
    return false;
  }
}

/** Sec-WebSocket-Key: 16 random bytes in base64 (RFC 6455 §4.1, item 7). */
const KEY = /^[+/0-9A-Za-z]{22}==$/;
/** A comma-separated list of RFC 7230 tokens (RFC 6455 §4.1, item 10; §11.3.4), spaces and tabs around commas. */
const PROTOCOLS = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+(?:[ \t]*,[ \t]*[!#$%&'*+\-.^_`|~0-9A-Za-z]+)*$/;

/**
 * Why `ws` would refuse this WebSocket opening handshake (RFC 6455 §4.2.1, as `ws` 8 checks it: GET, a key, version
 * 13 or 8, a subprotocol list without repeats), or undefined when it would not. Never looser than `ws`.
 */
export function handshakeProblem(request: IncomingMessage): HttpError | undefined {
  if (request.method !== 'GET') {
    return new HttpError('METHOD_NOT_SUPPORTED', `a WebSocket handshake is a GET, not ${request.method ?? 'none'}`, {
      Allow: 'GET',
    });
  }
  const key = request.headers['sec-websocket-key'];
  if (key === undefined || !KEY.test(key)) {
    return new HttpError('BAD_REQUEST', 'Sec-WebSocket-Key must be 16 bytes in base64 (RFC 6455 §4.1)');
  }
  const version = request.headers['sec-websocket-version'];
  if (version !== '13' && version !== '8') {
    // 8 as well as 13: the `ws` library accepts both (hybi-08 clients speak the same framing), and so does the route.
    return new HttpError('BAD_REQUEST', 'Sec-WebSocket-Version must be 13 (or 8)', {
      'Sec-WebSocket-Version': '13, 8',
    });
  }
  const protocols = request.headers['sec-websocket-protocol'];
  if (protocols !== undefined) {
    const names = protocols.split(',').map((p) => p.trim());
    if (!PROTOCOLS.test(protocols) || new Set(names).size !== names.length) {
      return new HttpError('BAD_REQUEST', 'Sec-WebSocket-Protocol must be a list of distinct tokens');
    }
  }
  return undefined;
}

/**
 * Moves every 'upgrade' listener already on `server` behind a guard. Call it after the WebSocket library attached
 * its listener (`injectWebSocket(server)`).
 */
export function guardUpgrades(server: Server, logger: Logger, metrics: Metrics): void {
  const listeners = server.listeners('upgrade') as UpgradeListener[];
  server.removeAllListeners('upgrade');
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    // A client that resets the connection mid-upgrade would otherwise raise an 'error' nobody listens to.
    socket.on('error', (err) => {
      logger.debug({ err }, 'upgrade socket error');
      socket.destroy();
    });
    const given = request.headers['x-request-id'];
    const requestId = requestIdFrom(typeof given === 'string' ? given : undefined);
    const start = performance.now();
    // What the guard answers itself, the app never sees: counted and logged here.
    const refuse = (error: unknown): void => {
      const status = answerRawSocket(socket, error, requestId);
      const path = parseable(request.url) ? new URL(request.url ?? '/', 'http://localhost').pathname : '';
      const seconds = (performance.now() - start) / 1000;
      recordRawAnswer(logger, metrics, { method: request.method ?? 'UNKNOWN', path, status, requestId, seconds });
    };
    if (!parseable(request.url)) {
      refuse(new HttpError('BAD_REQUEST', 'the request target is not a valid URL'));
      return;
    }
    const problem = request.headers.upgrade?.toLowerCase() === 'websocket' ? handshakeProblem(request) : undefined;
    if (problem) {
      refuse(problem);
      return;
    }
    endWithRefusal(request, socket);
    for (const listener of listeners) {
      Promise.resolve()
        .then(() => listener(request, socket, head))
        .catch((err: unknown) => {
          logger.error({ err, url: request.url, request_id: requestId }, 'WebSocket upgrade failed');
          refuse(
            new HttpError('SERVICE_UNAVAILABLE', 'the upgrade could not be completed; retry shortly', {
              'Retry-After': String(RETRY_AFTER_SECONDS),
            }),
          );
        });
    }
  });
}
