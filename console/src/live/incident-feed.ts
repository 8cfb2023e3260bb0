// The live feed of every incident (tRPC subscription incidents.onListUpdate over SSE), resubscribed with backoff when
// it drops; `onOpen` runs at every (re)subscription so the list can refetch what it may have missed. A hidden tab
// lets the stream go (use-page-active.ts says why) and subscribes again when shown, catching up the same way.
import { useEffect, useRef, useState } from 'react';
import { api } from '../api.js';
import type { LiveState } from '../components/connection-banner.js';
import { describeError } from '../errors.js';
import type { Incident } from '../model.js';
import { backoffDelay } from './backoff.js';
import { usePageActive } from './use-page-active.js';

/** Subscribes while mounted and the tab is active; returns the feed's state for the banner. */
export function useIncidentFeed(onIncident: (incident: Incident) => void, onOpen: () => void): LiveState {
  const active = usePageActive();
  const [state, setState] = useState<LiveState>('connecting');
  // The latest callbacks, without resubscribing when the page re-renders.
  const handlers = useRef({ onIncident, onOpen });
  handlers.current = { onIncident, onOpen };

  useEffect(() => {
    // Let go on purpose, not lost: no banner, and nothing to retry until the tab is shown again.
    if (!active) {
      setState('connecting');
      return;
    }
    let stopped = false;
    let attempt = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let sub: { unsubscribe(): void } | undefined;
    // Which subscription is the current one: callbacks of an ended one are ignored.
    let generation = 0;
    let down = false;
    const opened = (): void => {
      attempt = 0;
      down = false;
      setState('live');
      handlers.current.onOpen();
    };
    const retry = (): void => {
      setState('reconnecting');
      // Disowned before it is ended: ending it may report completion, which must not retry a second time.
      generation += 1;
      sub?.unsubscribe();
      clearTimeout(timer);
      timer = setTimeout(subscribe, backoffDelay(attempt++));
    };
    const subscribe = (): void => {
      if (stopped) return;
      const mine = ++generation;
      sub = api.incidents.onListUpdate.subscribe(undefined, {
        onStarted: opened,
        onData: (incident) => handlers.current.onIncident(incident),
        onConnectionStateChange: (s) => {
          // Only the current stream's: one ended on purpose (the tab hidden, a retry) must not raise the banner.
          if (stopped || generation !== mine) return;
          // The link reconnects a dropped stream by itself: down while it tries, refetch once it is back.
          if (s.state === 'connecting' && s.error) {
            down = true;
            setState('reconnecting');
          } else if (s.state === 'pending' && down) opened();
        },
        onError: (err) => {
          describeError(err);
          if (!stopped && generation === mine) retry();
        },
        // A server shutting down ends the stream cleanly (src/rooms/subscription.ts) rather than dropping it, and
        // the link does not reconnect a finished stream: subscribe again, as after an error.
        onComplete: () => {
          if (!stopped && generation === mine) retry();
        },
      });
    };
    subscribe();
    return () => {
      stopped = true;
      clearTimeout(timer);
      sub?.unsubscribe();
    };
  }, [active]);
  return state;
}
