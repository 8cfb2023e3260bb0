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

/**
 * Zod's issues (or anything shaped like them: `{path, message}`) as wire issues. A field a strict object does not
 * know (Zod's `unrecognized_keys`, one issue at the object listing every key) becomes one issue per field, at the
 * field: `sevirity: unknown field`, so the path names what to fix as it does for every other problem.
 */
export function toIssues(
  issues: ReadonlyArray<{ path: readonly PropertyKey[]; message: string; code?: unknown; keys?: unknown }>,
): Issue[] {
  return issues.flatMap((i) =>
    i.code === 'unrecognized_keys' && Array.isArray(i.keys) && i.keys.length > 0
      ? i.keys.map((key) => ({ path: formatIssuePath([...i.path, String(key)]), message: 'unknown field' }))
      : [{ path: formatIssuePath(i.path), message: i.message }],
  );
}

/** One line naming every issue: `status: Invalid option; limit: must be at most 500`. */
export const describeIssues = (issues: readonly Issue[]): string =>
  issues.map((i) => `${i.path}: ${i.message}`).join('; ');
