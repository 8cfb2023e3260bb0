// Authentication for /api, /trpc and the room upgrade: resolves the request's key (or room ticket) once, refuses an
// enforced request without a usable one (401, WWW-Authenticate: Bearer), and leaves the scope to the procedure.
import type { MiddlewareHandler } from 'hono';
import { unauthenticated, type Authenticator } from '../domain/access.js';
import type { AppEnv } from './env.js';
import { errorResponse } from './errors.js';
import { requestHeader } from './node-io.js';

/** The token of an `Authorization: Bearer <token>` header; any other value is passed on whole (and fails as unknown). */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match?.[1] ?? header;
}

/**
 * `tickets`: on the room upgrade, a browser (which cannot set headers on a WebSocket) may present `?ticket=`, a
 * single-use ticket from POST /api/rooms/tickets, instead of the header. `refuse: false` only resolves: the procedure's
 * scope check gives the 401.
 */
export function authenticate(
  auth: Authenticator,
  opts: { tickets?: boolean; refuse?: boolean } = {},
): MiddlewareHandler<AppEnv> {
  return async function authenticateMiddleware(c, next) {
    try {
      const ticket = opts.tickets ? c.req.query('ticket') : undefined;
      const access =
        ticket !== undefined
          ? await auth.redeemTicket(ticket)
          : await auth.resolve(bearerToken(requestHeader(c, 'authorization')));
      if (opts.refuse !== false && access.enforced && !access.principal) throw unauthenticated(access.refusal);
      c.set('access', access);
    } catch (err) {
      return errorResponse(c, err);
    }
    return next();
  };
}
