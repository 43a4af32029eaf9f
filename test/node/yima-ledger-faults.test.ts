/**
 * A Yima card order whose push was answered while the ledger could not be written (another program held
 * the write lock for longer than the engine's retries): the order is on the card POS and the customer may
 * pay there, so the sale must be followed by its order number once the ledger is writable again — never
 * ended as "no QR was shown, nothing charged", which is true of a QR sale only. A real core in training
 * mode, the real Yima simulator on loopback, a second real SQLite connection holding BEGIN EXCLUSIVE.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCounter, SUPERVISOR, waitUntil, type TestCounter } from '../support/counter';
import { tempDir } from '../support/temp';
import { YIMA_TEST_SETTINGS as SETTINGS, FAST_YIMA_SCHEDULE as FAST } from '../support/yima';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('a Yima push answered while the ledger is locked', () => {
  let counter: TestCounter | null = null;
  let lock: Database.Database | null = null;
  let cleanup: (() => void) | null = null;
  afterEach(async () => {
    if (lock?.inTransaction === true) lock.exec('ROLLBACK');
    lock?.close();
    lock = null;
    await counter?.close();
    counter = null;
    cleanup?.();
    cleanup = null;
  });

  it('is followed once the ledger is free (queried, never pushed again) and ends paid when the customer paid on the card POS', async () => {
    const t = tempDir('yima-locked-');
    cleanup = t.cleanup;
    counter = await startCounter(t.dir, { schedule: { ...FAST, unknownAfterMs: 60_000 } });
    await counter.invoke('settings:save', { section: 'yima', value: SETTINGS, approval: SUPERVISOR });
    const sim = counter.core.trainingYima;
    sim.reset();
    await counter.invoke('training:script', { script: 'manual' });
    // The push reaches Yima at once; its answer comes 600 ms later, while the ledger is locked.
    sim.injectFault('bcm_ordercreate_request', { kind: 'delay', ms: 600 }, { after: true });
    const created = counter.invoke('payment:create', { amountFen: 4321, tender: 'card' }).then(
      () => 'answered',
      (e: { code?: string }) => e.code ?? 'error',
    );
    await sleep(200);
    lock = new Database(join(t.dir, 'ledger.sqlite'));
    lock.pragma('busy_timeout = 0');
    lock.exec('BEGIN EXCLUSIVE');
    const [push] = sim.requests().filter((r) => r.requestType === 'bcm_ordercreate_request');
    expect(push).toBeDefined();
    const tradeNo = push!.posSeq;
    // The engine gives up recording the answer (LEDGER_BUSY); the cashier hears so.
    expect(await created).toBe('LEDGER_BUSY');
    // The customer pays on the card POS meanwhile.
    expect(sim.pay(tradeNo)).toBe(true);
    await sleep(1500);
    lock.exec('COMMIT');

    const sale = await waitUntil(
      async () => (await counter!.invoke('ledger:list', { day: (await counter!.invoke('day:current', undefined)).day })).rows[0],
      (row: { status: string } | undefined) => row?.status === 'paid' || row?.status === 'failed',
      'final',
    );
    expect(sale.status).toBe('paid');
    expect(sim.countRequests('bcm_ordercreate_request')).toBe(1);
  }, 30_000);
});
