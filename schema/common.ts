// Shared wire primitives: ids, timestamps, free-form metadata, and the one error body.
import { z } from 'zod';
import { storableText } from './text-rules.js';

// Lowercased once valid: PostgreSQL reads any case, but ids are also compared as strings (rooms, subscriptions, batches).
export const Uuid = z.uuid({ error: 'must be a UUID' }).overwrite((id) => id.toLowerCase());

/** ISO-8601 UTC timestamp as it travels on the wire (e.g. 2026-11-26T10:00:00.000Z). */
export const Timestamp = z.iso.datetime({ offset: true, error: 'must be an ISO-8601 date-time', abort: true });

/**
 * The instants a timestamp input may name, once its offset is applied: years 1000 to 9999 UTC. PostgreSQL holds far
 * more (4713 BC to 294276 AD), but not every instant round-trips unchanged through both drivers: JavaScript writes
 * years past 9999 as `+010000-…` and year 0 as `0000-…`, which PostgreSQL refuses, and the embedded database reads
 * years below 100 back as 19xx. So the rule is this range, on both databases alike.
 */
export const MIN_TIMESTAMP = Date.UTC(1000, 0, 1);
export const MAX_TIMESTAMP = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
export const TIMESTAMP_RANGE_ERROR =
  'must lie between 1000-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z once its offset is applied';

/** A timestamp a client sends: ISO-8601 with an offset, within [MIN_TIMESTAMP, MAX_TIMESTAMP]. */
export const TimestampInput = Timestamp.refine(
  (t) => {
    const ms = Date.parse(t);
    return ms >= MIN_TIMESTAMP && ms <= MAX_TIMESTAMP;
  },
  { error: TIMESTAMP_RANGE_ERROR },
);

export { storableText };

/**
 * Free text a person writes (an incident's description, a chat message), kept as written but for trailing
 * whitespace: trimmed whole, an indented snippet or stack trace at its start lost its first indent (a contract drill,
 * 2026-12-02). Only whitespace counts as empty ('').
 */
export const prose = (text: string): string => (text.trim() === '' ? '' : text.trimEnd());
export const STORABLE_TEXT_ERROR = 'must not contain a NUL (\\u0000) or an unpaired surrogate';

/**
 * Who sent something, in the sender's words (the `source` of an incident, an event or an alert): trimmed, at most 200
 * characters;
 * absent, empty or only spaces, it is `fallback` (a sender templating a missing variable sends ""; stored as "", it
 * named nothing and matched no `?source=` filter).
 */
export const SourceText = (fallback: string, description = 'Who sent it') =>
  z
    .string()
    .trim()
    .max(200, { error: 'must be at most 200 characters' })
    .refine(storableText, { error: STORABLE_TEXT_ERROR })
    .transform((s) => s || fallback)
    .default(fallback)
    // zod-openapi documents a transform's input and leaves its default out: put it back.
    .meta({
      description: `${description}; absent, empty or only spaces: "${fallback}"`,
      override: ({ jsonSchema }) => {
        jsonSchema.default = fallback;
      },
    });

/** Every string in a JSON value (keys included) is storable. */
export function storableJson(v: unknown): boolean {
  if (typeof v === 'string') return storableText(v);
  if (Array.isArray(v)) return v.every(storableJson);
  if (typeof v === 'object' && v !== null)
    return Object.entries(v).every(([k, x]) => storableText(k) && storableJson(x));
  return true;
}

/**
 * Free-form JSON object attached by a source; stored as jsonb. A loose object rather than z.record(z.string(), …):
 * the same check for JSON input (an object, not an array or null; keys are strings by construction) and the same
 * copy, without running a key and a value schema per entry, which costs a batch of events measurably more.
 */
export const Metadata = z.looseObject({});

/** Metadata may nest at most this deep (the object itself is level 1; an array is a level too). */
export const MAX_METADATA_DEPTH = 32;
/** Metadata may hold at most this many keys and array items, counted over every level. */
export const MAX_METADATA_ENTRIES = 10_000;
/**
 * Metadata may hold at most this many characters of keys, string values and numbers (as PostgreSQL writes them,
 * jsonbNumberLength) over every level. Without it only
 * the request body limit bounded metadata: incidents and events of 8 MB each made a page of the incident list or of
 * the events too large to answer (a 500 from JSON.stringify), and their analysis could not read them. Labels and
 * context fit; logs belong in events' `message`.
 */
export const MAX_METADATA_TEXT = 32_768;

/**
 * What is wrong with a metadata value, checked on the value as sent, before anything copies it: too deep, too many
 * entries, a `__proto__` key (which a JavaScript copy would silently drop, so it is refused; `constructor` and
 * `prototype` are kept like any key), text PostgreSQL cannot store, or a number too large for a double. One walk, stopping at the first problem.
 */
export function metadataProblem(value: unknown): MetadataProblem | undefined {
  return walkMetadata(value, 1, { entries: 0, text: 0 });
}

interface MetadataProblem {
  path: PropertyKey[];
  message: string;
}

/** The happy path allocates nothing: a problem's path is built only while unwinding from it. */
function walkMetadata(v: unknown, depth: number, seen: { entries: number; text: number }): MetadataProblem | undefined {
  if (typeof v === 'string') {
    seen.text += v.length;
    if (seen.text > MAX_METADATA_TEXT) return { path: [], message: TOO_MUCH_TEXT };
    return storableText(v) ? undefined : { path: [], message: STORABLE_TEXT_ERROR };
  }
  if (typeof v === 'number') {
    // JSON.parse reads 1e400 as Infinity, which would be stored as null: refused rather than silently changed.
    if (!Number.isFinite(v)) return { path: [], message: 'must be a finite number' };
    seen.text += jsonbNumberLength(v);
    return seen.text > MAX_METADATA_TEXT ? { path: [], message: TOO_MUCH_TEXT } : undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  if (depth > MAX_METADATA_DEPTH) return { path: [], message: `nests deeper than ${MAX_METADATA_DEPTH} levels` };
  if (Array.isArray(v)) {
    seen.entries += v.length;
    if (seen.entries > MAX_METADATA_ENTRIES) return { path: [], message: TOO_MANY_ENTRIES };
    for (let i = 0; i < v.length; i++) {
      const problem = walkMetadata(v[i], depth + 1, seen);
      if (problem) return { message: problem.message, path: [i, ...problem.path] };
    }
    return undefined;
  }
  for (const key in v) {
    if (!Object.hasOwn(v, key)) continue;
    if (++seen.entries > MAX_METADATA_ENTRIES) return { path: [], message: TOO_MANY_ENTRIES };
    if (key === '__proto__') return { path: [key], message: 'the key __proto__ is not accepted' };
    seen.text += key.length;
    if (seen.text > MAX_METADATA_TEXT) return { path: [key], message: TOO_MUCH_TEXT };
    if (!storableText(key)) return { path: [key], message: `key ${STORABLE_TEXT_ERROR}` };
    const problem = walkMetadata((v as Record<string, unknown>)[key], depth + 1, seen);
    if (problem) return { message: problem.message, path: [key, ...problem.path] };
  }
  return undefined;
}

const TOO_MANY_ENTRIES = `holds more than ${MAX_METADATA_ENTRIES} keys and items`;
const TOO_MUCH_TEXT = `takes metadata past ${MAX_METADATA_TEXT} characters of keys, text and numbers in all`;

/**
 * How many characters PostgreSQL's jsonb writes for the number `v`: it keeps numbers as `numeric` and prints every
 * digit, so 1.2345678901234567e308 (23 characters in JSON) is 309 on each read, and 1e-300 is 302.
 */
export function jsonbNumberLength(v: number): number {
  const s = String(v);
  const e = s.indexOf('e');
  if (e < 0) return s.length;
  const exponent = Number(s.slice(e + 1));
  const digits = s.slice(0, e).replace(/[-.]/g, '').length;
  const sign = v < 0 ? 1 : 0;
  // 1.5e+300: 301 digits; 1.5e-300: "0." and 299 zeros before the digits.
  return sign + (exponent >= 0 ? Math.max(exponent + 1, digits) : 1 - exponent + digits);
}

/** Metadata a client sends: an object within the limits above (depth, entries, text). */
export const MetadataInput = z.preprocess((value, ctx) => {
  const problem = metadataProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message, input: value });
  return value;
}, Metadata);

/** A string a client sends that PostgreSQL must be able to store (every free-text input, query filters included). */
export const StorableString = z.string().refine(storableText, { error: STORABLE_TEXT_ERROR });

/** The `incident_id` every input that names an incident carries. */
export const IncidentRef = z.object({ incident_id: Uuid });

export const ErrorIssue = z.object({
  path: z.string().meta({ description: 'Where the problem is, e.g. `[3].level` or `status`' }),
  message: z.string(),
});

/** One error body for every 4xx and 5xx, REST and tRPC alike. */
export const ErrorBody = z
  .object({
    code: z.string().meta({ description: 'Machine-readable code, e.g. NOT_FOUND, CONFLICT, BAD_REQUEST' }),
    message: z.string().meta({ description: 'What went wrong, naming the thing' }),
    issues: z.array(ErrorIssue).optional(),
    request_id: z.string().optional(),
  })
  .meta({ id: 'Error' });
export type ErrorBody = z.infer<typeof ErrorBody>;

/**
 * A paging cursor as it travels: opaque, URL-safe (base64url), issued by the server in a `Link: <…>; rel="next"`
 * header or a `next_cursor` field. Only its shape is checked here; src/domain/cursor.ts decodes it.
 */
export const Cursor = z
  .string()
  .min(1, { error: 'must not be empty' })
  .max(256, { error: 'must be at most 256 characters' })
  .regex(/^[A-Za-z0-9_-]+$/, { error: 'must be a cursor from a Link rel="next" header or next_cursor' });

/**
 * The response headers of a paged list, for openapi.json: where the next page is. `params` names the query
 * parameters the next link sets (`cursor`, or `after` when tailing); `example` is a next link of that list.
 */
export function pageLinkHeaders(params: string, example: string) {
  return z.object({
    Link: z
      .string()
      .optional()
      .meta({
        description:
          `RFC 8288: \`<PATH?QUERY>; rel="next"\`, this request with ${params} set to the next page's opaque cursor ` +
          'and every other parameter kept; a path-absolute reference, resolved against the request URL. Absent on ' +
          'the last page.',
        example,
      }),
  });
}

/** Up to 15 digits: always read exactly (a double holds every integer below 2^53, 16 digits). */
const DECIMAL = /^(0|[1-9][0-9]{0,14})$/;
/** More digits than DECIMAL takes (16 or more, no leading zero): a number past every limit, said as such. */
const LONG_DECIMAL = /^[1-9][0-9]{15,}$/;

/**
 * A whole number from the query string (REST sends text) or JSON (tRPC sends a number). Text must be plain decimal
 * digits (leading zeros allowed): `0x10`, `1e2`, ` 5` and `+5` are refused rather than read as some number the client
 * did not write. A run of digits too long to read exactly is refused as too large, which it is.
 */
export function queryInt(min: number, max: number, fallback: number) {
  return z
    .preprocess(
      (v) => {
        if (typeof v !== 'string') return v;
        // Leading zeros are still plain decimal digits (`05` is 5).
        const digits = v.replace(/^0+(?=[0-9])/, '');
        return DECIMAL.test(digits) ? Number(digits) : LONG_DECIMAL.test(digits) ? max + 1 : v;
      },
      z
        .number({ error: 'must be a whole number written in decimal digits' })
        .int({ error: 'must be a whole number' })
        .min(min, { error: `must be at least ${min}` })
        .max(max, { error: `must be at most ${max}` }),
    )
    .default(fallback);
}
