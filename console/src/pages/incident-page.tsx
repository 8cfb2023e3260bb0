// One incident, live: header and status moves, analysis, actions, timeline, events and the room chat.
import { useState } from 'react';
import { ActionsPanel } from '../components/actions-panel.js';
import { AnalysisPanel } from '../components/analysis-panel.js';
import { ChatPanel } from '../components/chat-panel.js';
import { savedName } from '../responder-name.js';
import { ConnectionBanner } from '../components/connection-banner.js';
import { EventList } from '../components/event-list.js';
import { IncidentHeader } from '../components/incident-header.js';
import { Link } from '../components/link.js';
import { TimelineList } from '../components/timeline-list.js';
import { useIncidentRoom } from '../live/use-incident-room.js';

/** An incident id as the server makes them. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The incident page for `id`. */
export function IncidentPage({ id }: { id: string }) {
  // Not an id at all: said at once, without asking the server (a long one would not even fit in the request's URL:
  // the query's input goes there, and the server refuses the request with a 431 tRPC cannot read).
  if (!UUID.test(id)) return <NoSuchIncident id={id} />;
  return <Incident id={id} />;
}

function NoSuchIncident({ id }: { id: string }) {
  return (
    <section>
      <p>
        <Link href="/">← Incidents</Link>
      </p>
      <h1>No such incident</h1>
      <p role="alert" data-testid="no-such-incident">
        There is no incident <code className="long-id">{id}</code> on this server: the link may be mistyped, or from
        another Warroom.
      </p>
    </section>
  );
}

function Incident({ id }: { id: string }) {
  const [name, setName] = useState(savedName);
  const room = useIncidentRoom(id, name);
  const { incident } = room;

  if (!incident) {
    if (room.missing) return <NoSuchIncident id={id} />;
    return (
      <section>
        <p>
          <Link href="/">← Incidents</Link>
        </p>
        {room.error ? (
          <p className="banner banner-error" role="alert">
            {room.error}
          </p>
        ) : (
          <p className="muted">Loading the incident…</p>
        )}
      </section>
    );
  }

  return (
    <article className="incident-page" data-incident-id={incident.id} data-live={room.live} aria-busy={room.loading}>
      <p className="crumbs">
        <Link href="/">← Incidents</Link>
      </p>
      <ConnectionBanner state={room.live} what="incident room" />
      {room.error && (
        <p className="banner banner-error" role="alert">
          {room.error}
        </p>
      )}
      <IncidentHeader
        incident={incident}
        live={room.live}
        actor={name}
        onChanged={(i) => room.applied({ incident: i })}
      />
      <div className="incident-grid">
        <div className="col">
          <AnalysisPanel incident={incident} timeline={room.timeline} />
          <ActionsPanel actions={room.actions} actor={name} onChanged={(a) => room.applied({ action: a })} />
        </div>
        <div className="col">
          <ChatPanel
            timeline={room.timeline}
            present={room.present}
            name={name}
            onName={setName}
            say={room.say}
            roomError={room.roomError}
          />
          <TimelineList entries={room.timeline} older={room.timelineOlder} />
        </div>
        {/* Across both columns: an event's message is the widest thing on the page. */}
        <div className="col wide">
          <EventList
            events={room.events}
            filter={room.eventFilter}
            onFilter={room.filterEvents}
            filtering={room.eventsLoading}
            hasMore={room.eventsNext !== null}
            loadMore={room.loadOlderEvents}
          />
        </div>
      </div>
    </article>
  );
}
