// `Prefer: return=minimal` (RFC 7240 §4.2): a sender that never reads what ingest echoes back can ask for a 201
// with no body. A 500-event batch echoes ~160 KB of JSON; writing it is the largest single cost of a batch on the
// server and reading it one of the sender's (docs/performance.md, "Prefer: return=minimal").
import type { Context } from 'hono';

/** The response header that says the preference was honoured (RFC 7240 §3). */
export const PREFERENCE_APPLIED_HEADER = 'Preference-Applied';
export const RETURN_MINIMAL = 'return=minimal';

/**
 * Whether a `Prefer` header value asks for `return=minimal`. The grammar is RFC 7240 §2: comma-separated
 * preferences, each `token [ "=" word ] *( ";" parameter )`, where a word may be a quoted string; names are
 * case-insensitive. Several `Prefer` headers arrive joined with ", ", which the same split handles. Unknown
 * preferences are ignored, as §2 requires. When `return` appears more than once, the first one counts.
 */
export function prefersMinimalReturn(header: string | undefined): boolean {
  if (header === undefined) return false;
  for (const preference of header.split(',')) {
    const [head = ''] = preference.split(';');
    const eq = head.indexOf('=');
    const name = (eq < 0 ? head : head.slice(0, eq)).trim().toLowerCase();
    if (name !== 'return') continue;
    const value = eq < 0 ? '' : head.slice(eq + 1).trim();
    return value.replace(/^"(.*)"$/, '$1').toLowerCase() === 'minimal';
  }
  return false;
}

/**
 * The answer to a request that preferred return=minimal: `status` with no body, saying the preference was applied,
 * plus any `headers` of the answer it stands for (e.g. `Idempotent-Replayed`).
 */
export function minimalResponse(c: Context, status: number, headers: Record<string, string> = {}): Response {
  return c.body(null, status as 200, {
    ...headers,
    [PREFERENCE_APPLIED_HEADER]: RETURN_MINIMAL,
    // Said outright: without it node sends an empty chunked body.
    'Content-Length': '0',
  });
}

/** The header parameter openapi.json documents on the operations that honour it. */
export const PREFER_PARAMETER = {
  name: 'Prefer',
  in: 'header',
  required: false,
  description:
    '`return=minimal` (RFC 7240): answer 201 with an empty body and `Preference-Applied: return=minimal` instead of ' +
    'echoing the stored events; for senders that do not read the response. Other preferences are ignored.',
  schema: { type: 'string', example: 'return=minimal' },
};
