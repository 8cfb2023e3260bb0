// GET /ws/incidents/{incident_id}: the WebSocket room. Validates every frame, rate-limits, pings, never crashes.
import type { Hono, MiddlewareHandler } from 'hono';
import type { UpgradeWebSocket, WSContext } from 'hono/ws';
import type { Kysely } from 'kysely';
import type { WebSocket } from 'ws';
import { ChatUser, parseClientFrame, Uuid, describeIssues, toIssues, type ServerFrame } from '../../schema/index.js';
import { isDatabaseUnavailable, needsOperator } from '../db/errors.js';
import { findIncident } from '../db/incidents.js';
import type { Database } from '../db/types.js';
import { postChatMessage } from '../domain/chat.js';
import type { AppEnv } from '../http/env.js';
import { errorResponse, HttpError, logRefusedRequest } from '../http/errors.js';
import { isPlainHttp, upgradeSocketGone } from '../http/node-io.js';
import { queryObject } from '../http/query.js';
import { checkScope, type Access, type Authenticator } from '../domain/access.js';
import { AppError, notFound } from '../domain/errors.js';
import { grants, liveKeyIds, type Principal } from '../domain/keys.js';
import type { Metrics } from '../metrics.js';
import type { RoomHub, RoomMember } from './hub.js';
import { accessEndedMessage, accessStillGranted, KEY_RECHECK_MS } from './subscription.js';
import { buildWelcome } from './welcome.js';
import { trustedOrigin } from '../http/origin.js';

export const MAX_FRAME_BYTES = 16 * 1024;
export const RATE_LIMIT_PER_SECOND = 20;
/** Frames over the limit in one second that get an error frame before the socket is closed with 1008. */
export const RATE_LIMIT_GRACE = 10;

export interface RoomRouteOptions {
  db: Kysely<Database>;
  hub: RoomHub;
  metrics: Metrics;
  upgradeWebSocket: UpgradeWebSocket<WebSocket>;
  pingIntervalMs: number;
  /** Origins (besides the server's own) a browser page may connect from; an upgrade with any other Origin is 403. */
  allowedOrigins: readonly string[];
  /** Whether the server needs keys now: a socket opened while it was open is closed once it does. */
  auth: Pick<Authenticator, 'enforced'>;
}

const errorFrame = (code: string, message: string): string =>
  JSON.stringify({ type: 'error', code, message } satisfies ServerFrame);

/** A database that is away refuses the upgrade with 503 and Retry-After (the client may retry), not a 500. */
const unavailable = (err: unknown): never => {
  if (isDatabaseUnavailable(err))
    throw new AppError('UNAVAILABLE', 'the database is unavailable; retry shortly', undefined, { cause: err });
  throw err;
};

/** Refuses the upgrade with a plain HTTP answer before any socket exists. */
const checkRoom =
  (db: Kysely<Database>, allowedOrigins: readonly string[]): MiddlewareHandler<AppEnv> =>
  async (c, next) => {
    // Cross-site WebSocket hijacking: a page elsewhere must not use a browser's ambient access to this server.
    const origin = c.req.header('origin');
    const headers = { origin, host: c.req.header('host'), secFetchSite: c.req.header('sec-fetch-site') };
    if (!trustedOrigin(headers, allowedOrigins)) {
      return errorResponse(c, new HttpError('FORBIDDEN', `origin ${origin} may not open rooms (see CORS_ORIGINS)`));
    }
    try {
      // Listening needs `read`; speaking needs `write`, checked per message.
      checkScope(accessOf(c.get('access')), 'read');
    } catch (err) {
      return errorResponse(c, err);
    }
    const id = c.req.param('incident_id') ?? '';
    if (!Uuid.safeParse(id).success || !(await findIncident(db, id).catch(unavailable))) {
      return errorResponse(c, notFound('incident', id));
    }
    // Strict, as REST reads it: bad UTF-8 or a repeated parameter is a 400, not a user named "%FF".
    const user = queryObject(c.req.url).user;
    if (user !== undefined && !ChatUser.safeParse(user).success) {
      return errorResponse(c, new HttpError('BAD_REQUEST', 'user must be 1 to 100 characters'));
    }
    // A real upgrade reaches this route through the WebSocket library, without node's response object; a request
    // that arrived as plain HTTP (no `Connection: Upgrade`, whatever its Upgrade header) cannot become a socket.
    if (c.req.header('upgrade')?.toLowerCase() !== 'websocket' || isPlainHttp(c)) {
      return errorResponse(c, new HttpError('UPGRADE_REQUIRED', 'connect with a WebSocket client'));
    }
    // Hung up while the incident was looked up: `ws` would drop the socket without completing the handshake, and
    // @hono/node-ws would keep the upgrade it had been handed for good (src/rooms/upgrade-guard.ts). Nothing awaits
    // between here and the handover, so a socket open now is open when `ws` looks.
    if (upgradeSocketGone(c)) {
      return errorResponse(c, new HttpError('CLIENT_CLOSED_REQUEST', 'the client closed the connection'));
    }
    return next();
  };

/** Fail closed: the upgrade route is always behind `authenticate`, but were it not, nothing is granted. */
const accessOf = (access: Access | undefined): Access => access ?? { enforced: true };

interface Connection {
  member: RoomMember;
  raw: WebSocket;
  alive: boolean;
  /** The key the socket was opened with, checked again every KEY_RECHECK_MS (a revoked key loses its sockets). */
  principal: Principal | undefined;
}

/**
 * Tells a socket its access has ended (an `unauthorized` error frame) and closes it (1008, policy violation). Sent
 * at once, not behind the welcome: a socket closed before its welcome gets this frame and the close, never the
 * welcome (queued behind it, the frame would be lost with the socket).
 */
function endForAccess(raw: WebSocket, principal: Principal | undefined): void {
  if (raw.readyState === raw.OPEN) raw.send(errorFrame('unauthorized', accessEndedMessage(principal)));
  raw.close(1008, principal ? 'API key revoked or expired' : 'API key required');
}

/**
 * Closes (1008, after an `unauthorized` error frame) every socket whose access has ended since it opened: its key
 * revoked or expired, or, opened without a key on an open server, the server now enforcing keys (AUTH=auto, once the
 * first key exists). One query for all the keys holding sockets, however many: a query per key at once took the
 * whole pool every round with many keys, and requests arriving then waited on its connect timeout. A failed check
 * (the database away) leaves the sockets open until the next round.
 */
async function closeEnded(
  db: Kysely<Database>,
  auth: Pick<Authenticator, 'enforced'>,
  conns: Iterable<Connection>,
): Promise<void> {
  const byKey = new Map<string, { principal: Principal; raws: WebSocket[] }>();
  const keyless: WebSocket[] = [];
  for (const conn of conns) {
    if (!conn.principal) {
      keyless.push(conn.raw);
      continue;
    }
    const entry = byKey.get(conn.principal.id) ?? { principal: conn.principal, raws: [] };
    entry.raws.push(conn.raw);
    byKey.set(conn.principal.id, entry);
  }
  if (byKey.size > 0) {
    const entries = [...byKey.values()];
    const live = await liveKeyIds(
      db,
      entries.map((e) => e.principal),
    ).catch(() => undefined);
    if (live) {
      for (const { principal, raws } of entries) {
        if (!live.has(principal.id)) for (const raw of raws) endForAccess(raw, principal);
      }
    }
  }
  if (keyless.length > 0 && (await auth.enforced().catch(() => false))) {
    for (const raw of keyless) endForAccess(raw, undefined);
  }
}

/** How long a socket we close may take to answer the close handshake before it is cut. */
export const CLOSE_HANDSHAKE_MS = 2000;

export function mountRoomRoute(app: Hono<AppEnv>, opts: RoomRouteOptions): { stop(): void } {
  const { db, hub, metrics } = opts;
  const live = new Set<Connection>();

  // One timer for all sockets: a socket that has not answered the previous ping is dead and dropped.
  const pinger = setInterval(() => {
    for (const conn of live) {
      if (!conn.alive) {
        conn.raw.terminate();
        continue;
      }
      conn.alive = false;
      conn.raw.ping();
    }
  }, opts.pingIntervalMs);
  pinger.unref();
  // Keys on their own clock, the same as the tRPC streams': the ping interval (30 s) is for finding dead peers, and
  // a revoked key should lose its rooms as soon as it loses its subscriptions.
  // A round still checking (a slow database) is not overlapped by the next.
  let checking = false;
  const keyCheck = setInterval(() => {
    if (checking) return;
    checking = true;
    void closeEnded(db, opts.auth, live)
      .catch(() => undefined) // endForAccess on a socket mid-close; the next round checks again
      .finally(() => (checking = false));
  }, KEY_RECHECK_MS);
  keyCheck.unref();

  const room = opts.upgradeWebSocket((c) => {
    // Lowercased as the API reads ids (schema/common.ts Uuid): the room is the incident, whatever case the URL spells.
    const roomId = (c.req.param('incident_id') ?? '').toLowerCase();
    const logger = c.get('log')();
    // With keys, the room knows who you are: the key's name, whatever `user` a client sends.
    const principal = c.get('access')?.principal;
    let conn: Connection | undefined;
    // Frames sent before the welcome frame wait here, so the welcome is always first. Their bytes count as the
    // socket's buffer (bufferedAmount), so the hub drops a member whose welcome is slow the way it drops a slow
    // reader, instead of queueing without bound.
    let pending: string[] | undefined = [];
    let pendingBytes = 0;
    let windowStart = 0;
    let inWindow = 0;
    // Chat messages from one socket are stored and broadcast in the order they were sent.
    let chain: Promise<void> = Promise.resolve();

    // Every frame to this socket goes through here, answers to its own frames included: until the welcome is sent,
    // they wait behind it. The one exception is endForAccess's last frame before it closes the socket.
    const send = (ws: WSContext<WebSocket>, data: string): void => {
      if (ws.readyState !== 1) return;
      if (pending) {
        pending.push(data);
        pendingBytes += Buffer.byteLength(data);
      } else {
        ws.send(data);
      }
    };

    const overLimit = (ws: WSContext<WebSocket>): boolean => {
      const now = Date.now();
      if (now - windowStart >= 1000) {
        windowStart = now;
        inWindow = 0;
      }
      inWindow++;
      if (inWindow <= RATE_LIMIT_PER_SECOND) return false;
      if (inWindow > RATE_LIMIT_PER_SECOND + RATE_LIMIT_GRACE) {
        ws.close(1008, 'rate limit exceeded');
        return true;
      }
      send(
        ws,
        errorFrame('rate_limited', `more than ${RATE_LIMIT_PER_SECOND} frames a second; this frame was dropped`),
      );
      return true;
    };

    return {
      onOpen(_evt, ws) {
        const raw = ws.raw;
        if (!raw) return;
        const member: RoomMember = {
          user: principal?.name ?? (c.req.query('user')?.trim() || undefined),
          send: (data) => send(ws, data),
          bufferedAmount: () => raw.bufferedAmount + pendingBytes,
          close: (code, reason) => {
            // What waits for the welcome will never be sent.
            if (pending) pending = [];
            pendingBytes = 0;
            ws.close(code, reason);
            // A peer that never answers the close handshake (a frozen tab, a sleeping laptop, a reader that stopped)
            // would hold the socket until ws's own 30 s timeout, and a shutdown with it: past Kubernetes' default
            // 30 s grace, the instance was SIGKILLed (walkthrough, 2026-12-01). The closing frame was sent; waiting
            // longer for its echo buys nothing.
            setTimeout(() => {
              if (raw.readyState !== raw.CLOSED) raw.terminate();
            }, CLOSE_HANDSHAKE_MS).unref();
          },
        };
        conn = { member, raw, alive: true, principal };
        const self = conn;
        raw.on('pong', () => {
          self.alive = true;
        });
        live.add(conn);
        hub.join(roomId, member);
        buildWelcome(db, hub, roomId)
          .then(
            (welcome) => {
              const queued = pending ?? [];
              pending = undefined;
              pendingBytes = 0;
              if (ws.readyState !== 1) return;
              ws.send(JSON.stringify(welcome));
              for (const data of queued) ws.send(data);
            },
            (err: unknown) => {
              const away = isDatabaseUnavailable(err);
              // The database away refuses every welcome alike: one line a second, as for requests.
              if (away) logRefusedRequest(logger, err, { roomId });
              else logger.error({ err, roomId }, 'welcome failed');
              ws.close(
                1011,
                !away
                  ? 'could not load the incident'
                  : needsOperator(err)
                    ? 'the database refuses this until an operator acts'
                    : 'database unavailable; reconnect shortly',
              );
            },
          )
          .catch((err: unknown) => logger.error({ err, roomId }, 'welcome could not be sent'));
      },

      onMessage(evt, ws) {
        metrics.wsMessages.inc({ direction: 'in' });
        if (overLimit(ws)) return;
        if (typeof evt.data !== 'string') {
          send(ws, errorFrame('invalid_frame', 'frames must be JSON text, not binary'));
          return;
        }
        let json: unknown;
        try {
          json = JSON.parse(evt.data);
        } catch {
          send(ws, errorFrame('invalid_json', 'frame is not valid JSON'));
          return;
        }
        const parsed = parseClientFrame(json);
        if (!parsed.success) {
          const detail = describeIssues(toIssues(parsed.error.issues));
          send(ws, errorFrame('invalid_frame', `expected {"user", "message"}: ${detail}`));
          return;
        }
        const frame = parsed.data;
        if ('type' in frame && frame.type === 'ping') {
          send(ws, JSON.stringify({ type: 'pong' } satisfies ServerFrame));
          return;
        }
        if (!('message' in frame) || !conn) return;
        if (principal && !grants(principal.scopes, 'write')) {
          send(ws, errorFrame('forbidden', `speaking needs the \`write\` scope; the key ${principal.name} lacks it`));
          return;
        }
        const raw = ws.raw;
        const member = conn.member;
        // Without a key, a socket's name is what `?user=` or its first message said, and presence lists it under
        // that name: a message under another would come from someone the room cannot see. (With a key, its name
        // replaces whatever is sent.)
        const user = principal?.name ?? frame.user ?? member.user;
        if (user === undefined) {
          send(
            ws,
            errorFrame('invalid_frame', 'expected {"user", "message"}: user: user is missing (or connect with ?user=)'),
          );
          return;
        }
        if (!principal && member.user !== undefined && user !== member.user) {
          send(
            ws,
            errorFrame(
              'invalid_frame',
              `this socket speaks as ${JSON.stringify(member.user)}; connect again to speak as ${JSON.stringify(user)}`,
            ),
          );
          return;
        }
        if (!member.user) hub.identify(roomId, member, user);
        const said = { user, message: frame.message };
        chain = chain
          .then(async () => {
            try {
              // The key may have been revoked since the socket opened, or the server, open when it opened, may
              // now need a key: checked before anything is said.
              if (raw && !(await accessStillGranted({ db, auth: opts.auth, principal }))) {
                endForAccess(raw, principal);
                return;
              }
              hub.broadcast(roomId, await postChatMessage(db, roomId, said));
            } catch (err) {
              // The socket stays open either way: the client may send the message again.
              const away = isDatabaseUnavailable(err);
              // The database away refuses every message alike: one line a second (an error if only an operator can
              // mend it), as for requests; any other failure is ours, logged each time.
              if (away) logRefusedRequest(logger, err, { roomId });
              else logger.error({ err, roomId }, 'chat message not stored');
              send(
                ws,
                !away
                  ? errorFrame('internal', 'message could not be stored; try again')
                  : needsOperator(err)
                    ? errorFrame(
                        'unavailable',
                        'the database refuses writes until an operator acts; message not stored',
                      )
                    : errorFrame(
                        'unavailable',
                        'the database is unavailable; message not stored, send it again shortly',
                      ),
              );
            }
          })
          // Nothing above should throw, but a rejection here would be unhandled and end the process.
          .catch((err: unknown) => logger.error({ err, roomId }, 'chat message handling failed'));
      },

      onClose() {
        if (!conn) return;
        live.delete(conn);
        hub.leave(roomId, conn.member);
      },

      onError(evt) {
        // ws reports protocol violations (e.g. a frame over the limit) here and closes the socket itself.
        const err = (evt as Event & { error?: unknown }).error;
        logger.debug({ err, roomId }, 'websocket error');
      },
    };
  });
  // With or without a trailing slash, as every REST path is answered.
  for (const path of ['/ws/incidents/:incident_id', '/ws/incidents/:incident_id/']) {
    app.get(path, checkRoom(db, opts.allowedOrigins), room);
  }
  return {
    stop: () => {
      clearInterval(pinger);
      clearInterval(keyCheck);
    },
  };
}
