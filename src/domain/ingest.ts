// Event ingest: every referenced incident must exist, and a batch is written all or nothing (one INSERT, or for a
// large batch of incidents known to exist one COPY after taking its seqs).
import type { Kysely } from 'kysely';
import {
  STORABLE_TEXT_ERROR,
  storableJson,
  storableText,
  type Event,
  type IngestEventInput,
} from '../../schema/index.js';
import { UNSTORABLE_TEXT, sqlState } from '../db/errors.js';
import { insertEvents, newEventId, type KnownIncidents } from '../db/events.js';
import { missingIncidentIds } from '../db/incidents.js';
import type { Database } from '../db/types.js';
import { AppError, type AppIssue } from './errors.js';

export interface Ingested {
  events: Event[];
  /**
   * `JSON.stringify(events)`, made at most once: for the INSERT (not for a COPY), or for a response that is exactly
   * these events (not for `Prefer: return=minimal`).
   */
  eventsJson: () => string;
  /** Each event's position in the events table (same order). */
  seqs: string[];
}

/**
 * One write, atomic by itself (insertEvents): an INSERT, a single round trip, that checks that every incident named
 * exists and writes nothing otherwise, unless `known` holds them all (incidents are never deleted, so one that existed
 * still exists); then no check, and from COPY_MIN_EVENTS events a COPY after a statement that takes their seqs. Only
 * when the check refuses do we look up which ids are missing, to name them. Text PostgreSQL cannot store (22021,
 * 22P05: validation refuses it first) is a 400 naming the field.
 *
 * The events returned are built from the validated input, not read back: the statement returns only `seq`. So what
 * is stored must be exactly what is returned: timestamps are normalised to milliseconds here (the precision every
 * read returns), and an event without one takes this request's clock, the same for the whole batch.
 */
export async function ingestEvents(
  db: Kysely<Database>,
  inputs: readonly IngestEventInput[],
  /** `actor`: who ingested the batch (an API key's name), recorded on every event; null while the server is open. */
  opts: { batch: boolean; actor?: string | null; known?: KnownIncidents },
): Promise<Ingested> {
  const now = new Date().toISOString();
  const events: Event[] = inputs.map((e) => ({
    id: newEventId(),
    incident_id: e.incident_id,
    event_type: e.event_type,
    message: e.message,
    level: e.level,
    source: e.source,
    metadata: e.metadata,
    timestamp: e.timestamp ? new Date(e.timestamp).toISOString() : now,
  }));
  let json: string | undefined;
  const eventsJson = (): string => (json ??= JSON.stringify(events));
  let seqs: string[] | null;
  try {
    seqs = await insertEvents(db, events, eventsJson, opts.actor ?? null, opts.known);
  } catch (err) {
    const state = sqlState(err);
    if (state && UNSTORABLE_TEXT.has(state)) throw unstorable(inputs, opts.batch);
    throw err;
  }
  if (seqs === null)
    throw incidentsNotFound(
      await missingIncidentIds(
        db,
        inputs.map((e) => e.incident_id),
      ),
    );
  return { events, eventsJson, seqs };
}

function incidentsNotFound(missing: readonly string[]): AppError {
  const noun = missing.length === 1 ? 'incident' : 'incidents';
  return new AppError('NOT_FOUND', missing.length ? `${noun} ${missing.join(', ')} not found` : 'incident not found');
}

/** Names every field PostgreSQL refused: only on that error path, so the happy path pays nothing for the check. */
function unstorable(inputs: readonly IngestEventInput[], batch: boolean): AppError {
  const issues: AppIssue[] = [];
  inputs.forEach((e, i) => {
    const at = (field: string): string => (batch ? `[${i}].${field}` : field);
    for (const field of ['message', 'source'] as const) {
      if (!storableText(e[field])) issues.push({ path: at(field), message: STORABLE_TEXT_ERROR });
    }
    if (!storableJson(e.metadata)) {
      issues.push({ path: at('metadata'), message: STORABLE_TEXT_ERROR });
    }
  });
  const where = issues.map((i) => i.path).join(', ') || 'the input';
  return new AppError('INVALID_INPUT', `invalid input: ${where}: text PostgreSQL cannot store`, issues);
}

/** Compresses sequence numbers into inclusive ranges: one multi-row INSERT usually gives one range. */
export function toRanges(seqs: readonly string[]): Array<[string, string]> {
  const sorted = seqs.map((s) => BigInt(s));
  // One statement's seqs usually come back ascending already: sorting 500 BigInts costs more than checking.
  if (!sorted.every((n, i) => i === 0 || (sorted[i - 1] ?? n) <= n))
    sorted.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const ranges: Array<[bigint, bigint]> = [];
  for (const n of sorted) {
    const last = ranges.at(-1);
    if (last && n <= last[1] + 1n) last[1] = n > last[1] ? n : last[1];
    else ranges.push([n, n]);
  }
  return ranges.map(([a, b]) => [String(a), String(b)]);
}
