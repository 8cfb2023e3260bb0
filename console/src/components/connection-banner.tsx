// The one place a lost live connection is shown: it says what is happening and that it heals by itself.
/** How a live feed is doing. */
export type LiveState = 'connecting' | 'live' | 'reconnecting';

/** A banner while a live connection is down (role=status: announced, not alarming). */
export function ConnectionBanner({ state, what }: { state: LiveState; what: string }) {
  if (state !== 'reconnecting') return null;
  return (
    <div className="banner banner-warn" role="status" data-testid="connection-lost">
      Connection lost ({what}); reconnecting… Changes made meanwhile appear once it is back.
    </div>
  );
}
