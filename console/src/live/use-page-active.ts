// Whether this tab should hold its live connections: a hidden tab lets them go. Each list tab's feed is one SSE
// stream, that is one HTTP/1.1 connection, and Chromium allows six per host: six list tabs left open in the
// background would leave a seventh Warroom tab blank, waiting for a connection that never frees.
import { useEffect, useState } from 'react';

/**
 * How long a tab stays hidden before it lets go: a quick look at another tab and back keeps the connection, rather
 * than dropping and refetching each time.
 */
export const HIDDEN_GRACE_MS = 3_000;

const visible = (): boolean => document.visibilityState !== 'hidden';

/** True while the tab is visible, and for HIDDEN_GRACE_MS after it is hidden; true again as soon as it shows. */
export function usePageActive(): boolean {
  const [active, setActive] = useState(visible);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const changed = (): void => {
      clearTimeout(timer);
      if (visible()) setActive(true);
      else timer = setTimeout(() => setActive(false), HIDDEN_GRACE_MS);
    };
    document.addEventListener('visibilitychange', changed);
    // Hidden before the listener was there (opened in a background tab): let go after the grace all the same.
    changed();
    return () => {
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', changed);
    };
  }, []);
  return active;
}
