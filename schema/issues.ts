// How a validation problem is named on the wire: a path a person would write and a message, for Zod's issues.

export interface Issue {
  /** Where the problem is: `[3].level`, `status`, `tags[0]`, or `(input)` for the whole input. */
  path: string;
  message: string;
}

/** `[3].level`, `status`, `tags[0]`: the path of a Zod issue as a person would write it. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out === '' ? String(seg) : `.${String(seg)}`;
  return out === '' ? '(input)' : out;
}

/** A Zod issue, or anything shaped like one: a path, a message, and for a strict object's extra fields their keys. */
export interface IssueLike {
  path: readonly PropertyKey[];
  message: string;
  code?: unknown;
  keys?: unknown;
}

/**
 * A field a strict object does not know (Zod's `unrecognized_keys`, one issue at the object listing every key) as
 * one issue per field, at the field (`sevirity: unknown field`), so the path names what to fix as it does for every
 * other problem; other issues as they are.
 */
export function unknownFieldsApart(issues: readonly IssueLike[]): Array<{ path: PropertyKey[]; message: string }> {
  return issues.flatMap((i) =>
    i.code === 'unrecognized_keys' && Array.isArray(i.keys) && i.keys.length > 0
      ? i.keys.map((key) => ({ path: [...i.path, String(key)], message: 'unknown field' }))
      : [{ path: [...i.path], message: i.message }],
  );
}

/** Zod's issues (or anything shaped like them) as wire issues, each unknown field at its own path. */
export function toIssues(issues: readonly IssueLike[]): Issue[] {
  return unknownFieldsApart(issues).map((i) => ({ path: formatIssuePath(i.path), message: i.message }));
}

/** One line naming every issue: `status: Invalid option; limit: must be at most 500`. */
export const describeIssues = (issues: readonly Issue[]): string =>
  issues.map((i) => `${i.path}: ${i.message}`).join('; ');
