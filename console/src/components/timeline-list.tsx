// The timeline, oldest first, live. Virtualised (only the rows in view are in the DOM) so an incident with thousands
// of entries scrolls smoothly; it follows new entries only while the reader is at the bottom, so nothing jumps
// under someone reading older entries.
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useLayoutEffect, useRef } from 'react';
import { formatTime } from '../format.js';
import { LocalTimes } from './local-times.js';
import type { TimelineEntry } from '../model.js';

const LABEL: Record<TimelineEntry['entry_type'], string> = {
  status_change: 'status',
  ai_analysis: 'analysis',
  user_action: 'action',
  system_event: 'system',
  comment: 'chat',
};

/** The timeline section. */
export function TimelineList({ entries, older }: { entries: readonly TimelineEntry[]; older: boolean }) {
  const scroller = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const rows = useVirtualizer({
    count: entries.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => 56,
    overscan: 8,
    getItemKey: (i) => entries[i]?.id ?? i,
  });

  useLayoutEffect(() => {
    if (atBottom.current && entries.length > 0) rows.scrollToIndex(entries.length - 1, { align: 'end' });
  }, [entries.length, rows]);
  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const onScroll = (): void => {
      atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
    };
    el.addEventListener('scroll', onScroll, { passive: true });
    return () => el.removeEventListener('scroll', onScroll);
  }, []);

  return (
    <section className="card" aria-labelledby="timeline-heading">
      <h2 id="timeline-heading">
        Timeline{' '}
        <span className="muted small">
          ({entries.length}, oldest first{older ? '; older entries not loaded' : ''})
        </span>
      </h2>
      <div ref={scroller} className="scroller" tabIndex={0} role="region" aria-label="Timeline entries">
        <ol className="virtual" style={{ height: rows.getTotalSize() }} data-testid="timeline">
          {rows.getVirtualItems().map((row) => {
            const e = entries[row.index];
            if (!e) return null;
            return (
              <li
                key={row.key}
                data-index={row.index}
                ref={rows.measureElement}
                className={`timeline-entry entry-${e.entry_type}`}
                style={{ transform: `translateY(${row.start}px)` }}
              >
                <span className="entry-type">{LABEL[e.entry_type]}</span>
                <span className="entry-body">
                  <strong>{e.entry_type === 'comment' ? `${e.actor}: ` : e.title}</strong>
                  {e.entry_type === 'comment' && e.description}
                  {/* An analysis's text is in the Analysis section; here its title marks when it changed. */}
                  {e.entry_type !== 'comment' && e.entry_type !== 'ai_analysis' && e.description && (
                    <span>
                      {' '}
                      <LocalTimes text={e.description} />
                    </span>
                  )}
                </span>
                <time className="muted small" dateTime={e.timestamp}>
                  {formatTime(e.timestamp)} · {e.actor}
                </time>
              </li>
            );
          })}
        </ol>
      </div>
    </section>
  );
}
