// incidents.*: create, list, get, status changes, and the incident's timeline and actions.
import { z } from 'zod';
import {
  Action,
  CreateIncidentInput,
  GetIncidentInput,
  Incident,
  IncidentPage,
  ListIncidentsInput,
  ListTimelineInput,
  OnUpdateInput,
  pageLinkHeaders,
  TIMELINE_PAGE_MAX,
  TimelineEntry,
  TimelinePage,
  TimelinePageInput,
  UpdateSeverityInput,
  UpdateStatusInput,
} from '../../schema/index.js';
import { listActions } from '../db/actions.js';
import { toAction } from '../db/rows.js';
import { publishChange } from '../domain/changes.js';
import { createIncident, getIncident, setSeverity, transitionStatus } from '../domain/incidents.js';
import { pageIncidents, pageTimeline } from '../domain/pages.js';
import { incidentUpdateFrames, roomFrames, type StreamAccess } from '../rooms/subscription.js';
import { actorOf, type Context } from '../trpc/context.js';
import { procedure, router } from '../trpc/init.js';
import type { OutputPolicy } from '../trpc/output-validation.js';

const TAGS = ['incidents'];

/** What a subscription rechecks its access with (src/rooms/subscription.ts): the caller's key and the server's policy. */
const streamAccess = (ctx: Context): StreamAccess => ({ db: ctx.db, principal: ctx.access.principal, auth: ctx.auth });

/** The incidents procedures; `output` decides whether results are checked against their schemas. */
export const incidentsRouter = (output: OutputPolicy) =>
  router({
    create: procedure
      .meta({
        openapi: { method: 'POST', path: '/incidents', tags: TAGS, summary: 'Create an incident' },
        rest: { status: 201, idempotent: true },
        scope: 'write',
      })
      .input(CreateIncidentInput)
      .output(output(Incident))
      .mutation(async ({ ctx, input }) => {
        const change = await createIncident(ctx.db, input, ctx.access.principal?.name, ctx.incidentInserts);
        // Committed unless it ran in a transaction (an Idempotency-Key): its events need no existence check.
        if (!ctx.db.isTransaction) ctx.knownIncidents.add(change.incident.id);
        publishChange(ctx.changes, change);
        ctx.analysis.schedule(change.incident.id, 'create');
        return change.incident;
      }),

    list: procedure
      .meta({
        openapi: {
          method: 'GET',
          path: '/incidents',
          tags: TAGS,
          summary: 'List incidents, newest first',
          description:
            'Newest first by created_at, ties by id. When more incidents follow, the response has an RFC 8288 ' +
            '`Link: <…?cursor=…>; rel="next"` header: the same request with `cursor` set; following it visits every ' +
            'matching incident exactly once.',
          responseHeaders: pageLinkHeaders(
            '`cursor`',
            '</api/incidents/?status=open&limit=50&cursor=eyJ2IjoxLCJrIjoiaSIs…>; rel="next"',
          ),
        },
        scope: 'read',
      })
      .input(ListIncidentsInput)
      .output(output(z.array(Incident)))
      .query(async ({ ctx, input }) => {
        const page = await pageIncidents(ctx.db, input);
        if (page.next) ctx.page.next = page.next;
        return page.items;
      }),

    /** tRPC only: the same page as `list`, with the cursor a REST client reads from the Link header. */
    page: procedure
      .meta({ scope: 'read' })
      .input(ListIncidentsInput)
      .output(output(IncidentPage))
      .query(async ({ ctx, input }): Promise<IncidentPage> => {
        const page = await pageIncidents(ctx.db, input);
        return { items: page.items, next_cursor: page.next?.cursor ?? null };
      }),

    get: procedure
      .meta({
        openapi: { method: 'GET', path: '/incidents/{incident_id}', tags: TAGS, summary: 'Get an incident' },
        scope: 'read',
      })
      .input(GetIncidentInput)
      .output(output(Incident))
      .query(({ ctx, input }) => getIncident(ctx.db, input.incident_id)),

    updateStatus: procedure
      .meta({
        openapi: {
          method: 'PATCH',
          path: '/incidents/{incident_id}/status',
          tags: TAGS,
          summary: 'Change the status of an incident',
          description:
            'Forward moves may skip steps; a resolved incident may reopen to an active state; closed is final (409). ' +
            'Setting the current status again changes nothing.',
          errorResponses: [409],
        },
        rest: { inputFrom: 'query' },
        scope: 'write',
      })
      .input(UpdateStatusInput)
      .output(output(Incident))
      .mutation(async ({ ctx, input }) => {
        const change = await transitionStatus(ctx.db, input.incident_id, input.status, actorOf(ctx, input.actor));
        if (change.timeline.length > 0) publishChange(ctx.changes, change);
        return change.incident;
      }),

    updateSeverity: procedure
      .meta({
        openapi: {
          method: 'PATCH',
          path: '/incidents/{incident_id}/severity',
          tags: TAGS,
          summary: 'Change the severity of an incident',
          description:
            'A person’s choice: from then on, alerts joining the incident no longer raise its severity. A closed ' +
            'incident is 409.',
          errorResponses: [409],
        },
        rest: { inputFrom: 'query' },
        scope: 'write',
      })
      .input(UpdateSeverityInput)
      .output(output(Incident))
      .mutation(async ({ ctx, input }) => {
        const change = await setSeverity(ctx.db, input.incident_id, input.severity, actorOf(ctx, input.actor));
        if (change.timeline.length > 0) publishChange(ctx.changes, change);
        return change.incident;
      }),

    timeline: procedure
      .meta({
        openapi: {
          method: 'GET',
          path: '/incidents/{incident_id}/timeline',
          tags: TAGS,
          summary: 'Timeline, oldest first',
          description:
            `Oldest first, in the order entries were written; at most \`limit\` (default and most ${TIMELINE_PAGE_MAX}) ` +
            'a response. When more entries follow, the response has an RFC 8288 `Link: <…?cursor=…>; rel="next"` ' +
            'header: the same request with `cursor` set; following it visits every entry once.',
          responseHeaders: pageLinkHeaders(
            '`cursor`',
            '</api/incidents/123e4567-e89b-12d3-a456-426614174000/timeline?cursor=eyJ2IjoxLCJrIjoidCIs…>; rel="next"',
          ),
        },
        scope: 'read',
      })
      .input(ListTimelineInput)
      .output(output(z.array(TimelineEntry)))
      .query(async ({ ctx, input }) => {
        const page = await pageTimeline(ctx.db, input);
        if (page.next) ctx.page.next = page.next;
        return page.items;
      }),

    /**
     * tRPC only: the same pages as `timeline` with the cursor a REST client reads from the Link header, and
     * `newest_first` (the console reads the latest entries first).
     */
    timelinePage: procedure
      .meta({ scope: 'read' })
      .input(TimelinePageInput)
      .output(output(TimelinePage))
      .query(async ({ ctx, input }): Promise<TimelinePage> => {
        const page = await pageTimeline(ctx.db, input);
        return { items: page.items, next_cursor: page.next?.cursor ?? null };
      }),

    actions: procedure
      .meta({
        openapi: {
          method: 'GET',
          path: '/incidents/{incident_id}/actions',
          tags: TAGS,
          summary: 'Remediation actions, most urgent first',
        },
        scope: 'read',
      })
      .input(GetIncidentInput)
      .output(output(z.array(Action)))
      .query(async ({ ctx, input }) => {
        await getIncident(ctx.db, input.incident_id);
        return (await listActions(ctx.db, input.incident_id)).map(toAction);
      }),

    /** The incident room as a stream (SSE via httpSubscriptionLink): the same frames WebSocket members receive. */
    onUpdate: procedure
      .meta({ scope: 'read' })
      .input(OnUpdateInput)
      .subscription(async function* ({ ctx, input, signal }) {
        await getIncident(ctx.db, input.incident_id);
        yield* roomFrames(ctx.rooms, input.incident_id, signal, streamAccess(ctx));
      }),

    /**
     * Every incident as it is created or changes (status, severity, analysis), on every instance, as a stream (SSE
     * via httpSubscriptionLink): what a live incident list needs. Nothing is replayed; list first, then apply these.
     */
    onListUpdate: procedure.meta({ scope: 'read' }).subscription(async function* ({ ctx, signal }) {
      for await (const frame of incidentUpdateFrames(ctx.rooms, signal, streamAccess(ctx))) {
        if (frame.type === 'incident.updated') yield frame.incident;
      }
    }),

    analyze: procedure
      .meta({
        openapi: {
          method: 'POST',
          path: '/incidents/{incident_id}/analyze',
          tags: TAGS,
          summary: 'Analyse the incident now',
          description:
            'Runs the built-in analyzer (and the LLM, when configured) over the incident and its events, stores ' +
            'ai_summary, root_cause, suggested_actions, Action rows and an ai_analysis timeline entry, and returns the ' +
            'updated incident. Analysis also runs by itself on create and after ingest.',
        },
        rest: { inputFrom: 'query' },
        scope: 'write',
      })
      .input(GetIncidentInput)
      .output(output(Incident))
      .mutation(({ ctx, input }) => ctx.analysis.analyze(input.incident_id)),
  });
