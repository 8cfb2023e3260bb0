// Times as a responder reads them: ages and durations in the largest sensible unit, clock times in local time.

/** "45s", "12m", "3h 20m", "2d 4h". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** How long ago `iso` was, at `now`. */
export const formatAge = (iso: string, now: number): string => formatDuration(now - Date.parse(iso));

/** MTTR from the server's fractional minutes. */
export const formatMttr = (minutes: number): string => formatDuration(minutes * 60_000);

/** A local date and time, to the second. */
export const formatTime = (iso: string): string =>
  new Date(iso).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });
