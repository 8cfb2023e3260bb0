// events.*: ingest one event, ingest a batch, list an incident's events.
import { z } from 'zod';
import { Event, IngestBatchInput, IngestEventInput, ListEventsInput } from '../../schema/index.js';
import { listEvents } from '../db/events.js';
import { toEvent } from '../db/rows.js';
import { getIncident } from '../domain/incidents.js';
import { ingestEvents, toRanges, type Ingested } from '../domain/ingest.js';
import type { AnalysisScheduler } from '../analysis/runtime/service.js';
import type { ChangeSink } from '../domain/changes.js';
import { procedure, router } from '../trpc/init.js';
import type { OutputPolicy } from '../trpc/output-validation.js';

const TAGS = ['events'];

/** One frame per incident per request (a batch of 1000 is one broadcast, not 1000), and one analysis request. */
function publishEvents(sink: ChangeSink, analysis: AnalysisScheduler, { events, seqs }: Ingested): void {
  const byIncident = new Map<string, { events: Event[]; seqs: string[] }>();
  // A batch is usually one incident's: the previous event's group is tried before the map (each lookup hashes a fresh
  // id string).
  let lastId: string | undefined;
  let lastGroup: { events: Event[]; seqs: string[] } | undefined;
  events.forEach((e, i) => {
    let group = lastId === e.incident_id ? lastGroup : byIncident.get(e.incident_id);
    if (!group) byIncident.set(e.incident_id, (group = { events: [], seqs: [] }));
    lastId = e.incident_id;
    lastGroup = group;
    group.events.push(e);
    group.seqs.push(seqs[i] ?? '0');
  });
  for (const [incident_id, group] of byIncident) {
    sink.publish({ type: 'event.created', incident_id, events: group.events, seq_ranges: toRanges(group.seqs) });
    analysis.schedule(incident_id, 'ingest');
  }
}

/** The events procedures; `output` decides whether results are checked against their schemas. */
export const eventsRouter = (output: OutputPolicy) =>
  router({
    ingest: procedure
      .meta({
        openapi: { method: 'POST', path: '/ingest/events', tags: TAGS, summary: 'Ingest one event' },
        rest: { status: 201, idempotent: true },
      })
      .input(IngestEventInput)
      .output(output(Event))
      .mutation(async ({ ctx, input }) => {
        const ingested = await ingestEvents(ctx.db, [input], { batch: false });
        publishEvents(ctx.changes, ctx.analysis, ingested);
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
        rest: { status: 201, arrayBody: IngestBatchInput, idempotent: true },
      })
      .input(IngestBatchInput)
      .output(output(z.array(Event)))
      .mutation(async ({ ctx, input }) => {
        const ingested = await ingestEvents(ctx.db, input, { batch: true });
        publishEvents(ctx.changes, ctx.analysis, ingested);
        return ingested.events;
      }),

    list: procedure
      .meta({
        openapi: {
          method: 'GET',
          path: '/ingest/events/{incident_id}',
          tags: TAGS,
          summary: "An incident's events, newest first",
        },
      })
      .input(ListEventsInput)
      .output(output(z.array(Event)))
      .query(async ({ ctx, input }) => {
        await getIncident(ctx.db, input.incident_id);
        return (await listEvents(ctx.db, input)).map(toEvent);
      }),
  });
