import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

export default defineConfig({
  resolve: {
    alias: {
      'edge-ai-studio/sdk': fileURLToPath(new URL('./cluster/sdk/index.ts', import.meta.url)),
    },
  },
  test: {
    include: ['cluster/**/*.test.ts', 'electron/**/*.test.ts', 'renderer/**/*.test.{ts,tsx}', 'samples/**/*.test.ts', 'e2e/**/*.test.ts', 'bench/**/*.test.ts', 'scripts/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // every file gets its own TMPDIR and EDGEAI_HOME, and fails if it touched ~/.edgeai; the run's
    // temporary folder holds every file's and goes at the end of the run
    globalSetup: ['./vitest.global-setup.ts'],
    setupFiles: ['./vitest.setup.ts'],
  },
});
