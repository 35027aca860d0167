import { defineConfig } from 'vitest/config';

// The fault suite (test/faults/): real CLI and trainer processes killed, stopped and starved of disk.
// Its own command (`npm run test:faults`, run by `npm run test:all`): it takes a few minutes.
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // One file, its tests in order: each kill is checked before the next.
    fileParallelism: false,
  },
});
