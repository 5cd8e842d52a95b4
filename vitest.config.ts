import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // The site's browser tests build the site first: `npm run test:site` (tests/site/vitest.config.ts).
    exclude: [...configDefaults.exclude, 'tests/site/**'],
    // Network and image work is CPU-bound; forks keep each file's tfjs backend separate.
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
