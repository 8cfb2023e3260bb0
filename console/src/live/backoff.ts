// How long to wait before reconnecting, shared by the room socket and the list's live feed.

/** The first retry comes this soon: most drops are a blip or a restart that is already over. */
const FIRST_DELAY_MS = 500;
/**
 * The longest wait between tries. Kept short: a tab that waited 10 s would stay stale for up to that long after the
 * server came back, while a retry every couple of seconds from each open tab costs the server next to nothing.
 */
export const MAX_DELAY_MS = 2_500;

/**
 * The wait before retry number `attempt` (0 first): exponential up to MAX_DELAY_MS, then scaled by a random 0.75 to
 * 1.25 (so at most 1.25 × MAX_DELAY_MS), so that the tabs of a whole team do not all come back in the same instant
 * after a restart.
 */
export function backoffDelay(attempt: number): number {
  return Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** attempt) * (0.75 + Math.random() / 2);
}
