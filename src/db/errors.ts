// Recognises PostgreSQL errors by SQLSTATE; `pg` and PGlite both expose it as `code`.
export const FOREIGN_KEY_VIOLATION = '23503';

export function sqlState(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  const code = (err as { code: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** Text PostgreSQL cannot store: a NUL character (22021), or a \\u0000 / unpaired surrogate in JSON (22P05). */
export const UNSTORABLE_TEXT = new Set(['22021', '22P05']);
