import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp';
import { violationCount } from './invariants';
import { formatReport, runChaos } from './run';

/**
 * `npm run test:chaos [-- --cycles N --seed S]` (scripts/chaos.mjs passes them as CHAOS_CYCLES /
 * CHAOS_SEED). The long run; `npm test` runs a short seeded one (test/e2e/chaos-short.test.ts).
 */
const cycles = Number(process.env.CHAOS_CYCLES ?? 500);
const seed = Number(process.env.CHAOS_SEED ?? Date.now() % 1_000_000);

describe('chaos run', () => {
  it(
    `${cycles} cycles of SIGKILL, restart and gateway restarts, QR / Yima / terminal / cash (seed ${seed}): zero violations`,
    { timeout: Math.max(600_000, cycles * 15_000) },
    async () => {
      const data = tempDir('chaos-');
      try {
        const report = await runChaos({ cycles, seed, dir: data.dir, log: (line) => process.stdout.write(`${line}\n`) });
        process.stdout.write(`\n${formatReport(report)}\n`);
        expect(violationCount(report.violations), formatReport(report)).toBe(0);
      } finally {
        data.cleanup();
      }
    },
  );
});
