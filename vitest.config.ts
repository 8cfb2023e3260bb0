// Vitest: each test file gets its own process and its own fresh database (see test/integration/harness.ts).
import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The fault test stops and starts its own PostgreSQL and takes minutes: `npm run test:faults` runs it alone.
    exclude: [...configDefaults.exclude, 'test/faults/**'],
    // The embedded PostgreSQL the suite runs on when no TEST_DATABASE_URL is given; and the browser tests
    // (test/browser/) run the console as built, so that is rebuilt first when console/ is newer.
    globalSetup: ['test/embedded-database.ts', 'test/browser/build-console.ts'],
    pool: 'forks',
    // Generous: tests spawn real servers, each starting its own embedded PostgreSQL (initdb included), and CI has two
    // cores; a deadlock still fails, a minute later.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Servers the suite spawns as processes check their responses against the output schemas too, and run the
    // sources as they are now (bin/warroom.js would otherwise run dist/, which may be older); test/e2e/compiled.test.ts
    // runs dist/ on purpose.
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent', VALIDATE_OUTPUT: 'true', WARROOM_FROM_SOURCE: '1' },
  },
});
