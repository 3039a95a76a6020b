import { defineConfig } from 'vitest/config'

// Two projects: `unit` (pure logic, no services) and `integration` (real services on
// loopback, started by `npm test` through the stack manager before vitest runs).
export default defineConfig({
  test: {
    projects: [
      // Unit files share their workers' module cache (isolate: false): each imports lib/internal, and
      // loading lib's whole graph again for every file doubled the suite's time.
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], isolate: false } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/integration/scratch-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
})
