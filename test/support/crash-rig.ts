import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { startBpcSimulator, type BpcSimulator } from '../../src/core/simulators/bpc';
import { startHeadless, type Headless } from './headless';
import { tempDir } from './temp';

export const CRASH_MID = '104320170118888';

export interface CrashRig {
  /** The simulated bank of the current test (manual script: the customer pays when the test says so). */
  readonly sim: BpcSimulator;
  /** The data directory of the current test (ledger, provisioning file). */
  readonly dir: string;
  /** Starts the built headless core in live mode on that directory; `fault` sets CASHIER_FAULT_POINT. */
  start(fault?: string): Headless;
}

/**
 * The crash tests' rig (registers beforeEach/afterEach): a simulated bank on loopback, a data directory
 * with a live-mode provisioning file pointing at it, and every child process killed at the end.
 */
export function crashRig(options: { key: string; tempPrefix: string; polling: Record<string, number> }): CrashRig {
  let sim: BpcSimulator | undefined;
  let data: { dir: string; cleanup: () => void } | undefined;
  let children: Headless[] = [];

  beforeEach(async () => {
    sim = await startBpcSimulator({ key: options.key, mid: CRASH_MID, defaultScript: { kind: 'manual' } });
    data = tempDir(options.tempPrefix);
    writeFileSync(
      join(data.dir, 'provisioning.json'),
      JSON.stringify({
        bpc: { url: sim.url, mid: CRASH_MID, posNo: '37381542', tellerNo: '001', key: options.key, profile: { requireSignedResponses: true } },
        polling: options.polling,
        // Live mode is refused while any operator keeps a published training PIN.
        operators: [
          { code: '001', pin: '246801' },
          { code: '800', pin: '813579' },
          { code: '900', pin: '902468' },
        ],
      }),
    );
  });

  afterEach(async () => {
    for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
    children = [];
    await sim?.close();
    data?.cleanup();
  });

  return {
    get sim(): BpcSimulator {
      if (sim === undefined) throw new Error('crash rig: no simulator outside a test');
      return sim;
    },
    get dir(): string {
      if (data === undefined) throw new Error('crash rig: no data directory outside a test');
      return data.dir;
    },
    start(fault) {
      const dir = this.dir;
      const h = startHeadless(['--data', dir, '--config', join(dir, 'provisioning.json')], fault === undefined ? {} : { CASHIER_FAULT_POINT: fault });
      children.push(h);
      return h;
    },
  };
}
