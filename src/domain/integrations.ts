// Integrations and silences: creating, listing, changing and removing them. An integration's secret is random
// (`whk_` + 256 bits, base64url), shown once on create and on rotation.
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import {
  IntegrationKind,
  IntegrationSettings,
  SilenceMatcher,
  type CreatedIntegration,
  type CreateIntegrationInput,
  type CreateSilenceInput,
  type Delivery,
  type AlertResult,
  type Integration,
  type Silence,
  type UpdateIntegrationInput,
} from '../../schema/index.js';
import { sqlState } from '../db/errors.js';
import {
  deleteIntegration,
  expireSilence,
  findIntegration,
  findSilence,
  insertIntegration,
  insertSilence,
  listDeliveries,
  listIntegrations,
  listSilences,
  updateIntegration,
} from '../db/integrations.js';
import type { AlertDeliveryRow, Database, IntegrationRow, SilenceRow } from '../db/types.js';
import { MatcherError, parseMatchers } from '../integrations/index.js';
import { AppError, notFound } from './errors.js';
import { sha256 } from './keys.js';

const UNIQUE_VIOLATION = '23505';

/** A new integration secret. */
export const newIntegrationSecret = (): string => `whk_${randomBytes(32).toString('base64url')}`;

/** Where an integration's webhook is, relative to the server's root. */
export const webhookPath = (id: string): string => `/api/integrations/${id}/alerts`;

/** The documented Integration (never the secret); stored settings are read with today's defaults. */
export function toIntegration(r: IntegrationRow): Integration {
  const settings = IntegrationSettings.safeParse(r.settings);
  return {
    id: r.id,
    name: r.name,
    kind: IntegrationKind.parse(r.kind),
    settings: settings.success ? settings.data : IntegrationSettings.parse({}),
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

export async function getIntegrationRow(db: Kysely<Database>, id: string): Promise<IntegrationRow> {
  const row = await findIntegration(db, id);
  if (!row) throw notFound('integration', id);
  return row;
}

export async function getIntegration(db: Kysely<Database>, id: string): Promise<Integration> {
  return toIntegration(await getIntegrationRow(db, id));
}

export async function allIntegrations(db: Kysely<Database>): Promise<Integration[]> {
  return (await listIntegrations(db)).map(toIntegration);
}

/** Renames and/or replaces the settings; NOT_FOUND, or CONFLICT for a taken name. */
export async function changeIntegration(db: Kysely<Database>, input: UpdateIntegrationInput): Promise<Integration> {
  try {
    const row = await updateIntegration(db, input.integration_id, { name: input.name, settings: input.settings });
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

/** Deletes the integration with its alerts and deliveries; its incidents stay. */
export async function removeIntegration(db: Kysely<Database>, id: string): Promise<Integration> {
  const row = await deleteIntegration(db, id);
  if (!row) throw notFound('integration', id);
  return toIntegration(row);
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

/**
 * Creates a silence. INVALID_INPUT (400) when a regex cannot be used (invalid, or shaped for catastrophic
 * backtracking: src/integrations/matchers.ts) or when ends_at is not after starts_at.
 */
export async function createSilence(db: Kysely<Database>, input: CreateSilenceInput): Promise<Silence> {
  try {
    parseMatchers(input.matchers);
  } catch (err) {
    if (err instanceof MatcherError) throw new AppError('INVALID_INPUT', `invalid input: ${err.message}`, err.issues);
    throw err;
  }
  const startsAt = input.starts_at ? new Date(input.starts_at) : new Date();
  const endsAt = new Date(input.ends_at);
  if (endsAt.getTime() <= startsAt.getTime()) {
    throw new AppError('INVALID_INPUT', 'invalid input: ends_at: must be after starts_at', [
      { path: 'ends_at', message: 'must be after starts_at' },
    ]);
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

export async function silencesIn(
  db: Kysely<Database>,
  state: Silence['state'] | undefined,
  limit: number,
): Promise<Silence[]> {
  return (await listSilences(db, state, limit)).map((r) => toSilence(r));
}

/** Ends a silence now; the alerts it held back are weighed again by the next sweep (within about a second). */
export async function endSilence(db: Kysely<Database>, id: string): Promise<Silence> {
  const row = await expireSilence(db, id);
  if (!row) throw notFound('silence', id);
  return toSilence(row);
}
