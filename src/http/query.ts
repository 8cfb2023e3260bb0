// The query string, read strictly: percent-escapes must be UTF-8 and each parameter may appear once. REST inputs and
// the room upgrade read it this way, rather than a lenient parser that would turn bad bytes into U+FFFD.
import { HttpError } from './errors.js';

/** One `application/x-www-form-urlencoded` component, refusing percent-escapes that are not UTF-8 (no U+FFFD). */
function decodeComponent(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    throw new HttpError('BAD_REQUEST', 'the query string is not valid percent-encoded UTF-8');
  }
}

/**
 * The query string as one value per name; a name given twice is a 400 (every documented parameter takes one value).
 * A prototype-less object, so a parameter named `__proto__` is an ordinary (unknown, ignored) name.
 */
export function queryObject(href: string): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  const start = href.indexOf('?');
  if (start < 0) return out;
  const end = href.indexOf('#', start);
  for (const pair of href.slice(start + 1, end < 0 ? undefined : end).split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decodeComponent(eq < 0 ? pair : pair.slice(0, eq));
    if (Object.hasOwn(out, key)) throw new HttpError('BAD_REQUEST', `query parameter "${key}" is given more than once`);
    out[key] = eq < 0 ? '' : decodeComponent(pair.slice(eq + 1));
  }
  return out;
}
