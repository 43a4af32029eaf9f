import { defineConfig } from 'vitest/config';

/**
 * Three projects: `node` (core, main with a mocked electron, shared), `web` (renderer components in
 * happy-dom) and `e2e` (built renderer served by browser mode, driven in Debian's Chromium).
 */
export default defineConfig({
  test: {
    // Vitest's default on a 2-core machine is one worker (cores - 1). Two lets the node and web files use
    // both cores; the e2e files stay one at a time. (Measured 2026-12-02: the summed file times still
    // about equal the wall time, so the projects seem to run one after another — to look into.)
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: 'node',
          environment: 'node',
          include: ['test/node/**/*.test.ts'],
          testTimeout: 20_000,
          hookTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'web',
          environment: 'happy-dom',
          include: ['test/web/**/*.test.{ts,tsx}'],
        },
      },
      {
        // `npm run bench` only (not part of `npm test`): prints and saves measured tables.
        test: {
          name: 'bench',
          environment: 'node',
          include: ['bench/**/*.bench.ts'],
          testTimeout: 600_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
      {
        // `npm run test:chaos` only: the long SIGKILL chaos run (a short one is in e2e).
        test: {
          name: 'chaos',
          environment: 'node',
          include: ['test/chaos/**/*.test.ts'],
          testTimeout: 3_600_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 90_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          // expect.poll's own default (1 s) is a quiet machine's figure: on a loaded 2-core CI machine a
          // screen's refocus or redraw can take longer, and a poll that gives up then is a flake, not a finding.
          expect: { poll: { timeout: 10_000 } },
        },
      },
    ],
  },
});
