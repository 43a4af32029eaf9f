/**
 * Headquarters end to end: the built HQ service (`out/main/hq.js`, as `npm run hq` runs it) on a real
 * PostgreSQL, three real counters of two stores pushing a day of sales, and the dashboard in Chromium.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HQ_KEY } from '../../src/core/config/provisioning';
import { writeSetting } from '../../src/core/ledger/settings';
import { businessDay } from '../../src/core/util/time';
import { formatFen } from '../../src/shared/money';
import { ROOT } from '../support/browser-mode';
import { launchChromium } from '../support/chromium';
import { startCounter, type TestCounter } from '../support/counter';
import { startTestPostgres, type TestPostgres } from '../support/postgres';
import { tempDir } from '../support/temp';

const HQ_ENTRY = join(ROOT, 'out', 'main', 'hq.js');

function hqCli(args: string[]): string {
  const r = spawnSync(process.execPath, [HQ_ENTRY, ...args], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`hq ${args[0]} failed: ${r.stderr}`);
  return r.stdout;
}

describe('headquarters dashboard', () => {
  let pg: TestPostgres;
  let hq: ChildProcess;
  let hqUrl: string;
  let browser: Browser;
  const data = tempDir('e2e-hq-');
  const counters: TestCounter[] = [];
  const dirs: (() => void)[] = [];

  beforeAll(async () => {
    pg = await startTestPostgres();
    const common = ['--pg', pg.url, '--data', join(data.dir, 'hq')];
    hqCli(['add-operator', ...common, '--code', 'm1', '--name', '总部经理', '--pin', '135790']);
    const layout: [string, string][] = [
      ['SH01', '1'],
      ['SH01', '2'],
      ['BJ02', '1'],
    ];
    const keys = layout.map(([store, lane]) =>
      hqCli(['add-counter', ...common, '--store', store, '--lane', lane])
        .trim()
        .split('\n')
        .at(-1)!,
    );
    hq = spawn(process.execPath, [HQ_ENTRY, 'serve', ...common, '--port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    hqUrl = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('hq did not start')), 20_000);
      createInterface({ input: hq.stdout! }).on('line', (line) => {
        const m = /listening on (http:\/\/\S+)/.exec(line);
        if (m !== null) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
    });
    for (const [i, [store, lane]] of layout.entries()) {
      const t = tempDir('e2e-hq-counter-');
      dirs.push(t.cleanup);
      const c = await startCounter(t.dir, { syncIntervalMs: 600_000 });
      writeSetting(c.core.db, 'hq', { url: hqUrl, store, lane, intervalMs: 600_000 }, Date.now());
      c.core.secrets.write(HQ_KEY, keys[i]!);
      counters.push(c);
    }
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    for (const c of counters) await c.close();
    hq?.kill('SIGTERM');
    await pg?.stop();
    dirs.forEach((d) => d());
    data.cleanup();
  });

  it('shows each store’s day totals, per counter, matching the counters’ own day reports', async () => {
    const [a1, a2, b1] = counters as [TestCounter, TestCounter, TestCounter];
    const sale = await a1.sell(10_000);
    await a1.sell(2_550);
    await a2.sell(888);
    await b1.sell(12_345);
    await a1.refund(sale.id, 1_000);
    for (const c of counters) expect((await c.core.sync.syncNow()).lagEvents).toBe(0);

    const day = businessDay(Date.now());
    const reports = await Promise.all(counters.map((c) => c.invoke('day:report', { day })));
    const net = reports.map((r) => r.report.totals.netFen as number);
    expect(net).toEqual([11_550, 888, 12_345]);

    const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${hqUrl}/`);
    await page.locator('input[name=code]').fill('m1');
    await page.locator('input[name=pin]').fill('135790');
    await page.keyboard.press('Enter');
    await page.locator('select[name=mode]').selectOption('training');
    // The live view (all zero) shows first; wait for the training figures to replace it.
    await expect.poll(() => page.locator('[data-store="SH01"]').textContent(), { timeout: 15_000 }).toContain(formatFen(net[0]! + net[1]!));
    expect(await page.locator('[data-store="BJ02"]').textContent()).toContain(formatFen(net[2]!));
    expect(await page.locator('[data-counter="SH01/1"]').textContent()).toContain(formatFen(11_550));
    expect(await page.getByTestId('chain-net').textContent()).toBe(formatFen(net[0]! + net[1]! + net[2]!));
    await page.screenshot({ path: join(ROOT, 'test-results', 'hq-dashboard.png'), fullPage: true });
    // Export carries every sale and refund of the day.
    const csv = await page.evaluate(async (u) => (await fetch(u)).text(), `/api/export?day=${day}&mode=training&format=csv`);
    expect(csv.split('\r\n').filter((l) => l.includes(',payment,')).length).toBe(4);
    expect(csv).toContain(',refund,');
    // Signed out, the API refuses.
    const status = await page.evaluate(async (u) => (await fetch(u)).status, `/api/overview?day=${day}&mode=training`);
    expect(status).toBe(200);
    const anon = await fetch(`${hqUrl}/api/overview?day=${day}&mode=training`);
    expect(anon.status).toBe(401);
    expect(errors).toEqual([]);
  });
});
