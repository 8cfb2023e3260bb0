// silences.*: label matchers that hold matching alerts back for a time (Alertmanager's silences, same operators).
import { z } from 'zod';
import { CreateSilenceInput, ListSilencesInput, Silence, SilenceRef } from '../../schema/index.js';
import { createSilence, endSilence, getSilence, silencesIn } from '../domain/integrations.js';
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
        openapi: { method: 'GET', path: '/silences', tags: TAGS, summary: 'List silences, newest first' },
        scope: 'read',
      })
      .input(ListSilencesInput)
      .output(output(z.array(Silence)))
      .query(({ ctx, input }) => silencesIn(ctx.db, input.state, input.limit)),

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
