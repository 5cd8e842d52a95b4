// The site tests (npm run test:site): build the site from the CI atlas once (global-setup.ts), then check
// it in Debian's chromium and from its files. Part of `npm test` (after the unit tests).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['tests/site/**/*.test.ts'],
    globalSetup: ['tests/site/global-setup.ts'],
    pool: 'forks',
    // One browser or build at a time: 2 cores.
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 900_000,
  },
});
