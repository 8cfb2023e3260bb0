// Whether a CSS media query matches, kept current: for layout that JavaScript must know (a virtualised row's height).
import { useSyncExternalStore } from 'react';

/** `window.matchMedia(query).matches`, re-rendering when it changes. */
export function useMediaQuery(query: string): boolean {
  return useSyncExternalStore(
    (changed) => {
      const list = window.matchMedia(query);
      list.addEventListener('change', changed);
      return () => list.removeEventListener('change', changed);
    },
    () => window.matchMedia(query).matches,
  );
}
