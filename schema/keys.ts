// API keys on the wire: what the admin API takes and returns. A key's secret appears once, in CreatedApiKey.
import { z } from 'zod';
import { Timestamp, Uuid } from './common.js';

/** ingest: post events; read: every GET and listening in rooms; write: changes, speaking (implies read); admin: all. */
export const Scope = z.enum(['ingest', 'read', 'write', 'admin']);
export type Scope = z.infer<typeof Scope>;

/**
 * A key's name. Not shaped like a UUID: `DELETE /api/keys/{name or id}` and `keys revoke` take either, and a name
 * that reads as another key's id would revoke that key instead of itself.
 */
const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$/;
export const KeyName = z
  .string()
  .regex(KEY_NAME, {
    error: 'name must be 1 to 100 letters, digits or . _ @ - (starting with a letter or digit)',
  })
  .refine((name) => !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(name), {
    error: 'name must not look like a key id (a UUID): names and ids are both accepted where a key is named',
  });

/** `90d`, `12h`, `30m`: how long a new key lives. */
export const Duration = z.string().regex(/^[1-9][0-9]{0,5}[dhm]$/, {
  error: 'must be 1 to 999999 followed by d, h or m (days, hours, minutes), like 90d, 12h or 30m',
});

export const ApiKey = z
  .object({
    id: Uuid,
    name: z.string(),
    prefix: z.string().meta({
      description:
        'The 12 characters after `wr_` with which the key begins; access-log lines name the key by it (`key_prefix`)',
    }),
    scopes: z.array(Scope),
    created_at: Timestamp,
    last_used_at: Timestamp.nullable(),
    expires_at: Timestamp.nullable(),
    revoked_at: Timestamp.nullable(),
  })
  .meta({ id: 'ApiKey' });
export type ApiKey = z.infer<typeof ApiKey>;

export const CreatedApiKey = ApiKey.extend({
  key: z.string().meta({ description: 'The secret, shown this once: send it as `Authorization: Bearer <key>`' }),
}).meta({ id: 'CreatedApiKey' });
export type CreatedApiKey = z.infer<typeof CreatedApiKey>;

export const CreateKeyInput = z.strictObject({
  name: KeyName,
  scopes: z.array(Scope).min(1),
  expires_in: Duration.optional(),
});
export type CreateKeyInput = z.infer<typeof CreateKeyInput>;

/**
 * The key to revoke, by name or id. Both match KeyName's pattern (a UUID is hex digits and hyphens), so anything else
 * names no key and is refused here: a NUL once reached PostgreSQL, which refused it with a 500.
 */
export const RevokeKeyInput = z.object({
  key: z.string().regex(KEY_NAME, { error: 'must be a key name or id' }).meta({ description: 'name or id' }),
});

/**
 * Who the caller is (tRPC `keys.whoami`), for a client deciding which controls to offer: the key's name and every
 * scope it grants (those it holds and those they imply: write implies read, admin everything). Null while the server
 * is open (no key needed: everything is allowed).
 */
export const Whoami = z
  .object({
    name: z.string(),
    scopes: z.array(Scope).meta({ description: 'Held and implied, so `scopes.includes(s)` says whether s is allowed' }),
  })
  .nullable();
export type Whoami = z.infer<typeof Whoami>;

export const RoomTicket = z.object({ ticket: z.string(), expires_at: Timestamp }).meta({ id: 'RoomTicket' });
export type RoomTicket = z.infer<typeof RoomTicket>;
