// Paging cursors: the opaque strings list endpoints hand out (REST `Link: <…>; rel="next"`, tRPC `next_cursor`) and
// take back (`cursor`, `after`). A cursor names one row's position in its list's sort order, so the next page starts
// strictly after that row (keyset paging) and a row is never skipped or repeated when sort keys tie.
//
// Format, version 1: base64url (RFC 4648 §5, no padding) of compact JSON
//   events:    {"v":1,"k":"e","t":"2026-11-29T16:33:06.123000Z","s":"1234","x":"5678","n":"<uuid>"}
//              t = timestamp, s = seq, x = the id of the transaction that wrote it (for tailing), n = the incident
//              whose list issued it (cursors issued before 2026-12-01 have no `n` and are still taken)
//   incidents: {"v":1,"k":"i","t":"2026-11-29T16:33:06.123456Z","i":"<uuid>"}  t = created_at, i = id
//   silences:  {"v":1,"k":"s","t":"2026-11-29T16:33:06.123456Z","i":"<uuid>","f":"a"}  t = created_at, i = id,
//              f = the state filter of the list that issued it (p, a, e; absent without one)
//   timeline:  {"v":1,"k":"t","s":"1234","n":"<uuid>","d":"o"}  s = the entry's seq, n = the incident whose timeline
//              issued it, d = the order it was read in (o: oldest first, n: newest first)
// `t` keeps PostgreSQL's microseconds (a JS Date would round them away and the keyset would skip rows). The cursor is
// not signed: it only says where to resume, which a client could equally say with `before`, so a forged one can read
// nothing it could not read anyway. It is validated strictly so that a damaged one is a clear 400, never a 500.
import { z } from 'zod';
import { AppError } from './errors.js';

/**
 * An event's place in its incident's list: its timestamp (ISO-8601 UTC, microseconds), its insertion `seq` and the
 * id of the transaction that wrote it (`xact`), as decimal strings.
 */
export interface EventPosition {
  timestamp: string;
  seq: string;
  xact: string;
}

/** An incident's place in the incident list: `created_at` (ISO-8601 UTC, microseconds) and its id. */
export interface IncidentPosition {
  createdAt: string;
  id: string;
}

/** Longer input is refused before decoding; a version 1 cursor is under 220 characters. */
const MAX_CURSOR_LENGTH = 256;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** Exactly the shape the database's `to_char(… 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')` produces. */
const MICRO_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const BIGINT_MAX = 9_223_372_036_854_775_807n;

const MicroTimestamp = z
  .string()
  .regex(MICRO_ISO)
  // A real instant: no 13th month, no 30th of February (PostgreSQL would refuse it with an error, not a 400).
  .refine((t) => {
    const ms = Date.parse(`${t.slice(0, 23)}Z`);
    return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 23) === t.slice(0, 23);
  });
/** Decimal bigint text in [min, 2^63 - 1]; one check, so BigInt() never sees text that is not digits. */
const bigintText = (min: 0 | 1) =>
  z.string().refine((s) => (min === 0 ? /^(0|[1-9]\d{0,18})$/ : /^[1-9]\d{0,18}$/).test(s) && BigInt(s) <= BIGINT_MAX);
const PositiveBigint = bigintText(1);
/** A transaction id; 0 for events written before the column existed (src/db/events.ts). */
const TransactionId = bigintText(0);

const EventPayload = z.strictObject({
  v: z.literal(1),
  k: z.literal('e'),
  t: MicroTimestamp,
  s: PositiveBigint,
  x: TransactionId,
  n: z.uuid().optional(),
});
const IncidentPayload = z.strictObject({ v: z.literal(1), k: z.literal('i'), t: MicroTimestamp, i: z.uuid() });
const SilencePayload = z.strictObject({
  v: z.literal(1),
  k: z.literal('s'),
  t: MicroTimestamp,
  i: z.uuid(),
  f: z.enum(['p', 'a', 'e']).optional(),
});
const TimelinePayload = z.strictObject({
  v: z.literal(1),
  k: z.literal('t'),
  s: PositiveBigint,
  n: z.uuid(),
  d: z.enum(['o', 'n']),
});

/** Each cursor kind's list, as an error message names it. */
const LISTS = { e: 'events', i: 'incidents', t: 'a timeline', s: 'silences' } as const;
type CursorKind = keyof typeof LISTS;

const encode = (payload: object): string => Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');

/**
 * The cursor naming an event's position in incident `incidentId`'s event list (for `cursor=` and `after=`). The
 * incident is in it because a position is only meaningful in its own list: another incident's cursor would page
 * from an unrelated point (a tail would skip every event written before it), so it is refused instead.
 */
export function encodeEventCursor(p: EventPosition, incidentId: string): string {
  return encode({ v: 1, k: 'e', t: p.timestamp, s: p.seq, x: p.xact, n: incidentId });
}

/**
 * A tail position between events rather than at one: the cursor that, passed as `after`, reads every event written by
 * transaction `xmin` or a younger one. Built from the oldest transaction still running when it was taken
 * (`oldestRunningTransaction`), it says "after everything already committed": the position sorts after the last seq
 * of transaction `xmin - 1`. Its timestamp is the year 1, before any an event may have (inputs start at 1000), so as
 * a newest-first `cursor` it reads nothing.
 */
export function encodeTailFrom(xmin: string, incidentId: string): string {
  // A snapshot's xmin is a normal transaction id, never below 3: xmin - 1 stays a valid one.
  const xact = (BigInt(xmin) - 1n).toString();
  return encodeEventCursor({ timestamp: '0001-01-01T00:00:00.000000Z', seq: BIGINT_MAX.toString(), xact }, incidentId);
}

/**
 * The cursor naming a timeline entry's position (its `seq`, decimal text) in incident `incidentId`'s timeline read
 * oldest or newest first: the next page continues past it in that order, and only in that order.
 */
export function encodeTimelineCursor(seq: string, incidentId: string, newestFirst: boolean): string {
  return encode({ v: 1, k: 't', s: seq, n: incidentId, d: newestFirst ? 'n' : 'o' });
}

/** The cursor naming an incident's position in the incident list (for `cursor=`). */
export function encodeIncidentCursor(p: IncidentPosition): string {
  return encode({ v: 1, k: 'i', t: p.createdAt, i: p.id });
}

/** A silence's place in the silence list: `created_at` (ISO-8601 UTC, microseconds) and its id. */
export type SilencePosition = IncidentPosition;
type SilenceState = 'pending' | 'active' | 'expired';
const STATE_LETTER = { pending: 'p', active: 'a', expired: 'e' } as const;

/**
 * The cursor naming a silence's position in the silence list filtered by `state`: the next page continues past it,
 * in the same list only (a silence's state changes with time, so a cursor of the active list would skip or repeat
 * silences in the expired one).
 */
export function encodeSilenceCursor(p: SilencePosition, state: SilenceState | undefined): string {
  return encode({ v: 1, k: 's', t: p.createdAt, i: p.id, ...(state ? { f: STATE_LETTER[state] } : {}) });
}

function invalid(param: string, why: string): AppError {
  return new AppError('INVALID_INPUT', `${param} is not a cursor this list issued: ${why}`, [
    { path: param, message: why },
  ]);
}

/** The JSON a cursor carries, or an INVALID_INPUT AppError naming `param` (garbage, padding, damage, not JSON). */
function payloadOf(text: string, param: string): unknown {
  if (text.length === 0 || text.length > MAX_CURSOR_LENGTH || !BASE64URL.test(text)) {
    throw invalid(param, 'expected the opaque string from a Link rel="next" or next_cursor');
  }
  const bytes = Buffer.from(text, 'base64url');
  // Node's decoder skips what it cannot read; a cursor must survive the round trip byte for byte.
  if (bytes.toString('base64url') !== text) throw invalid(param, 'not valid base64url');
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch {
    throw invalid(param, 'damaged');
  }
}

function versionCheck(payload: unknown, param: string, kind: CursorKind): void {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) throw invalid(param, 'damaged');
  const { v, k } = payload as { v?: unknown; k?: unknown };
  if (v !== 1) throw invalid(param, `unsupported cursor version ${JSON.stringify(v ?? null)}; start the list again`);
  if (typeof k !== 'string' || !Object.hasOwn(LISTS, k)) throw invalid(param, 'damaged');
  if (k !== kind) throw invalid(param, `a cursor of another list (${LISTS[k as CursorKind]})`);
}

/**
 * The event position `text` names in incident `incidentId`'s event list. `param` is the input that carried it
 * (`cursor` or `after`), named in the error. Throws AppError INVALID_INPUT (HTTP 400) with an issue at `param` for
 * anything this module did not encode, and for a cursor another incident's list issued.
 */
export function decodeEventCursor(text: string, param: string, incidentId: string): EventPosition {
  const payload = payloadOf(text, param);
  versionCheck(payload, param, 'e');
  const parsed = EventPayload.safeParse(payload);
  if (!parsed.success) throw invalid(param, 'damaged');
  if (parsed.data.n !== undefined && parsed.data.n.toLowerCase() !== incidentId.toLowerCase()) {
    throw invalid(param, `a cursor of another incident's events (${parsed.data.n})`);
  }
  return { timestamp: parsed.data.t, seq: parsed.data.s, xact: parsed.data.x };
}

/** The incident position `text` names; errors as `decodeEventCursor`. */
export function decodeIncidentCursor(text: string, param: string): IncidentPosition {
  const payload = payloadOf(text, param);
  versionCheck(payload, param, 'i');
  const parsed = IncidentPayload.safeParse(payload);
  if (!parsed.success) throw invalid(param, 'damaged');
  return { createdAt: parsed.data.t, id: parsed.data.i };
}

/** The silence position `text` names in the list filtered by `state`; errors as `decodeEventCursor`. */
export function decodeSilenceCursor(text: string, param: string, state: SilenceState | undefined): SilencePosition {
  const payload = payloadOf(text, param);
  versionCheck(payload, param, 's');
  const parsed = SilencePayload.safeParse(payload);
  if (!parsed.success) throw invalid(param, 'damaged');
  if (parsed.data.f !== (state ? STATE_LETTER[state] : undefined)) {
    throw invalid(param, 'a cursor of the silence list with another state filter; keep the state it was issued for');
  }
  return { createdAt: parsed.data.t, id: parsed.data.i };
}

/**
 * The timeline position (an entry's `seq`, decimal text) `text` names in incident `incidentId`'s timeline read in the
 * order `newestFirst` says; errors as `decodeEventCursor`, a cursor of another incident's timeline or of the other
 * order included (continuing a newest-first walk oldest first would hand back entries the client already has).
 */
export function decodeTimelineCursor(text: string, param: string, incidentId: string, newestFirst: boolean): string {
  const payload = payloadOf(text, param);
  versionCheck(payload, param, 't');
  const parsed = TimelinePayload.safeParse(payload);
  if (!parsed.success) throw invalid(param, 'damaged');
  if (parsed.data.n.toLowerCase() !== incidentId.toLowerCase()) {
    throw invalid(param, `a cursor of another incident's timeline (${parsed.data.n})`);
  }
  if ((parsed.data.d === 'n') !== newestFirst) {
    throw invalid(
      param,
      parsed.data.d === 'n'
        ? 'a cursor of the timeline read newest first (tRPC incidents.timelinePage with newest_first)'
        : 'a cursor of the timeline read oldest first (without newest_first)',
    );
  }
  return parsed.data.s;
}
