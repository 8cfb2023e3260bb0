// keys.*: the admin API over API keys (the same operations as `warroom keys`). A key's secret is shown once, on create.
import { z } from 'zod';
import { ApiKey, CreatedApiKey, CreateKeyInput, RevokeKeyInput, Whoami } from '../../schema/index.js';
import { createApiKey, grantedScopes, listKeys, revokeKey } from '../domain/keys.js';
import { procedure, router } from '../trpc/init.js';
import type { OutputPolicy } from '../trpc/output-validation.js';

const TAGS = ['keys'];

/** The keys procedures; `output` decides whether results are checked against their schemas. */
export const keysRouter = (output: OutputPolicy) =>
  router({
    create: procedure
      .meta({
        openapi: {
          method: 'POST',
          path: '/keys',
          tags: TAGS,
          summary: 'Create an API key',
          description:
            'The response carries the key (`wr_…`) this once; only its hash is stored. `expires_in` like `90d`, ' +
            '`12h` or `30m`; none: the key does not expire.',
          errorResponses: [409],
        },
        rest: { status: 201 },
        scope: 'admin',
      })
      .input(CreateKeyInput)
      .output(output(CreatedApiKey))
      .mutation(async ({ ctx, input }) => {
        const created = await createApiKey(ctx.db, input);
        ctx.auth.keysChanged();
        return created;
      }),

    list: procedure
      .meta({
        openapi: { method: 'GET', path: '/keys', tags: TAGS, summary: 'List API keys (never their secrets)' },
        scope: 'admin',
      })
      .input(z.object({}))
      .output(output(z.array(ApiKey)))
      .query(({ ctx }) => listKeys(ctx.db)),

    revoke: procedure
      .meta({
        openapi: {
          method: 'DELETE',
          path: '/keys/{key}',
          tags: TAGS,
          summary: 'Revoke an API key, by name or id',
          description: 'The key stops working at its next request, on every instance. Revoking twice changes nothing.',
        },
        scope: 'admin',
      })
      .input(RevokeKeyInput)
      .output(output(ApiKey))
      .mutation(({ ctx, input }) => revokeKey(ctx.db, input.key)),

    /**
     * tRPC only: the signed-in key's name and granted scopes, or null on an open server, so the console offers only
     * the controls the key may use (the server still checks every call). `read`: any key that can see the console.
     */
    whoami: procedure
      .meta({ scope: 'read' })
      .output(output(Whoami))
      .query(({ ctx }): Whoami => {
        const principal = ctx.access.principal;
        if (!ctx.access.enforced || !principal) return null;
        return { name: principal.name, scopes: grantedScopes(principal.scopes) };
      }),
  });
