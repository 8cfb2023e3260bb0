// Authentication for /api, /trpc and the room upgrade: resolves the request's key (or room ticket) once, refuses an
// enforced request without a usable one (401, WWW-Authenticate: Bearer), and leaves the scope to the procedure.
import type { MiddlewareHandler } from 'hono';
import { unauthenticated, type Authenticator } from '../domain/access.js';
import type { AppEnv } from './env.js';
import { errorResponse, HttpError } from './errors.js';
import { requestHeader } from './node-io.js';
import { trustedOrigin } from './origin.js';

/** Methods a browser may send cross-origin without consequence: they change nothing. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Whether a Host header names this machine's loopback (localhost, 127.x.x.x, [::1]), with or without a port. */
export function loopbackHost(host: string | undefined): boolean {
  if (host === undefined) return true;
  const name = host.replace(/:\d+$/, '').toLowerCase();
  return name === 'localhost' || name === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

/**
 * Headers a reverse proxy or load balancer adds when it passes a request on (RFC 7239 `Forwarded`, the de facto
 * `X-Forwarded-*` and `X-Real-IP`, RFC 9110 `Via`). Their presence means the client is somewhere else, whatever
 * the Host header and the socket's loopback address say.
 */
const PROXY_HEADERS: Lowercase<string>[] = [
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-real-ip',
  'via',
];

/** Whether the request came through a proxy that said so (PROXY_HEADERS). */
export const viaProxy = (header: (name: Lowercase<string>) => string | undefined): boolean =>
  PROXY_HEADERS.some((name) => header(name) !== undefined);

/** The token of an `Authorization: Bearer <token>` header; any other value is passed on whole (and fails as unknown). */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match?.[1] ?? header;
}

/**
 * `tickets`: on the room upgrade, a browser (which cannot set headers on a WebSocket) may present `?ticket=`, a
 * single-use ticket from POST /api/rooms/tickets, instead of the header. A missing, unknown, revoked or expired key is
 * refused 401 once keys are enforced, before any body is read.
 */
export function authenticate(
  auth: Authenticator,
  opts: { tickets?: boolean; allowedOrigins?: readonly string[] } = {},
): MiddlewareHandler<AppEnv> {
  return async function authenticateMiddleware(c, next) {
    try {
      const ticket = opts.tickets ? c.req.query('ticket') : undefined;
      const access =
        ticket !== undefined
          ? await auth.redeemTicket(ticket)
          : await auth.resolve(bearerToken(requestHeader(c, 'authorization')));
      if (access.enforced && !access.principal) throw unauthenticated(access.refusal);
      // Open only because no key exists yet (AUTH=auto on loopback): a page elsewhere could still reach this port
      // through a browser by rebinding its own DNS name to 127.0.0.1, so only requests addressed to a loopback name
      // are answered. Nor through a reverse proxy on this machine: it connects from loopback and may name loopback in
      // Host (nginx's default), and anyone who reaches it could make the first admin key (security review,
      // 2026-12-02); a proxy that says it forwarded is refused here. (AUTH=off is the operator's explicit choice and
      // may be reached by any name.)
      if (!access.enforced && auth.policy === 'auto') {
        if (!loopbackHost(requestHeader(c, 'host'))) {
          throw new HttpError(
            'FORBIDDEN',
            'an open server (no API key yet) answers only requests addressed to localhost',
          );
        }
        if (viaProxy((name) => requestHeader(c, name))) {
          throw new HttpError(
            'FORBIDDEN',
            'an open server (no API key yet) does not answer requests passed on by a proxy (Forwarded, X-Forwarded-*, ' +
              'X-Real-IP or Via): make a key first (warroom keys create)',
          );
        }
      }
      // Cross-site request forgery: with keys, a request must carry one in a header, which no page elsewhere can
      // make a browser send. An open server has no such guard, and a form or a no-cors fetch with an empty body is
      // not even caught by the JSON content-type check (security review, 2026-12-02), so a change from a page of
      // another origin is refused (browsers send Origin on every cross-origin request that is not a GET or HEAD).
      if (!access.enforced && !SAFE_METHODS.has(c.req.method)) {
        const origin = requestHeader(c, 'origin');
        const headers = { origin, host: requestHeader(c, 'host'), secFetchSite: requestHeader(c, 'sec-fetch-site') };
        if (!trustedOrigin(headers, opts.allowedOrigins ?? [])) {
          throw new HttpError(
            'FORBIDDEN',
            `an open server (no API key) takes no changes from pages of another origin (${origin ?? ''}); see CORS_ORIGINS`,
          );
        }
      }
      c.set('access', access);
    } catch (err) {
      return errorResponse(c, err);
    }
    return next();
  };
}
