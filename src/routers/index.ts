// The app router: one sub-router per resource. `AppRouter` is what TypeScript frontends import.
import { router } from '../trpc/init.js';
import { actionsRouter } from './actions.js';
import { eventsRouter } from './events.js';
import { incidentsRouter } from './incidents.js';

export const appRouter = router({
  incidents: incidentsRouter,
  events: eventsRouter,
  actions: actionsRouter,
});

export type AppRouter = typeof appRouter;
