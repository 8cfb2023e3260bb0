// silences.*: label matchers that hold matching alerts back for a time (Alertmanager's silences, same operators).
import { z } from 'zod';
import {
  CreateSilenceInput,
  ListSilencesInput,
  Silence,
  SilencePage,
  SilenceRef,
  pageLinkHeaders,
} from '../../schema/index.js';
import { createSilence, endSilence, getSilence, pageSilences } from '../domain/integrations.js';
import { actorOf } from '../trpc/context.js';
import { procedure, router } from '../trpc/init.js';
import type { OutputPolicy } from '../trpc/output-validation.js';

const TAGS = ['silences'];

/** The silences procedures; `output` decides whether results are checked against their schemas. */
export const silencesRouter = (output: OutputPolicy) =>
  router({
    create: procedure
      .meta({
        openapi: {
          method: 'POST',
          path: '/silences',
          tags: TAGS,
          summary: 'Create a silence',
          description:
            'While it is active, firing alerts whose labels match every matcher (`=`, `!=`, `=~`, `!~` as in ' +
            'Alertmanager; regexes fully anchored) are stored as `suppressed` and open or change no incident; ' +
            'their resolves still apply. When it ends, alerts still firing are weighed against the creation gate ' +
            'again (within about a second). 400 when a regex is not RE2 or its matchers take over 100 ms to ' +
            'compile; 409 when 1000 silences are pending or active already.',
          errorResponses: [409],
        },
        rest: { status: 201 },
        scope: 'write',
      })
      .input(CreateSilenceInput)
      .output(output(Silence))
      // With keys, the key's name is who made it, as it is the actor of status changes (a client's name is ignored).
      .mutation(({ ctx, input }) => createSilence(ctx.db, { ...input, created_by: actorOf(ctx, input.created_by) })),

    list: procedure
      .meta({
        openapi: {
          method: 'GET',
          path: '/silences',
          tags: TAGS,
          summary: 'List silences, newest first',
          description:
            'Newest first by created_at, ties by id; `state` as at the database clock now. When more silences ' +
            'follow, the response has an RFC 8288 `Link: <…?cursor=…>; rel="next"` header: the same request with ' +
            '`cursor` set; following it visits every silence of the list once.',
          responseHeaders: pageLinkHeaders(
            '`cursor`',
            '</api/silences/?state=expired&cursor=eyJ2IjoxLCJrIjoicyIs…>; rel="next"',
          ),
        },
        scope: 'read',
      })
      .input(ListSilencesInput)
      .output(output(z.array(Silence)))
      .query(async ({ ctx, input }) => {
        const page = await pageSilences(ctx.db, input);
        if (page.next) ctx.page.next = page.next;
        return page.items;
      }),

    /** tRPC only: the same page as `list`, with the cursor a REST client reads from the Link header. */
    page: procedure
      .meta({ scope: 'read' })
      .input(ListSilencesInput)
      .output(output(SilencePage))
      .query(async ({ ctx, input }): Promise<SilencePage> => {
        const page = await pageSilences(ctx.db, input);
        return { items: page.items, next_cursor: page.next?.cursor ?? null };
      }),

    get: procedure
      .meta({
        openapi: { method: 'GET', path: '/silences/{silence_id}', tags: TAGS, summary: 'Get a silence' },
        scope: 'read',
      })
      .input(SilenceRef)
      .output(output(Silence))
      .query(({ ctx, input }) => getSilence(ctx.db, input.silence_id)),

    expire: procedure
      .meta({
        openapi: {
          method: 'DELETE',
          path: '/silences/{silence_id}',
          tags: TAGS,
          summary: 'End a silence now',
          description: 'Its ends_at becomes now (an ended silence is unchanged); it stays listed as expired.',
        },
        scope: 'write',
      })
      .input(SilenceRef)
      .output(output(Silence))
      .mutation(({ ctx, input }) => endSilence(ctx.db, input.silence_id)),
  });
