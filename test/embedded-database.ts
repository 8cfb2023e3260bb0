// Vitest global setup: without TEST_DATABASE_URL / DATABASE_URL the suite runs on the embedded PostgreSQL, as a
// newcomer does: one throw-away server for the whole run, on which each test file makes its own database
// (test/integration/harness.ts). Tests that start Warroom as a process with DATA_DIR start their own, as `npm start` does.
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.js';
import { freePort } from './e2e/alertmanager.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The suite's embedded server (TCP on 127.0.0.1), or '' when the suite runs on TEST_DATABASE_URL. */
    embeddedDatabaseUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (process.env.TEST_DATABASE_URL || process.env.DATABASE_URL) {
    project.provide('embeddedDatabaseUrl', '');
    return undefined;
  }
  const server = await startEmbeddedPostgres({ dataDir: 'memory', tcpPort: await freePort() });
  project.provide('embeddedDatabaseUrl', server.url);
  return () => server.stop();
}
