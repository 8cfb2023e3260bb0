// integrations.*: the admin API over alert integrations (the same operations as `warroom integrations`), and their
// delivery log. The webhooks themselves are not procedures: senders authenticate with the integration's secret over
// the raw body (src/http/alert-webhooks.ts).
import { z } from 'zod';
import {
  CreatedIntegration,
  CreateIntegrationInput,
  Delivery,
  Integration,
  IntegrationRef,
  ListDeliveriesInput,
  UpdateIntegrationInput,
} from '../../schema/index.js';
import {
  allIntegrations,
  changeIntegration,
  createIntegration,
  getIntegration,
  integrationDeliveries,
  removeIntegration,
  rotateIntegrationSecret,
} from '../domain/integrations.js';
import { toTimelineEntry } from '../db/rows.js';
import { actorOf } from '../trpc/context.js';
import { procedure, router } from '../trpc/init.js';
import type { OutputPolicy } from '../trpc/output-validation.js';

const TAGS = ['integrations'];

/** The integrations procedures; `output` decides whether results are checked against their schemas. */
export const integrationsRouter = (output: OutputPolicy) =>
  router({
    create: procedure
      .meta({
        openapi: {
          method: 'POST',
          path: '/integrations',
          tags: TAGS,
          summary: 'Create an alert integration',
          description:
            'The response carries the secret (`whk_…`) this once, and `webhook_url`, where the sender posts. ' +
            '`kind` fixes the payload format: alertmanager (also Grafana), grafana, pagerduty, datadog or generic.',
          errorResponses: [409],
        },
        rest: { status: 201 },
        scope: 'admin',
      })
      .input(CreateIntegrationInput)
      .output(output(CreatedIntegration))
      .mutation(({ ctx, input }) => createIntegration(ctx.db, input)),

    list: procedure
      .meta({
        openapi: { method: 'GET', path: '/integrations', tags: TAGS, summary: 'List integrations (never secrets)' },
        scope: 'admin',
      })
      .input(z.object({}))
      .output(output(z.array(Integration)))
      .query(({ ctx }) => allIntegrations(ctx.db)),

    get: procedure
      .meta({
        openapi: { method: 'GET', path: '/integrations/{integration_id}', tags: TAGS, summary: 'Get an integration' },
        scope: 'admin',
      })
      .input(IntegrationRef)
      .output(output(Integration))
      .query(({ ctx, input }) => getIntegration(ctx.db, input.integration_id)),

    update: procedure
      .meta({
        openapi: {
          method: 'PATCH',
          path: '/integrations/{integration_id}',
          tags: TAGS,
          summary: 'Rename an integration or replace its settings',
          description: 'Settings apply to the next delivery. `settings` replaces them whole; omitted fields default.',
          errorResponses: [409],
        },
        scope: 'admin',
      })
      .input(UpdateIntegrationInput)
      .output(output(Integration))
      .mutation(({ ctx, input }) => changeIntegration(ctx.db, input)),

    rotateSecret: procedure
      .meta({
        openapi: {
          method: 'POST',
          path: '/integrations/{integration_id}/rotate-secret',
          tags: TAGS,
          summary: "Replace an integration's secret",
          description: 'The response carries the new secret this once; the old one stops working at once.',
        },
        // No body: the integration is named by the path.
        rest: { inputFrom: 'query' },
        scope: 'admin',
      })
      .input(IntegrationRef)
      .output(output(CreatedIntegration))
      .mutation(({ ctx, input }) => rotateIntegrationSecret(ctx.db, input.integration_id)),

    delete: procedure
      .meta({
        openapi: {
          method: 'DELETE',
          path: '/integrations/{integration_id}',
          tags: TAGS,
          summary: 'Delete an integration',
          description:
            'Its alerts and deliveries go with it; the incidents it opened stay, and each one still active gets a ' +
            'timeline entry saying its alerts no longer move it.',
        },
        scope: 'admin',
      })
      .input(IntegrationRef)
      .output(output(Integration))
      .mutation(async ({ ctx, input }) => {
        const { integration, entries } = await removeIntegration(ctx.db, input.integration_id, actorOf(ctx, 'system'));
        for (const entry of entries)
          ctx.changes.publish({
            type: 'timeline.created',
            incident_id: entry.incident_id,
            entry: toTimelineEntry(entry),
          });
        return integration;
      }),

    deliveries: procedure
      .meta({
        openapi: {
          method: 'GET',
          path: '/integrations/{integration_id}/deliveries',
          tags: TAGS,
          summary: 'The last deliveries of an integration, newest first',
          description:
            'Each with its time, size, HTTP status, the outcome of every alert (created, updated, duplicate, ' +
            'resolved, suppressed, pending) with its incident, the error if it was refused, and the payload as ' +
            'received (cut to 64 KiB; a PagerDuty routing_key, the secret, is redacted). The last 1000 per ' +
            'integration are kept.',
        },
        scope: 'admin',
      })
      .input(ListDeliveriesInput)
      .output(output(z.array(Delivery)))
      .query(({ ctx, input }) => integrationDeliveries(ctx.db, input.integration_id, input.limit)),
  });
