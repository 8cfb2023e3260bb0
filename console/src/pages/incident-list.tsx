// The incident list: newest first, filters kept in the URL, live through incidents.onListUpdate, a "new incident"
// form, and paging that follows the server's cursor. Rows never move under a reader: status changes apply in place
// (fixed-width badges), and incidents arriving from elsewhere wait behind a floating "N new incidents" button that
// takes no room in the layout, until the reader asks for them.
import { useCallback, useEffect, useRef, useState } from 'react';
import { api } from '../api.js';
import { SeverityBadge, StatusBadge } from '../components/badges.js';
import { ConnectionBanner } from '../components/connection-banner.js';
import { Link } from '../components/link.js';
import { NewIncidentForm } from '../components/new-incident-form.js';
import { describeError } from '../errors.js';
import { formatAge, formatMttr, formatTime } from '../format.js';
import { useIncidentFeed } from '../live/incident-feed.js';
import {
  ArrivalTracker,
  VersionLog,
  isNewer,
  newestFirst,
  withArrivals,
  withNewerVersions,
} from '../live/list-arrivals.js';
import {
  SEVERITIES,
  STATUSES,
  filtersFrom,
  filtersQuery,
  matchesFilters,
  type Incident,
  type IncidentFilters,
} from '../model.js';
import { incidentPath, navigate, useLocation } from '../navigation.js';
import { NotAllowed, usePermissions } from '../permissions.js';
import { useNow } from '../use-now.js';

const PAGE = 50;
/**
 * After a (re)subscription the loaded rows are fetched again, in pages of as many as are held plus PAGE for what
 * arrived meanwhile, up to the server's maximum of 500, at most REFRESH_PAGES of them; a list longer than that keeps
 * its newest rows and a cursor into the rest. Sized to what is held: every open tab refreshes after a deploy restarts
 * the instances, and a tab showing 50 rows should not read 500.
 */
const REFRESH_PAGE = 500;
const REFRESH_PAGES = 10;

/** The list page. */
export function IncidentList() {
  const { query } = useLocation();
  const filters = filtersFrom(query);
  const filterKey = filtersQuery(filters);
  const [items, setItems] = useState<Incident[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  // A load or reload of the list is on its way (aria-busy on the list; tests wait for it too).
  const [busy, setBusy] = useState(true);
  const [error, setError] = useState<string | undefined>();
  // Rows that just arrived or changed, highlighted briefly.
  const [fresh, setFresh] = useState<ReadonlySet<string>>(new Set());
  // Arrivals held back while the reader is scrolled down the list (newest last), so the rows in view stay where they
  // are; shown on request. At the top of the list, where they land, they go straight in.
  const [pending, setPending] = useState<ReadonlyMap<string, Incident>>(new Map());
  const itemsRef = useRef(items);
  itemsRef.current = items;
  const nextRef = useRef(next);
  nextRef.current = next;
  const listRef = useRef<HTMLUListElement>(null);
  const now = useNow();
  const { can } = usePermissions();
  const filtersRef = useRef(filters);
  filtersRef.current = filters;

  // Only the newest load may land: an answer for filters since changed, or overtaken by a reload, is dropped.
  const loads = useRef(0);
  // Incidents seen live (frames, and the one this tab created) while a read is on its way, which its answer, read
  // earlier, may not hold yet (list-arrivals.ts).
  const arrivals = useRef(new ArrivalTracker());
  const versions = useRef(new VersionLog());
  const load = useCallback(async () => {
    const f = filtersRef.current;
    const n = ++loads.current;
    const seen = arrivals.current.start();
    setBusy(true);
    try {
      const page = await api.incidents.page.query({ ...f, limit: PAGE });
      if (n !== loads.current) return;
      // The first page is the server's truth; it holds whatever was waiting to be shown.
      setItems(withArrivals(page.items, seen, (i) => matchesFilters(i, f), page.next_cursor !== null));
      setNext(page.next_cursor);
      setPending(new Map());
      setError(undefined);
    } catch (err) {
      // A load since overtaken says nothing about the list on screen.
      if (n === loads.current) setError(describeError(err));
    } finally {
      arrivals.current.end(seen);
      if (n === loads.current) {
        setLoaded(true);
        setBusy(false);
      }
    }
  }, []);

  /** Whether the list's first row is on screen (the page is not scrolled past the top of the list). */
  const listTopInView = (): boolean => (listRef.current?.getBoundingClientRect().top ?? 0) >= 0;

  /**
   * After a reconnect: what changed while away, merged into the rows loaded, older pages included, so the reader
   * keeps their place. The loaded range is fetched again (its rows are the server's truth: changed, gone, arrived);
   * arrivals above a reader scrolled down wait behind the "N new" button, as live ones do.
   */
  const refresh = useCallback(async () => {
    const held = itemsRef.current;
    const oldest = held.at(-1);
    if (!oldest) return load();
    const f = filtersRef.current;
    const n = ++loads.current;
    const seen = arrivals.current.start();
    setBusy(true);
    const limit = Math.min(REFRESH_PAGE, held.length + PAGE);
    try {
      const read: Incident[] = [];
      let cursor: string | null = null;
      for (let pages = 0; pages < REFRESH_PAGES; pages++) {
        const page = await api.incidents.page.query({ ...f, limit, ...(cursor ? { cursor } : {}) });
        read.push(...page.items);
        cursor = page.next_cursor;
        const last = page.items.at(-1);
        // Down to the oldest row held: the cursor then continues where "Load older" did.
        if (!cursor || !last || newestFirst(last, oldest) >= 0) break;
      }
      if (n !== loads.current) return;
      const got = withArrivals(read, seen, (i) => matchesFilters(i, f), cursor !== null);
      // Rows above the top row held when the reload was sent wait behind the button if the reader is scrolled
      // down, except those on screen now: a row that arrived live meanwhile (or that the reader asked to see) stays.
      const first = held[0];
      const had = new Set([...held, ...itemsRef.current].map((i) => i.id));
      const waiting = listTopInView() || !first ? [] : got.filter((i) => !had.has(i.id) && newestFirst(i, first) < 0);
      const waits = new Set(waiting.map((i) => i.id));
      setItems(got.filter((i) => !waits.has(i.id)));
      setNext(cursor);
      setPending(new Map(waiting.map((i) => [i.id, i])));
      setError(undefined);
    } catch (err) {
      if (n === loads.current) setError(describeError(err));
    } finally {
      arrivals.current.end(seen);
      // A reload can overtake the first load of new filters (the feed reconnecting just then): it ends the loading.
      if (n === loads.current) {
        setLoaded(true);
        setBusy(false);
      }
    }
  }, [load]);

  useEffect(() => {
    setItems([]);
    setPending(new Map());
    setNext(null);
    setLoaded(false);
    void load();
  }, [filterKey, load]);

  const highlight = (ids: readonly string[]): void => {
    setFresh((s) => new Set([...s, ...ids]));
    setTimeout(
      () =>
        setFresh((s) => {
          const n = new Set(s);
          for (const id of ids) n.delete(id);
          return n;
        }),
      2000,
    );
  };

  /** Puts `added` into the list now, in order (ones already there are replaced). */
  const show = (added: readonly Incident[]): void => {
    const ids = new Set(added.map((i) => i.id));
    setItems((current) => {
      // A later version already held stays (the create's answer may come after a frame of a change to it).
      const held = new Map(current.map((i) => [i.id, i]));
      const rows = added.map((a) => {
        const h = held.get(a.id);
        return h && isNewer(h, a) ? h : a;
      });
      return [...current.filter((i) => !ids.has(i.id)), ...rows].sort(newestFirst);
    });
    setPending((p) => {
      const n = new Map(p);
      for (const id of ids) n.delete(id);
      return n;
    });
    highlight([...ids]);
  };

  const live = useIncidentFeed(
    (incident) => {
      // Frames of one incident can come out of order from two instances (one local, one through the database).
      if (versions.current.stale(incident)) return;
      arrivals.current.note(incident);
      const matches = matchesFilters(incident, filtersRef.current);
      const current = itemsRef.current;
      const shown = current.find((i) => i.id === incident.id);
      if (shown && isNewer(shown, incident)) return;
      if (shown) {
        // A change to a row in view: in place (or gone, when it no longer matches the filters). Compared again in
        // the updater: itemsRef is as of the last render, and a later frame may have been applied since.
        setItems((c) => {
          const held = c.find((i) => i.id === incident.id);
          if (held && isNewer(held, incident)) return c;
          return matches ? c.map((i) => (i.id === incident.id ? incident : i)) : c.filter((i) => i.id !== incident.id);
        });
        if (matches) highlight([incident.id]);
        return;
      }
      const last = current.at(-1);
      const beyondLoaded = nextRef.current !== null && last !== undefined && newestFirst(incident, last) > 0;
      if (!matches || beyondLoaded) {
        // Not for this view, or older than the loaded pages (its page brings it).
        setPending((p) => {
          if (!p.has(incident.id)) return p;
          const n = new Map(p);
          n.delete(incident.id);
          return n;
        });
        return;
      }
      // At the top of the list (or on an empty one) the reader is watching where it lands: in at once. Scrolled
      // down, inserting it would move the rows being read, so it waits behind the "N new" button.
      if (current.length === 0 || listTopInView()) show([incident]);
      else setPending((p) => new Map(p).set(incident.id, incident));
    },
    () => void refresh(),
  );

  const showPending = (): void => {
    show([...pending.values()]);
    // The new rows are at the top of the list: bring it into view if the reader had scrolled past it.
    const top = listRef.current?.getBoundingClientRect().top;
    if (top !== undefined && top < 0) listRef.current?.scrollIntoView({ block: 'start' });
  };
  const waiting = [...pending.values()];
  const urgent = waiting.filter((i) => i.severity === 'critical' || i.severity === 'high').length;

  const more = async (): Promise<void> => {
    if (!next) return;
    // Dropped if a load or reload starts meanwhile (new filters, a reconnect): the list it lands on is another.
    const n = loads.current;
    const f = filtersRef.current;
    const seen = arrivals.current.start();
    try {
      const page = await api.incidents.page.query({ ...f, limit: PAGE, cursor: next });
      if (n !== loads.current) return;
      // Its rows' later versions seen live meanwhile: the feed left them to this page, which read them before.
      const rows = withNewerVersions(page.items, seen, (i) => matchesFilters(i, f));
      setItems((current) => {
        const ids = new Set(current.map((i) => i.id));
        return [...current, ...rows.filter((i) => !ids.has(i.id))];
      });
      setNext(page.next_cursor);
    } catch (err) {
      if (n === loads.current) setError(describeError(err));
    } finally {
      arrivals.current.end(seen);
    }
  };

  const setFilter = (name: keyof IncidentFilters, value: string): void => {
    // On the path the list was opened at (/ or /incidents/): another path would remount the page, losing what was typed.
    const q = filtersQuery({ ...filtersRef.current, [name]: value || undefined } as IncidentFilters);
    navigate(`${window.location.pathname}${q}`, true);
  };

  return (
    <section aria-labelledby="incidents-heading" data-live={live}>
      <div className="page-head">
        <h1 id="incidents-heading">Incidents</h1>
        {can('write') ? (
          <NewIncidentForm
            onCreated={(i) => {
              if (versions.current.stale(i)) return;
              arrivals.current.note(i);
              if (matchesFilters(i, filtersRef.current)) show([i]);
            }}
          />
        ) : (
          // A missing button explains nothing: the sentence says why there is none.
          <NotAllowed what="open an incident" scope="write" />
        )}
      </div>
      <ConnectionBanner state={live} what="incident list" />
      <form className="filters" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Status
          <select value={filters.status ?? ''} onChange={(e) => setFilter('status', e.target.value)} name="status">
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Severity
          <select
            value={filters.severity ?? ''}
            onChange={(e) => setFilter('severity', e.target.value)}
            name="severity"
          >
            <option value="">any</option>
            {SEVERITIES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <TextFilter label="Source" value={filters.source ?? ''} onChange={(v) => setFilter('source', v)} />
        <TextFilter label="Tag" value={filters.tag ?? ''} onChange={(v) => setFilter('tag', v)} />
        {filterKey && (
          <button type="button" className="link-button" onClick={() => navigate(window.location.pathname, true)}>
            Clear filters
          </button>
        )}
      </form>
      {error && (
        <p className="banner banner-error" role="alert">
          {error}
        </p>
      )}
      {loaded && items.length === 0 && !error && (
        <p className="empty">{filterKey ? 'No incident matches these filters.' : 'No incidents yet. All quiet.'}</p>
      )}
      {!loaded && <p className="muted">Loading incidents…</p>}
      {/* Zero height and sticky: the button floats over the rows without moving them. */}
      <div className="new-arrivals" aria-live="polite">
        {waiting.length > 0 && (
          <button type="button" onClick={showPending} data-testid="new-arrivals">
            {waiting.length === 1 ? '1 new incident' : `${waiting.length} new incidents`}
            {urgent > 0 && ` (${urgent} critical or high)`}: show
          </button>
        )}
      </div>
      <ul
        ref={listRef}
        className="incident-list"
        data-testid="incident-list"
        aria-label="Incidents, newest first"
        aria-busy={busy}
      >
        {items.map((i) => (
          <li key={i.id} className={fresh.has(i.id) ? 'incident-row fresh' : 'incident-row'} data-incident-id={i.id}>
            <SeverityBadge severity={i.severity} />
            <StatusBadge status={i.status} />
            <Link href={incidentPath(i.id)} className="incident-title">
              {i.title}
            </Link>
            <span className="incident-meta">
              <span>{i.source}</span>
              {i.tags.map((t) => (
                <span key={t} className="tag">
                  {t}
                </span>
              ))}
            </span>
            {i.mttr_minutes === null ? (
              <span className="incident-age" title={i.created_at} data-testid="age">
                {formatAge(i.created_at, now)} ago
              </span>
            ) : (
              // Resolved: how long it took, not how long ago it opened.
              <span className="incident-age" title={`opened ${formatTime(i.created_at)}`} data-testid="mttr">
                MTTR {formatMttr(i.mttr_minutes)}
              </span>
            )}
          </li>
        ))}
      </ul>
      {next && (
        <button type="button" onClick={() => void more()}>
          Load older incidents
        </button>
      )}
    </section>
  );
}

/** A text filter that updates the URL as one types, a moment after the last key. */
function TextFilter({ label, value, onChange }: { label: string; value: string; onChange: (v: string) => void }) {
  const [draft, setDraft] = useState(value);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  // The URL's value is trimmed: a draft that trims to it is kept as typed (a trailing space before the pause stays in
  // the box); a different value (Clear filters, back/forward) replaces it.
  useEffect(() => setDraft((d) => (d.trim() === value ? d : value)), [value]);
  useEffect(() => () => clearTimeout(timer.current), []);
  return (
    <label>
      {label}
      <input
        type="search"
        name={label.toLowerCase()}
        value={draft}
        onChange={(e) => {
          const v = e.target.value;
          setDraft(v);
          clearTimeout(timer.current);
          timer.current = setTimeout(() => onChange(v.trim()), 300);
        }}
      />
    </label>
  );
}
