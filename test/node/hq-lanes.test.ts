/**
 * Two counters of one store selling in the same millisecond, both reporting to one headquarters on a
 * real PostgreSQL: their order numbers differ by lane, their rows stay apart (same local ids, nothing
 * overwritten), each counter's totals match its own day report; a lane set twice is flagged.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HQ_KEY } from '../../src/core/config/provisioning';
import { appendEvent } from '../../src/core/ledger/events';
import { laneOfOrderNumber } from '../../src/core/ledger/order-numbers';
import { setLane } from '../../src/core/ledger/lane';
import { insertPaymentIntent, updatePayment } from '../../src/core/ledger/payments';
import { writeSetting } from '../../src/core/ledger/settings';
import type { SecretCipher } from '../../src/core/secrets/cipher';
import { businessDay } from '../../src/core/util/time';
import { addCounter } from '../../src/hq/admin';
import { overview } from '../../src/hq/dashboard';
import type { Pool } from '../../src/hq/db';
import { startHqServer, type HqServer } from '../../src/hq/server';
import { startCounter, type TestCounter } from '../support/counter';
import { startTestHq, type TestHq } from '../support/hq';
import { tempDir } from '../support/temp';

let hqdb: TestHq;
let pool: Pool;
let cipher: SecretCipher;
let server: HqServer;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  hqdb = await startTestHq('hq-lanes-master-');
  ({ pool, cipher } = hqdb);
  server = await startHqServer({ pool, cipher, port: 0 });
}, 60_000);
afterAll(async () => {
  await server.close();
  await hqdb.stop();
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** One millisecond for everything the counters do (their injected clock). */
const AT = Date.now();
const DAY = businessDay(AT);

/** A counter of `store`/`lane` at headquarters, its order numbers on `orderLane`, its clock stopped at AT. */
async function counter(store: string, lane: string, orderLane: string): Promise<TestCounter> {
  const { key } = await addCounter(pool, cipher, { store, lane });
  const t = tempDir('hq-lanes-counter-');
  const c = await startCounter(t.dir, { syncIntervalMs: 3_600_000, now: () => AT });
  // These tests push with syncNow() only: the pusher's own first round (right after start) would race them.
  await c.core.sync.stop();
  writeSetting(c.core.db, 'hq', { url: server.url, store, lane, intervalMs: 600_000 }, AT);
  c.core.secrets.write(HQ_KEY, key);
  setLane(c.core.db, { code: orderLane, source: 'provisioning', actor: null, now: AT });
  cleanups.push(async () => {
    await c.close();
    t.cleanup();
  });
  return c;
}

interface HqPayment {
  lane: string;
  local_id: number;
  trade_no: string;
  amount_fen: number;
  status: string;
  created_at: number;
}

async function hqPayments(store: string): Promise<HqPayment[]> {
  return (
    await pool.query<HqPayment>(
      `SELECT c.lane, p.local_id::int AS local_id, p.trade_no, p.amount_fen::int AS amount_fen, p.status, p.created_at::bigint AS created_at
         FROM payments p JOIN counters c ON c.id = p.counter_id WHERE c.store = $1 ORDER BY c.lane, p.local_id`,
      [store],
    )
  ).rows.map((r) => ({ ...r, created_at: Number(r.created_at) }));
}

describe('two counters of one store, same millisecond, one headquarters', () => {
  it(
    'numbers carry each counter’s lane; headquarters keeps both counters’ rows apart and each total matches its day report',
    { timeout: 120_000 },
    async () => {
      const a = await counter('S9', 'A', '01');
      const b = await counter('S9', 'B', '02');
      const [a1, b1] = await Promise.all([a.sell(1_000), b.sell(2_000)]);
      const [a2, b2] = await Promise.all([a.sell(30_000), b.sell(40_000)]);
      await a.refund(a1.id, 400);
      // The same local ids on both counters, every number made in the same millisecond.
      expect([a1.id, a2.id]).toEqual([b1.id, b2.id]);
      for (const p of [a1, a2, b1, b2]) expect(p.createdAt).toBe(AT);
      const numbers = [a1, a2, b1, b2].map((p) => p.tradeNo as string);
      expect(new Set(numbers).size).toBe(4);
      expect(numbers.map((n) => laneOfOrderNumber(n))).toEqual(['01', '01', '02', '02']);

      for (const c of [a, b]) expect((await c.core.sync.syncNow()).lastError).toBeNull();
      // Pushed twice: nothing doubled or overwritten.
      for (const c of [b, a]) await c.core.sync.syncNow();

      expect(await hqPayments('S9')).toEqual([
        { lane: 'A', local_id: a1.id, trade_no: a1.tradeNo, amount_fen: 1_000, status: 'paid', created_at: AT },
        { lane: 'A', local_id: a2.id, trade_no: a2.tradeNo, amount_fen: 30_000, status: 'paid', created_at: AT },
        { lane: 'B', local_id: b1.id, trade_no: b1.tradeNo, amount_fen: 2_000, status: 'paid', created_at: AT },
        { lane: 'B', local_id: b2.id, trade_no: b2.tradeNo, amount_fen: 40_000, status: 'paid', created_at: AT },
      ]);
      const refunds = (
        await pool.query<{ lane: string; refund_no: string }>(
          'SELECT c.lane, r.refund_no FROM refunds r JOIN counters c ON c.id = r.counter_id WHERE c.store = $1',
          ['S9'],
        )
      ).rows;
      expect(refunds).toHaveLength(1);
      expect(refunds[0]).toMatchObject({ lane: 'A' });
      expect(laneOfOrderNumber(refunds[0]!.refund_no)).toBe('01');
      // The chain-wide lookup by order number finds exactly one sale per number.
      for (const n of numbers) expect((await pool.query('SELECT 1 FROM payments WHERE trade_no = $1', [n])).rowCount).toBe(1);

      const view = await overview(pool, DAY, 'training');
      const store = view.stores.find((s) => s.store === 'S9')!;
      const own = async (c: TestCounter): Promise<Record<string, number>> => {
        const { totals } = (await c.invoke('day:report', { day: DAY })).report;
        return { paidCount: totals.paidCount, paidFen: totals.paidFen, refundCount: totals.refundCount, refundFen: totals.refundFen, netFen: totals.netFen };
      };
      const [ta, tb] = [await own(a), await own(b)];
      expect(ta).toEqual({ paidCount: 2, paidFen: 31_000, refundCount: 1, refundFen: 400, netFen: 30_600 });
      expect(tb).toEqual({ paidCount: 2, paidFen: 42_000, refundCount: 0, refundFen: 0, netFen: 42_000 });
      expect(store.counters.map((c) => ({ lane: c.lane, orderLane: c.orderLane, totals: c.totals }))).toEqual([
        { lane: 'A', orderLane: '01', totals: ta },
        { lane: 'B', orderLane: '02', totals: tb },
      ]);
      expect(store.totals).toEqual({ paidCount: 4, paidFen: 73_000, refundCount: 1, refundFen: 400, netFen: 72_600 });
      expect(view.flags.filter((f) => f.store === 'S9')).toEqual([]);
    },
  );

  it('a lane set on two counters of one store is flagged, and a number both made is kept under each counter and flagged', { timeout: 120_000 }, async () => {
    const a = await counter('S8', 'A', '05');
    const c = await counter('S8', 'C', '05');
    const sale = await a.sell(1_500);
    expect((await a.core.sync.syncNow()).lastError).toBeNull();
    expect((await c.core.sync.syncNow()).lastError).toBeNull();
    let flags = (await overview(pool, DAY, 'training')).flags.filter((f) => f.store === 'S8');
    expect(flags).toEqual([expect.objectContaining({ lane: 'C', kind: 'lane_shared', detail: { orderLane: '05', alsoUsedBy: ['S8/A'] } })]);

    // The same lane, the same millisecond, the same random digits: counter C makes A's number.
    const db = c.core.db;
    const twin = insertPaymentIntent(db, {
      tradeNo: sale.tradeNo,
      merOrderNo: null,
      memo: null,
      mode: 'training',
      tender: 'qr',
      gateway: 'bpc',
      amountFen: 999,
      operator: '001',
      businessDay: DAY,
      now: AT,
    });
    appendEvent(db, { at: AT, entity: 'payment', entityId: twin.id, type: 'intent', data: { tradeNo: twin.tradeNo } });
    updatePayment(db, twin.id, { status: 'failed', respMsg: 'not sent' }, AT);
    expect((await c.core.sync.syncNow()).lastError).toBeNull();
    const rows = (await hqPayments('S8')).filter((p) => p.trade_no === sale.tradeNo);
    expect(rows).toEqual([
      { lane: 'A', local_id: sale.id, trade_no: sale.tradeNo, amount_fen: 1_500, status: 'paid', created_at: AT },
      { lane: 'C', local_id: twin.id, trade_no: sale.tradeNo, amount_fen: 999, status: 'failed', created_at: AT },
    ]);
    flags = (await overview(pool, DAY, 'training')).flags.filter((f) => f.store === 'S8');
    expect(flags).toContainEqual(
      expect.objectContaining({ lane: 'C', kind: 'number_collision', detail: { numbers: [{ number: sale.tradeNo, label: 'S8/A' }] } }),
    );

    // Fixed before the first live sale: the lane_shared flag clears with the next batch.
    setLane(db, { code: '06', source: 'settings', actor: '800', now: AT });
    await c.sell(100);
    expect((await c.core.sync.syncNow()).lastError).toBeNull();
    flags = (await overview(pool, DAY, 'training')).flags.filter((f) => f.store === 'S8');
    expect(flags.map((f) => f.kind)).toEqual(['number_collision']);
  });
});
