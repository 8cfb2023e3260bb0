// The current time, refreshed twice a second, so ages on screen move without each row running a timer. Ages under a
// minute are shown in whole seconds (floored), so a shown age trails the truth by under a second plus the time since
// the last tick: every 500 ms keeps it within 1.5 s. Every second let it trail by up to 2 s, depending on where the
// page's tick fell against each incident's creation (the console test met it on a machine where it fell just before).
import { useEffect, useState } from 'react';

/** Date.now(), re-read every `everyMs`. */
export function useNow(everyMs = 500): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}
