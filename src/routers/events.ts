// events.*: ingest one event, ingest a batch, list an incident's events (a page; `page` adds the next cursor).
import { z } from 'zod';
import {
  Event,
  EventPage,
  EventPageInput,
  IngestBatchInput,
  IngestEventInput,
  ListEventsInput,
  pageLinkHeaders,
} from '../../schema/index.js';
import { publishEvents } from '../domain/changes.js';
import { ingestEvents } from '../domain/ingest.js';
import { pageEvents, tailFromNow } from '../domain/pages.js';
import { procedure, router } from '../trpc/init.js';
import type { OutputPolicy } from '../trpc/output-validation.js';

const TAGS = ['events'];

/** The events procedures; `output` decides whether results are checked against their schemas. */
export const eventsRouter = (output: OutputPolicy) =>
  router({
    ingest: procedure
      .meta({
        openapi: { method: 'POST', path: '/ingest/events', tags: TAGS, summary: 'Ingest one event' },
        rest: { status: 201, idempotent: true, minimalReturn: true },
        scope: 'ingest',
      })
      .input(IngestEventInput)
      .output(output(Event))
      .mutation(async ({ ctx, input }) => {
        const ingested = await ingestEvents(ctx.db, [input], {
          batch: false,
          actor: ctx.access.principal?.name ?? null,
          known: ctx.knownIncidents,
        });
        publishEvents(ctx.changes, ingested, (id) => ctx.analysis.schedule(id, 'ingest'));
        // `[{…}]` without its brackets: the one event's JSON.
        ctx.response.json = () => ingested.eventsJson().slice(1, -1);
        const [event] = ingested.events;
        if (!event) throw new Error('insert returned no row');
        return event;
      }),

    ingestBatch: procedure
      .meta({
        openapi: {
          method: 'POST',
          path: '/ingest/events/batch',
          tags: TAGS,
          summary: 'Ingest 1 to 1000 events, all or nothing',
          description:
            'The body is a JSON array. An invalid item fails the whole batch with 400 naming each bad index; ' +
            'unknown incident ids fail it with 404 naming them. Nothing is written in either case.',
        },
        rest: { status: 201, arrayBody: IngestBatchInput, idempotent: true, minimalReturn: true },
        scope: 'ingest',
      })
      .input(IngestBatchInput)
      .output(output(z.array(Event)))
      .mutation(async ({ ctx, input }) => {
        const ingested = await ingestEvents(ctx.db, input, {
          batch: true,
          actor: ctx.access.principal?.name ?? null,
          known: ctx.knownIncidents,
        });
        publishEvents(ctx.changes, ingested, (id) => ctx.analysis.schedule(id, 'ingest'));
        ctx.response.json = ingested.eventsJson;
        return ingested.events;
      }),

    list: procedure
      .meta({
        openapi: {
          method: 'GET',
          path: '/ingest/events/{incident_id}',
          tags: TAGS,
          summary: "An incident's events, newest first, or tailed in arrival order",
          description:
            'Newest first by timestamp, ties newest arrival first. When more events follow, the response has an RFC 8288 ' +
            '`Link: <…?cursor=…>; rel="next"` header: the same request with `cursor` set; following it visits every ' +
            "event exactly once. With `after`, the events ingested after that cursor's event, oldest arrival first; " +
            'its `Link` rel="next" (always present) continues the tail.',
          responseHeaders: pageLinkHeaders(
            '`cursor` (or, on a tail, `after`: a tail has no last page, its next link is always there)',
            '</api/ingest/events/123e4567-e89b-12d3-a456-426614174000?limit=3&cursor=eyJ2IjoxLCJrIjoiZSIs…>; rel="next"',
          ),
        },
        scope: 'read',
      })
      .input(ListEventsInput)
      .output(output(z.array(Event)))
      .query(async ({ ctx, input }) => {
        const page = await pageEvents(ctx.db, input);
        if (page.next) ctx.page.next = page.next;
        return page.items;
      }),

    /**
     * tRPC only: the same page as `list`, with the cursor a REST client reads from the Link header, and optional
     * `level` and `event_type` filters (the console's filtered event list pages through them).
     */
    page: procedure
      .meta({ scope: 'read' })
      .input(EventPageInput)
      .output(output(EventPage))
      .query(async ({ ctx, input }): Promise<EventPage> => {
        // Taken before the read, never beside it: an event the read cannot see must be after this position.
        const tail = await tailFromNow(ctx.db, input.incident_id);
        const page = await pageEvents(ctx.db, input);
        return { items: page.items, next_cursor: page.next?.cursor ?? null, tail_cursor: tail };
      }),
  });
