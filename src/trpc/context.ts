// The tRPC context: the app's long-lived dependencies plus what belongs to one request.
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { AnalysisScheduler } from '../analysis/runtime/service.js';
import type { Database } from '../db/types.js';
import type { ChangeSink } from '../domain/changes.js';
import type { RoomHub } from '../rooms/hub.js';

export interface AppDeps {
  db: Kysely<Database>;
  changes: ChangeSink;
  rooms: RoomHub;
  analysis: AnalysisScheduler;
  logger: Logger;
}

export interface Context extends AppDeps {
  requestId: string;
}
