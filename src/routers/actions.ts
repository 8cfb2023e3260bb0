// actions.*: responders move a remediation action through its statuses.
import { Action, UpdateActionStatusInput } from '../../schema/index.js';
import { updateActionStatus } from '../domain/actions.js';
import { actorOf } from '../trpc/context.js';
import { procedure, router } from '../trpc/init.js';
import type { OutputPolicy } from '../trpc/output-validation.js';

/** The actions procedures; `output` decides whether results are checked against their schemas. */
export const actionsRouter = (output: OutputPolicy) =>
  router({
    updateStatus: procedure
      .meta({
        openapi: {
          method: 'PATCH',
          path: '/incidents/{incident_id}/actions/{action_id}',
          tags: ['actions'],
          summary: "Change a remediation action's status",
          description: 'Writes a `user_action` timeline entry. Setting the current status again changes nothing.',
        },
        rest: { inputFrom: 'query' },
        scope: 'write',
      })
      .input(UpdateActionStatusInput)
      .output(output(Action))
      .mutation(async ({ ctx, input }) => {
        const change = await updateActionStatus(
          ctx.db,
          input.incident_id,
          input.action_id,
          input.status,
          actorOf(ctx, input.actor),
        );
        if (change.timeline.length > 0) {
          ctx.changes.publish({ type: 'action.updated', incident_id: input.incident_id, action: change.action });
          for (const entry of change.timeline)
            ctx.changes.publish({ type: 'timeline.created', incident_id: entry.incident_id, entry });
        }
        return change.action;
      }),
  });
