// Vitest for the fault test alone (`npm run test:faults`): the root config excludes test/faults, because this test
// is slow and runs its own PostgreSQL server.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The repository root, so paths and the include below read as in the root config.
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['test/faults/**/*.test.ts'],
    pool: 'forks',
    // Bounded: the scenario (beforeAll) has its own 180 s limit; each property test only reads what it recorded.
    testTimeout: 30_000,
    hookTimeout: 180_000,
    env: { VALIDATE_OUTPUT: 'true', WARROOM_FROM_SOURCE: '1' },
  },
});
