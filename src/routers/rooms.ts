// rooms.*: tickets for browsers, which cannot send an Authorization header on a WebSocket upgrade.
import { z } from 'zod';
import { RoomTicket } from '../../schema/index.js';
import { AppError } from '../domain/errors.js';
import { procedure, router } from '../trpc/init.js';
import type { OutputPolicy } from '../trpc/output-validation.js';

/** The rooms procedures; `output` decides whether results are checked against their schemas. */
export const roomsRouter = (output: OutputPolicy) =>
  router({
    ticket: procedure
      .meta({
        openapi: {
          method: 'POST',
          path: '/rooms/tickets',
          tags: ['rooms'],
          summary: 'A single-use ticket to open a room socket',
          description:
            'For browsers: connect within 60 s with `/ws/incidents/{incident_id}?ticket=…`. The ticket works once, ' +
            'and speaks as the key that asked for it, so the key itself never goes into a URL.',
          errorResponses: [409],
        },
        rest: { status: 201, inputFrom: 'query' },
        scope: 'read',
      })
      .input(z.object({}))
      .output(output(RoomTicket))
      .mutation(({ ctx }) => {
        const principal = ctx.access.principal;
        if (!principal)
          throw new AppError('CONFLICT', 'no API key was presented: this server is open, connect without a ticket');
        return ctx.auth.issueTicket(principal);
      }),
  });
