// Integrations and silences: creating, listing, changing and removing them. An integration's secret is random
// (`whk_` + 256 bits, base64url), shown once on create and on rotation.
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import {
  ACTIVE_INCIDENT_STATUSES,
  IntegrationKind,
  IntegrationSettings,
  SilenceMatcher,
  describeIssues,
  toIssues,
  type CreatedIntegration,
  type CreateIntegrationInput,
  type CreateSilenceInput,
  type Delivery,
  type ListSilencesInput,
  type AlertResult,
  type Integration,
  type Silence,
  type UpdateIntegrationInput,
  type IntegrationSettings as Settings,
} from '../../schema/index.js';
import { sqlState } from '../db/errors.js';
import {
  deleteIntegration,
  expireSilence,
  findIntegration,
  findSilence,
  insertIntegration,
  countUnendedSilences,
  insertSilence,
  listDeliveries,
  listIntegrations,
  listSilences,
  updateIntegration,
} from '../db/integrations.js';
import { insertTimelineEntry } from '../db/timeline.js';
import type { AlertDeliveryRow, Database, IntegrationRow, SilenceRow, TimelineRow } from '../db/types.js';
import { MatcherError, parseMatchers, type Matcher } from '../integrations/index.js';
import { decodeSilenceCursor, encodeSilenceCursor } from './cursor.js';
import { AppError, notFound } from './errors.js';
import { splitPage, type Page } from './pages.js';
import { sha256 } from './keys.js';

const UNIQUE_VIOLATION = '23505';

/** A new integration secret. */
export const newIntegrationSecret = (): string => `whk_${randomBytes(32).toString('base64url')}`;

/** Where an integration's webhook is, relative to the server's root. */
export const webhookPath = (id: string): string => `/api/integrations/${id}/alerts`;

/**
 * The documented Integration (never the secret). Stored settings were validated when written; parsing them again
 * fills in fields a later version added. Were they ever unreadable, this throws rather than show (or, in the webhook,
 * apply) defaults in their place, which could silently drop a required HMAC signature.
 */
export function toIntegration(r: IntegrationRow): Integration {
  return {
    id: r.id,
    name: r.name,
    kind: IntegrationKind.parse(r.kind),
    settings: IntegrationSettings.parse(r.settings),
    webhook_url: webhookPath(r.id),
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
  };
}

const nameTaken = (name: string): AppError => new AppError('CONFLICT', `an integration named "${name}" exists already`);

/** Creates an integration; CONFLICT (409) when the name is taken. */
export async function createIntegration(
  db: Kysely<Database>,
  input: CreateIntegrationInput,
): Promise<CreatedIntegration> {
  const secret = newIntegrationSecret();
  const row = await insertIntegration(db, {
    name: input.name,
    kind: input.kind,
    settings: input.settings,
    secret,
    secret_hash: sha256(secret),
  });
  if (!row) throw nameTaken(input.name);
  return { ...toIntegration(row), secret };
}

/** The integration's row, secret included (for the webhook and rotation); NOT_FOUND when there is none. */
export async function getIntegrationRow(db: Kysely<Database>, id: string): Promise<IntegrationRow> {
  const row = await findIntegration(db, id);
  if (!row) throw notFound('integration', id);
  return row;
}

/** The integration (no secret); NOT_FOUND when there is none. */
export async function getIntegration(db: Kysely<Database>, id: string): Promise<Integration> {
  return toIntegration(await getIntegrationRow(db, id));
}

/** Every integration, oldest first (no secrets). */
export async function allIntegrations(db: Kysely<Database>): Promise<Integration[]> {
  return (await listIntegrations(db)).map(toIntegration);
}

/**
 * Stored settings with `patch` applied (a `null` value removes the field, so it takes its default or goes); the
 * result is validated whole. INVALID_INPUT (400) names each bad field as `settings.<field>`.
 */
export function patchSettings(stored: Record<string, unknown>, patch: Record<string, unknown>): Settings {
  const merged: Record<string, unknown> = { ...stored };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete merged[k];
    else merged[k] = v;
  }
  const parsed = IntegrationSettings.safeParse(merged);
  if (parsed.success) return parsed.data;
  // As every other body names its problems (an unknown field at its own path), under `settings`.
  const issues = toIssues(parsed.error.issues.map((i) => ({ ...i, path: ['settings', ...i.path] })));
  throw new AppError('INVALID_INPUT', `invalid input: ${describeIssues(issues)}`, issues);
}

/**
 * Renames an integration and/or changes some of its settings (the rest keep their values); NOT_FOUND, INVALID_INPUT
 * for settings that do not validate, CONFLICT for a taken name. The row is locked while it is read and written, so
 * two concurrent changes of different fields both hold.
 */
export async function changeIntegration(db: Kysely<Database>, input: UpdateIntegrationInput): Promise<Integration> {
  try {
    const row = await db.transaction().execute(async (tx) => {
      const current = await findIntegration(tx, input.integration_id, { lock: true });
      if (!current) throw notFound('integration', input.integration_id);
      const settings = input.settings ? patchSettings(current.settings, input.settings) : undefined;
      return updateIntegration(tx, input.integration_id, { name: input.name, settings });
    });
    if (!row) throw notFound('integration', input.integration_id);
    return toIntegration(row);
  } catch (err) {
    if (sqlState(err) === UNIQUE_VIOLATION && input.name !== undefined) throw nameTaken(input.name);
    throw err;
  }
}

/** A new secret; the old one stops working at once, on every instance. */
export async function rotateIntegrationSecret(db: Kysely<Database>, id: string): Promise<CreatedIntegration> {
  const secret = newIntegrationSecret();
  const row = await updateIntegration(db, id, { secret, secret_hash: sha256(secret) });
  if (!row) throw notFound('integration', id);
  return { ...toIntegration(row), secret };
}

/**
 * Deletes the integration with its alerts and deliveries; its incidents stay. Each of them still active (open to
 * monitoring) gets a timeline entry saying its alerts no longer move it: one waiting in monitoring to resolve after
 * its quiet period, or open with alerts still firing, would otherwise wait for ever with nothing to say why. Returns
 * the integration and those entries (for the rooms).
 */
export async function removeIntegration(
  db: Kysely<Database>,
  id: string,
  actor: string,
): Promise<{ integration: Integration; entries: TimelineRow[] }> {
  return db.transaction().execute(async (tx) => {
    // The alert work's lock order: the integration's groups first, then their incidents.
    const groups = await tx
      .selectFrom('alert_groups')
      .select('incident_id')
      .where('integration_id', '=', id)
      .orderBy('group_key')
      .forUpdate()
      .execute();
    const incidentIds = [...new Set(groups.map((g) => g.incident_id).filter((i): i is string => i !== null))].sort();
    const active =
      incidentIds.length === 0
        ? []
        : await tx
            .selectFrom('incidents')
            .select(['id', 'status'])
            .where('id', 'in', incidentIds)
            .where('status', 'in', ACTIVE_INCIDENT_STATUSES)
            .orderBy('id')
            .forNoKeyUpdate()
            .execute();
    const row = await deleteIntegration(tx, id);
    if (!row) throw notFound('integration', id);
    const entries: TimelineRow[] = [];
    for (const incident of active) {
      entries.push(
        await insertTimelineEntry(tx, {
          incident_id: incident.id,
          entry_type: 'system_event',
          title: 'Alert integration deleted',
          description: `Integration "${row.name}" was deleted: its alerts no longer move this incident, which stays ${incident.status} until someone changes it`,
          actor,
          metadata: { integration_id: row.id, integration: row.name },
        }),
      );
    }
    return { integration: toIntegration(row), entries };
  });
}

function toDelivery(r: AlertDeliveryRow): Delivery {
  return {
    id: r.id,
    integration_id: r.integration_id,
    received_at: r.received_at.toISOString(),
    path: r.path,
    status: r.status,
    size_bytes: r.size_bytes,
    alerts: r.outcomes as AlertResult[],
    error: r.error,
    payload: r.payload,
    payload_truncated: r.payload_truncated,
  };
}

/** The integration's newest deliveries, newest first; NOT_FOUND for an unknown integration. */
export async function integrationDeliveries(db: Kysely<Database>, id: string, limit: number): Promise<Delivery[]> {
  await getIntegrationRow(db, id);
  return (await listDeliveries(db, id, limit)).map(toDelivery);
}

function silenceState(r: SilenceRow, now: number): Silence['state'] {
  if (r.starts_at.getTime() > now) return 'pending';
  return r.ends_at.getTime() > now ? 'active' : 'expired';
}

function toSilence(r: SilenceRow, now = Date.now()): Silence {
  return {
    id: r.id,
    matchers: r.matchers.map((m) => SilenceMatcher.parse(m)),
    starts_at: r.starts_at.toISOString(),
    ends_at: r.ends_at.toISOString(),
    comment: r.comment,
    created_by: r.created_by,
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
    state: silenceState(r, now),
  };
}

/** The longest a new silence's matchers may take to compile (ms); see createSilence. */
export const SILENCE_COMPILE_BUDGET_MS = 100;
/**
 * The most silences that may be pending or active at once (Alertmanager's `--silences.max-silences`, unlimited by
 * default there). Each instance holds every active one compiled and tests each alert against them.
 */
export const MAX_SILENCES = 1000;

/**
 * Creates a silence. INVALID_INPUT (400) when a regex cannot be used (invalid, shaped for catastrophic
 * backtracking: src/integrations/matchers.ts, or taking over SILENCE_COMPILE_BUDGET_MS to compile), when every
 * matcher matches the empty string, or when ends_at is not after starts_at; CONFLICT (409) when MAX_SILENCES are
 * pending or active already.
 */
export async function createSilence(db: Kysely<Database>, input: CreateSilenceInput): Promise<Silence> {
  let matchers: Matcher[];
  const compileStart = performance.now();
  try {
    matchers = parseMatchers(input.matchers);
  } catch (err) {
    if (err instanceof MatcherError) throw new AppError('INVALID_INPUT', `invalid input: ${err.message}`, err.issues);
    throw err;
  }
  // Every instance compiles each silence in force once, on its event loop (src/alerts/silence-matchers.ts). Matchers
  // people write compile in well under a millisecond; a pattern that repeats or alternates Unicode classes hundreds
  // of times takes tens of milliseconds each, and 64 of them stalled the server for a second a silence (security
  // review, 2026-12-02). RE2 gives no cost to check beforehand, so the compile is timed.
  const compileMs = performance.now() - compileStart;
  if (compileMs > SILENCE_COMPILE_BUDGET_MS) {
    const message =
      `the regexes take too long to compile (${Math.round(compileMs)} ms; at most ${SILENCE_COMPILE_BUDGET_MS} ms ` +
      'a silence): use fewer counted repeats and Unicode classes (\\p{…})';
    throw new AppError('INVALID_INPUT', `invalid input: matchers: ${message}`, [{ path: 'matchers', message }]);
  }
  // Alertmanager's rule (silence.go, validateSilence): matchers that all match the empty string also match an alert
  // without any of their labels, so `a=~".*"` would silence every alert of every integration.
  if (matchers.every((m) => m.matches({}))) {
    const message = 'at least one matcher must not match the empty string (these would silence every alert)';
    throw new AppError('INVALID_INPUT', `invalid input: matchers: ${message}`, [{ path: 'matchers', message }]);
  }
  const startsAt = input.starts_at ? new Date(input.starts_at) : new Date();
  const endsAt = new Date(input.ends_at);
  if (endsAt.getTime() <= startsAt.getTime()) {
    throw new AppError('INVALID_INPUT', 'invalid input: ends_at: must be after starts_at', [
      { path: 'ends_at', message: 'must be after starts_at' },
    ]);
  }
  if ((await countUnendedSilences(db)) >= MAX_SILENCES) {
    throw new AppError(
      'CONFLICT',
      `${MAX_SILENCES} silences are pending or active, the most Warroom keeps: end some (DELETE /api/silences/{id}) first`,
    );
  }
  const row = await insertSilence(db, {
    matchers: input.matchers,
    starts_at: startsAt.toISOString(),
    ends_at: endsAt.toISOString(),
    comment: input.comment,
    created_by: input.created_by,
  });
  return toSilence(row);
}

export async function getSilence(db: Kysely<Database>, id: string): Promise<Silence> {
  const row = await findSilence(db, id);
  if (!row) throw notFound('silence', id);
  return toSilence(row);
}

/**
 * A page of silences, newest first (created_at, then id), of one state at the database's now or all; `cursor`
 * continues strictly after the silence it names, in the list of the same state. `next` is set when more follow (one
 * extra row is read to know). Throws INVALID_INPUT (400) for a cursor this list did not issue.
 */
export async function pageSilences(db: Kysely<Database>, input: ListSilencesInput): Promise<Page<Silence>> {
  const below = input.cursor === undefined ? undefined : decodeSilenceCursor(input.cursor, 'cursor', input.state);
  const rows = await listSilences(db, input.state, input.limit + 1, below);
  const { kept, last, more } = splitPage(rows, input.limit);
  // Each item's state by the database's clock, the one the `state` filter used: the server's may differ.
  const items = kept.map((r) => toSilence(r, r.db_now.getTime()));
  if (!more || !last) return { items };
  const cursor = encodeSilenceCursor({ createdAt: last.page_t, id: last.id }, input.state);
  return { items, next: { param: 'cursor', cursor } };
}

/** Ends a silence now; the alerts it held back are weighed again by the next sweep (within about a second). */
export async function endSilence(db: Kysely<Database>, id: string): Promise<Silence> {
  const row = await expireSilence(db, id);
  if (!row) throw notFound('silence', id);
  return toSilence(row);
}
