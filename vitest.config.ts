import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Two projects (SPEC §13: the whole end-to-end suite runs on both stores):
 * - `default`: every test, the end-to-end ones on the file store;
 * - `e2e-postgres`: the end-to-end tests again, every daemon on PostgreSQL
 *   (PORTDESK_TEST_STORE=postgres, read by test/support/desk-harness.ts and
 *   test/support/test-store.ts), one private server for the project run (its globalSetup)
 *   and a fresh database per harness.
 * `npx vitest run --project e2e-postgres` runs the second alone.
 */
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'default',
          include: ['test/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e-postgres',
          include: ['test/e2e/**/*.test.ts'],
          exclude: [
            ...configDefaults.exclude,
            // About PostgreSQL itself (standbys, the lease): it runs its own servers, once, in `default`.
            'test/e2e/failover.test.ts',
            // `portdesk start` children on DATA_DIR, not the harness: SIGTERM while the reader
            // thread parses 20 MB (SPEC §10), nothing the store decides.
            'test/e2e/stop-while-reading.test.ts',
          ],
          env: { PORTDESK_TEST_STORE: 'postgres' },
          globalSetup: ['./test/support/test-store.ts'],
          // A group of its own, run after `default`, with a worker per core (`default` keeps
          // vitest's cores - 1): the files mostly wait on mail and one-second job ticks. More
          // than that starves the daemons' job ticks on a busy two-core machine.
          sequence: { groupOrder: 1 },
          maxWorkers: '100%',
        },
      },
    ],
  },
});
