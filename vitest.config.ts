import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // Network and image work is CPU-bound; forks keep each file's tfjs backend separate.
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
