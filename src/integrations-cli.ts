// `warroom integrations create|list|show|update|rotate-secret|delete`: alert integrations from the command line,
// straight on the database the server uses.
import { withCliDatabase } from './cli-database.js';
import { formatTable } from './cli-table.js';
import { parseArgs } from 'node:util';
import type { z } from 'zod';
import {
  CreateIntegrationInput,
  IntegrationRef,
  UpdateIntegrationInput,
  unknownFieldsApart,
  type CreatedIntegration,
  type Integration,
} from '../schema/index.js';
import { ConfigError } from './config.js';
import {
  allIntegrations,
  changeIntegration,
  createIntegration,
  getIntegration,
  removeIntegration,
  rotateIntegrationSecret,
} from './domain/integrations.js';

export const INTEGRATIONS_USAGE = `usage: warroom integrations create --name NAME --kind KIND [--settings JSON]
       warroom integrations list
       warroom integrations show ID
       warroom integrations update ID [--name NAME] [--settings JSON]
       warroom integrations rotate-secret ID
       warroom integrations delete ID
kinds: alertmanager, grafana, pagerduty, datadog, generic
--settings on update changes only the fields given (null resets one), e.g. '{"min_alerts": 2}'`;

const SUBCOMMANDS = ['create', 'list', 'show', 'update', 'rotate-secret', 'delete'] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];

/** The options each subcommand takes; any other is a mistake worth saying rather than silently ignoring. */
const ALLOWED: Record<Subcommand, readonly string[]> = {
  create: ['name', 'kind', 'settings'],
  list: [],
  show: [],
  update: ['name', 'settings'],
  'rotate-secret': [],
  delete: [],
};

const isSubcommand = (s: string | undefined): s is Subcommand => SUBCOMMANDS.some((c) => c === s);

/** One line per integration: never the secret, which only `create` and `rotate-secret` show, once. */
function describeIntegrations(integrations: Integration[]): string {
  if (integrations.length === 0) return 'no integrations';
  const rows = [
    ['ID', 'NAME', 'KIND', 'WEBHOOK', 'CREATED'],
    ...integrations.map((i) => [i.id, i.name, i.kind, i.webhook_url, i.created_at]),
  ];
  return formatTable(rows);
}

/** The Zod issues as the flags the user typed: `--settings: min_alerts: must be at least 1`, `ID: must be a UUID`. */
function describeIssues(error: z.ZodError, withUsage: boolean): ConfigError {
  // An unknown field is named at its own path, as the API names it.
  const problems = unknownFieldsApart(error.issues).map((i) => {
    const [field, ...rest] = i.path.map(String);
    const flag = field === 'integration_id' ? 'ID' : `--${field ?? 'name'}`;
    // Indented under `warroom:` when the usage follows; a lone problem stays one line.
    return `${withUsage ? '  ' : ''}${flag}: ${rest.length ? `${rest.join('.')}: ` : ''}${i.message}`;
  });
  return new ConfigError(`${problems.join('\n')}${withUsage ? `\n${INTEGRATIONS_USAGE}` : ''}`);
}

/** --settings as JSON; a typo is named after the flag, in one line, instead of surfacing as a SyntaxError trace. */
function parseSettings(raw: string | undefined): unknown {
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch (err) {
    throw new ConfigError(`--settings: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
}

/** The secret on stdout alone (so `$(warroom integrations create …)` captures it); what it belongs to on stderr. */
function printSecret(created: CreatedIntegration, verb: string): void {
  console.log(created.secret);
  console.error(
    `${verb} integration ${created.name} (id ${created.id}, kind ${created.kind}, webhook ${created.webhook_url})`,
  );
  console.error('the secret is shown only this once');
}

/** Runs `warroom integrations …`; user mistakes are ConfigErrors (a message, no stack trace). */
export async function integrationsCommand(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  if (!isSubcommand(sub)) throw new ConfigError(INTEGRATIONS_USAGE);
  let parsedArgs;
  try {
    parsedArgs = parseArgs({
      args: rest,
      options: { name: { type: 'string' }, kind: { type: 'string' }, settings: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    // parseArgs throws a TypeError for an unknown or valueless option: the user's typo, not our bug.
    throw new ConfigError(`${err instanceof Error ? err.message : String(err)}\n${INTEGRATIONS_USAGE}`);
  }
  const { values, positionals } = parsedArgs;
  const stray = Object.keys(values).filter((k) => !ALLOWED[sub].includes(k));
  if (stray.length) throw new ConfigError(`${sub} takes no --${stray.join(', --')}\n${INTEGRATIONS_USAGE}`);
  if (positionals.length !== (sub === 'create' || sub === 'list' ? 0 : 1)) throw new ConfigError(INTEGRATIONS_USAGE);

  // Everything is checked before the database is opened: a mistake costs no migration and no DATA_DIR lock.
  let createInput: CreateIntegrationInput | undefined;
  let updateInput: UpdateIntegrationInput | undefined;
  let id: string | undefined;
  if (sub === 'create') {
    const parsed = CreateIntegrationInput.safeParse({
      name: values.name,
      kind: values.kind,
      settings: parseSettings(values.settings),
    });
    if (!parsed.success) throw describeIssues(parsed.error, true);
    createInput = parsed.data;
  } else if (sub === 'update') {
    // An update that changes nothing would only bump updated_at; it is more likely a forgotten flag.
    if (values.name === undefined && values.settings === undefined)
      throw new ConfigError(`update needs --name or --settings\n${INTEGRATIONS_USAGE}`);
    const parsed = UpdateIntegrationInput.safeParse({
      integration_id: positionals[0],
      name: values.name,
      settings: parseSettings(values.settings),
    });
    if (!parsed.success) throw describeIssues(parsed.error, true);
    updateInput = parsed.data;
  } else if (sub !== 'list') {
    // Checked here because the id column is a uuid: anything else would reach the database as a SQL error.
    const parsed = IntegrationRef.safeParse({ integration_id: positionals[0] });
    if (!parsed.success) throw describeIssues(parsed.error, false);
    id = parsed.data.integration_id;
  }

  await withCliDatabase(async (db) => {
    if (createInput) {
      printSecret(await createIntegration(db, createInput), 'created');
    } else if (updateInput) {
      console.log(JSON.stringify(await changeIntegration(db, updateInput), null, 2));
    } else if (sub === 'list') {
      console.log(describeIntegrations(await allIntegrations(db)));
    } else if (id !== undefined) {
      if (sub === 'show') {
        console.log(JSON.stringify(await getIntegration(db, id), null, 2));
      } else if (sub === 'rotate-secret') {
        printSecret(await rotateIntegrationSecret(db, id), 'new secret for');
        console.error('the old secret stops working now');
      } else {
        const { integration: removed, entries } = await removeIntegration(db, id, 'warroom integrations delete');
        console.log(`deleted integration ${removed.name} (${removed.id}) with its alerts and deliveries`);
        if (entries.length > 0)
          console.log(
            `${entries.length} active incidents it opened are told, on their timelines, that its alerts no longer move them`,
          );
      }
    }
  });
}
