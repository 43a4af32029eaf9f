/**
 * Money that moves after its business day was closed: the frozen report stays as it was, and the item
 * shows up exactly once — in the closed day's addendum and as a late settlement of one later day.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openLedger, type Db } from '../../src/core/ledger/db';
import { insertPaymentIntent, updatePayment } from '../../src/core/ledger/payments';
import { ensureDefaultOperators } from '../../src/core/operators/operators';
import { buildDayReport, closeDay, dayAddendum, getClosedDay } from '../../src/core/reports/day-report';
import { tempDir } from '../support/temp';

const TZ = 'Asia/Shanghai';
const HOUR = 3_600_000;
const DAY = '2026-05-10';
const NEXT = '2026-05-11';
const DAY_START = Date.UTC(2026, 4, 10) - 8 * HOUR;

let db: Db;
let cleanup: () => void;
beforeEach(async () => {
  const t = tempDir('day-close-late-');
  cleanup = t.cleanup;
  db = openLedger(`${t.dir}/ledger.sqlite`);
  await ensureDefaultOperators(db, 0);
});
afterEach(() => {
  db.close();
  cleanup();
});

function sale(tradeNo: string, amountFen: number, at: number) {
  return insertPaymentIntent(db, {
    tradeNo,
    merOrderNo: null,
    memo: null,
    mode: 'live',
    tender: 'qr',
    gateway: 'bpc',
    amountFen,
    operator: '001',
    businessDay: DAY,
    now: at,
  });
}

describe('late payment after the day was closed', () => {
  it('a sale that failed before the close and is paid after it (late payment) is in the addendum and the next day, never lost', () => {
    const p = sale('T1', 1234, DAY_START + 10 * HOUR);
    updatePayment(db, p.id, { status: 'failed' }, DAY_START + 10 * HOUR + 60_000);
    const closed = closeDay(db, { mode: 'live', day: DAY, by: '900', timeZone: TZ }, DAY_START + 22 * HOUR);
    expect(closed.report.totals.paidFen).toBe(0);

    // The wallet's money arrives the next morning: failed → paid.
    updatePayment(db, p.id, { status: 'paid', paidAt: DAY_START + 33 * HOUR }, DAY_START + 33 * HOUR);

    expect(getClosedDay(db, 'live', DAY)?.report.totals.paidFen).toBe(0);
    const addendum = dayAddendum(db, { mode: 'live', day: DAY, timeZone: TZ });
    expect(addendum.items.map((i) => [i.orderNo, i.status, i.settledDay])).toEqual([['T1', 'paid', NEXT]]);
    expect(addendum.totals.paidFen).toBe(1234);
    const next = buildDayReport(db, { mode: 'live', day: NEXT, timeZone: TZ });
    expect(next.late?.totals.paidFen).toBe(1234);
  });
});
