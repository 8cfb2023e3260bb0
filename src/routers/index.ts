// The app router: one sub-router per resource. `AppRouter` is what TypeScript frontends import.
import { outputPolicy } from '../trpc/output-validation.js';
import { router } from '../trpc/init.js';
import { actionsRouter } from './actions.js';
import { eventsRouter } from './events.js';
import { incidentsRouter } from './incidents.js';
import { integrationsRouter } from './integrations.js';
import { keysRouter } from './keys.js';
import { roomsRouter } from './rooms.js';
import { silencesRouter } from './silences.js';

export interface AppRouterOptions {
  /** Check every result against its output schema (VALIDATE_OUTPUT; see src/trpc/output-validation.ts). */
  validateOutput: boolean;
}

/** Builds the router once at start-up; the output policy is the only thing that differs between builds. */
export function createAppRouter(opts: AppRouterOptions) {
  const output = outputPolicy(opts.validateOutput);
  return router({
    incidents: incidentsRouter(output),
    events: eventsRouter(output),
    actions: actionsRouter(output),
    keys: keysRouter(output),
    rooms: roomsRouter(output),
    integrations: integrationsRouter(output),
    silences: silencesRouter(output),
  });
}

export type AppRouter = ReturnType<typeof createAppRouter>;
