// Guards the HTTP upgrade path in front of @hono/node-ws, whose 'upgrade' listener is async and has no catch: a
// request target that is not a parseable URL (`GET //a:b/ws/… HTTP/1.1`) made it throw in a promise nobody handled,
// which ended the process. Here a malformed upgrade is answered 400 and closed, any other failure 503, and a socket
// that errors or closes mid-upgrade is simply dropped.
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { answerRawSocket, HttpError, RETRY_AFTER_SECONDS } from '../http/errors.js';

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

/**
 * Moves every 'upgrade' listener already on `server` behind a guard. Call it after the WebSocket library attached
 * its listener (`injectWebSocket(server)`).
 */
export function guardUpgrades(server: Server, logger: Logger): void {
  const listeners = server.listeners('upgrade') as UpgradeListener[];
  server.removeAllListeners('upgrade');
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    // A client that resets the connection mid-upgrade would otherwise raise an 'error' nobody listens to.
    socket.on('error', (err) => {
      logger.debug({ err }, 'upgrade socket error');
      socket.destroy();
    });
    if (!parseable(request.url)) {
      answerRawSocket(socket, new HttpError('BAD_REQUEST', 'the request target is not a valid URL'));
      return;
    }
    for (const listener of listeners) {
      Promise.resolve()
        .then(() => listener(request, socket, head))
        .catch((err: unknown) => {
          logger.error({ err, url: request.url }, 'WebSocket upgrade failed');
          answerRawSocket(
            socket,
            new HttpError('SERVICE_UNAVAILABLE', 'the upgrade could not be completed; retry shortly', {
              'Retry-After': String(RETRY_AFTER_SECONDS),
            }),
          );
        });
    }
  });
}
