// The incident's events, newest first, live, with level and type filters applied by the server and paging that
// follows its cursor (events.page → {items, next_cursor}, filtered). Virtualised with fixed-height rows; when events
// arrive above a reader who has scrolled down, the scroll position moves with them, so the rows being read stay still.
import { useVirtualizer } from '@tanstack/react-virtual';
import { useLayoutEffect, useRef, useState } from 'react';
import { formatTime } from '../format.js';
import { EVENT_LEVELS, EVENT_TYPES, isOneOf, type Event, type EventFilter } from '../model.js';
import { useMediaQuery } from '../use-media-query.js';
import { LevelBadge } from './badges.js';

/** Row heights: one line at desktop; two at phone width (badge and time above, the message below), so nothing is cut. */
const DESKTOP_ROW = 34;
const PHONE_ROW = 54;
/** The width below which styles.css stacks the page: keep the two in step. */
export const PHONE_QUERY = '(max-width: 760px)';

interface Props {
  /** Already filtered by the server (and live events by the page's filter). */
  events: readonly Event[];
  filter: EventFilter;
  onFilter: (filter: EventFilter) => void;
  /** The first page for a new filter is on its way. */
  filtering: boolean;
  hasMore: boolean;
  loadMore: () => Promise<void>;
}

/** The events section. */
export function EventList({ events, filter, onFilter, filtering, hasMore, loadMore }: Props) {
  const [loading, setLoading] = useState(false);
  // The event shown whole below the list (a row shows one line of its message).
  const [open, setOpen] = useState<Event | undefined>();
  const scroller = useRef<HTMLDivElement>(null);
  const phone = useMediaQuery(PHONE_QUERY);
  const rowHeight = phone ? PHONE_ROW : DESKTOP_ROW;
  const filtered = filter.level !== undefined || filter.event_type !== undefined;
  const rows = useVirtualizer({
    count: events.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => rowHeight,
    overscan: 12,
    getItemKey: (i) => events[i]?.id ?? i,
  });
  // The row height changes with the width: the virtualiser measures again.
  useLayoutEffect(() => {
    rows.measure();
  }, [rowHeight, rows]);

  // Keep the first row in view where it is when newer events are added above it.
  const anchor = useRef<{ id: string; index: number } | undefined>(undefined);
  useLayoutEffect(() => {
    const el = scroller.current;
    const held = anchor.current;
    if (el && held && el.scrollTop > 0) {
      const index = events.findIndex((e) => e.id === held.id);
      if (index > held.index) el.scrollTop += (index - held.index) * rowHeight;
    }
    const top = el ? Math.floor(el.scrollTop / rowHeight) : 0;
    const first = events[top];
    anchor.current = first ? { id: first.id, index: top } : undefined;
  }, [events, rowHeight]);

  const more = async (): Promise<void> => {
    setLoading(true);
    try {
      await loadMore();
    } finally {
      setLoading(false);
    }
  };

  return (
    <section className="card" aria-labelledby="events-heading">
      <h2 id="events-heading">
        Events{' '}
        <span className="muted small" data-testid="events-count">
          ({events.length} {filtered ? 'matching ' : ''}loaded, newest first)
        </span>
      </h2>
      <div className="filters">
        <label>
          Level
          <select
            value={filter.level ?? ''}
            onChange={(e) => {
              const v = e.target.value;
              onFilter({ ...filter, level: isOneOf(EVENT_LEVELS, v) ? v : undefined });
            }}
          >
            <option value="">any</option>
            {EVENT_LEVELS.map((l) => (
              <option key={l}>{l}</option>
            ))}
          </select>
        </label>
        <label>
          Type
          <select
            value={filter.event_type ?? ''}
            onChange={(e) => {
              const v = e.target.value;
              onFilter({ ...filter, event_type: isOneOf(EVENT_TYPES, v) ? v : undefined });
            }}
          >
            <option value="">any</option>
            {EVENT_TYPES.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </label>
      </div>
      <div
        ref={scroller}
        className="scroller"
        tabIndex={0}
        role="region"
        aria-label="Event list"
        onScroll={(e) => {
          const el = e.currentTarget;
          const top = Math.floor(el.scrollTop / rowHeight);
          const first = events[top];
          anchor.current = first ? { id: first.id, index: top } : undefined;
        }}
      >
        <ul className="virtual" style={{ height: rows.getTotalSize() }} data-testid="events">
          {rows.getVirtualItems().map((row) => {
            const e = events[row.index];
            if (!e) return null;
            return (
              <li
                key={row.key}
                className="event-row"
                style={{ height: rowHeight, transform: `translateY(${row.start}px)` }}
                title={e.message}
              >
                <LevelBadge level={e.level} />
                <span className="event-type">{e.event_type}</span>
                <button
                  type="button"
                  className="event-message link-button"
                  aria-expanded={open?.id === e.id}
                  aria-controls="event-detail"
                  onClick={() => setOpen(open?.id === e.id ? undefined : e)}
                >
                  {e.message}
                </button>
                <span className="event-source muted">{e.source}</span>
                <time className="muted small" dateTime={e.timestamp}>
                  {formatTime(e.timestamp)}
                </time>
              </li>
            );
          })}
        </ul>
        {events.length === 0 && (
          <p className="muted">
            {filtering ? 'Loading…' : filtered ? 'No events match these filters.' : 'No events yet.'}
          </p>
        )}
      </div>
      {open && (
        <div id="event-detail" className="event-detail" role="region" aria-label="Event details">
          <p>
            <LevelBadge level={open.level} /> {open.event_type} from {open.source} at {formatTime(open.timestamp)}{' '}
            <button type="button" className="link-button" onClick={() => setOpen(undefined)}>
              Close
            </button>
          </p>
          <pre tabIndex={0}>{open.message}</pre>
          {Object.keys(open.metadata).length > 0 && <pre tabIndex={0}>{JSON.stringify(open.metadata, null, 2)}</pre>}
        </div>
      )}
      {hasMore && (
        <button type="button" onClick={() => void more()} disabled={loading}>
          {loading ? 'Loading…' : 'Load older events'}
        </button>
      )}
    </section>
  );
}
