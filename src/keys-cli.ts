// `warroom keys create|list|revoke`: API keys from the command line, straight on the database the server uses.
import { withCliDatabase } from './cli-database.js';
import { formatTable } from './cli-table.js';
import { parseArgs } from 'node:util';
import { CreateKeyInput, type ApiKey } from '../schema/index.js';
import { ConfigError } from './config.js';
import { createApiKey, listKeys, revokeKey } from './domain/keys.js';

export const KEYS_USAGE = `usage: warroom keys create --name NAME --scopes SCOPES [--expires-in 90d]
       warroom keys list
       warroom keys revoke NAME|ID
scopes (comma-separated): ingest, read, write (implies read), admin (implies all)`;

/** One line per key: never the secret, which only `create` shows, once. */
function describeKeys(keys: ApiKey[]): string {
  if (keys.length === 0) return 'no keys';
  const rows = [
    ['NAME', 'PREFIX', 'SCOPES', 'CREATED', 'LAST USED', 'EXPIRES', 'REVOKED'],
    ...keys.map((k) => [
      k.name,
      // As the API's `prefix` and the access log's `key_prefix` show it, so one can be found from the other.
      k.prefix,
      k.scopes.join(','),
      k.created_at,
      k.last_used_at ?? '-',
      k.expires_at ?? 'never',
      k.revoked_at ?? '-',
    ]),
  ];
  return formatTable(rows);
}

/** Runs `warroom keys …`; user mistakes are ConfigErrors (a message, no stack trace). */
export async function keysCommand(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  if (sub !== 'create' && sub !== 'list' && sub !== 'revoke') throw new ConfigError(KEYS_USAGE);
  const { values, positionals } = parseArgs({
    args: rest,
    options: { name: { type: 'string' }, scopes: { type: 'string' }, 'expires-in': { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  let input: CreateKeyInput | undefined;
  if (sub === 'create') {
    const parsed = CreateKeyInput.safeParse({
      name: values.name,
      scopes: values.scopes?.split(',').map((s) => s.trim()),
      expires_in: values['expires-in'],
    });
    if (!parsed.success) {
      // The flag as typed: --expires-in, not the field's expires_in.
      const flag = (i: { path: PropertyKey[] }): string => String(i.path[0] ?? 'name').replaceAll('_', '-');
      const problems = parsed.error.issues.map((i) => `  --${flag(i)}: ${i.message}`);
      throw new ConfigError(`${problems.join('\n')}\n${KEYS_USAGE}`);
    }
    input = parsed.data;
  }
  const target = positionals[0];
  if (sub === 'revoke' && !target) throw new ConfigError(KEYS_USAGE);

  await withCliDatabase(async (db) => {
    if (input) {
      const created = await createApiKey(db, input);
      console.log(created.key);
      console.error(
        `created key ${created.name} (wr_${created.prefix}…, scopes ${created.scopes.join(',')}` +
          `${created.expires_at ? `, expires ${created.expires_at}` : ''}); it is shown only this once`,
      );
    } else if (sub === 'list') {
      console.log(describeKeys(await listKeys(db)));
    } else if (target) {
      const revoked = await revokeKey(db, target);
      console.log(`revoked key ${revoked.name} (wr_${revoked.prefix}…)`);
    }
  });
}
