import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    // Training tests run real tfjs on a 2-core machine.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // tfjs keeps global engine state: one process per test file keeps files independent.
    pool: 'forks',
    // Memory tests measure what is retained after a full collection, not when V8 happens to collect.
    execArgv: ['--expose-gc'],
  },
});
