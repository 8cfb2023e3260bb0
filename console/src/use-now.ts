// The current time, refreshed every second (ages under a minute are shown in seconds, so a slower tick would show a
// wrong one), so ages on screen move without each row running a timer.
import { useEffect, useState } from 'react';

/** Date.now(), re-read every `everyMs`. */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}
