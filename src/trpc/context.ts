// The tRPC context: the app's long-lived dependencies plus what belongs to one request.
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { AnalysisScheduler } from '../analysis/runtime/service.js';
import type { KnownIncidents } from '../db/events.js';
import type { IncidentInsertQueue } from '../db/incident-insert-queue.js';
import type { Database } from '../db/types.js';
import type { Access, Authenticator } from '../domain/access.js';
import type { ChangeSink } from '../domain/changes.js';
import type { NextPage } from '../domain/pages.js';
import type { RoomHub } from '../rooms/hub.js';

export interface AppDeps {
  db: Kysely<Database>;
  changes: ChangeSink;
  rooms: RoomHub;
  analysis: AnalysisScheduler;
  logger: Logger;
  auth: Authenticator;
  /** Incidents known to exist, so ingest can skip checking them (src/db/events.ts). */
  knownIncidents: KnownIncidents;
  /** Writes concurrent incident creates together (src/db/incident-insert-queue.ts). */
  incidentInserts: IncidentInsertQueue;
}

/**
 * How a list procedure reports where its next page starts, when the body must stay a bare array: it sets `next`, and
 * the REST facade turns it into a `Link: <…>; rel="next"` header (rest/mount.ts). tRPC clients cannot see headers and
 * use the `page` procedures instead; over /trpc the value is set and ignored.
 */
export interface PageReport {
  next?: NextPage;
}

/**
 * A response body a procedure can give as JSON text more cheaply than serialising its result (ingest may have
 * serialised its events for the INSERT already): the REST facade sends what `json()` returns instead of serialising
 * the procedure's result again, and does not call it for a `Prefer: return=minimal` answer. It must be exactly
 * `JSON.stringify` of what the procedure returns (test/integration/production-mode.test.ts holds it to that).
 */
export interface SerializedResponse {
  json?: () => string;
}

/**
 * Who a write is recorded as: with keys enforced, the key's name (a caller cannot act as someone else); open, the
 * actor the caller named, as before keys existed.
 */
export function actorOf(ctx: Pick<Context, 'access'>, named: string): string {
  return ctx.access.principal?.name ?? named;
}

export interface Context extends AppDeps {
  requestId: string;
  /** Who is calling (resolved once per request by http/auth.ts); procedures check it through their `meta.scope`. */
  access: Access;
  /** One per request, empty until a list procedure reports a next page. */
  page: PageReport;
  /** One per request, empty unless a procedure has its response as text already. */
  response: SerializedResponse;
}
