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

/** How many reports count `tradeNo` as paid: frozen day totals, or the late list of any day (frozen or live). */
function placesPaid(tradeNo: string, days: string[]): string[] {
  const out: string[] = [];
  for (const day of days) {
    const closed = getClosedDay(db, 'live', day);
    const report = closed?.report ?? buildDayReport(db, { mode: 'live', day, timeZone: TZ });
    if (report.payments.some((p) => p.tradeNo === tradeNo && p.status === 'paid')) out.push(`${day}:totals`);
    if (report.late?.items.some((i) => i.orderNo === tradeNo && i.status === 'paid')) out.push(`${day}:late`);
  }
  return out;
}

describe('the clock is not trusted to order a settlement and a close', () => {
  const DAYS = [DAY, NEXT, '2026-05-12', '2026-05-13'];
  const override = { by: '800', reason: '银行未答复' };

  it('a sale settled in the same millisecond as its day was closed is still a late settlement', () => {
    const p = sale('T1', 500, DAY_START + 10 * HOUR);
    updatePayment(db, p.id, { status: 'unknown' }, DAY_START + 10 * HOUR);
    const at = DAY_START + 22 * HOUR;
    closeDay(db, { mode: 'live', day: DAY, by: '900', override, timeZone: TZ }, at);
    updatePayment(db, p.id, { status: 'paid', paidAt: at }, at);
    expect(dayAddendum(db, { mode: 'live', day: DAY, timeZone: TZ }).totals.paidFen).toBe(500);
    expect(placesPaid('T1', DAYS)).toEqual([`${NEXT}:late`]);
  });

  it('a sale settled after the close under a clock set back is still a late settlement', () => {
    const p = sale('T1', 500, DAY_START + 10 * HOUR);
    updatePayment(db, p.id, { status: 'unknown' }, DAY_START + 10 * HOUR);
    closeDay(db, { mode: 'live', day: DAY, by: '900', override, timeZone: TZ }, DAY_START + 22 * HOUR);
    // NTP pulls the clock back an hour; the bank's answer comes in.
    updatePayment(db, p.id, { status: 'paid', paidAt: DAY_START + 21 * HOUR }, DAY_START + 21 * HOUR);
    expect(placesPaid('T1', DAYS)).toEqual([`${NEXT}:late`]);
  });

  it("a sale paid before the close is in the frozen totals only, even when the close's clock is behind", () => {
    const p = sale('T1', 500, DAY_START + 10 * HOUR);
    updatePayment(db, p.id, { status: 'paid', paidAt: DAY_START + 21 * HOUR }, DAY_START + 21 * HOUR);
    closeDay(db, { mode: 'live', day: DAY, by: '900', timeZone: TZ }, DAY_START + 20 * HOUR);
    expect(dayAddendum(db, { mode: 'live', day: DAY, timeZone: TZ }).items).toEqual([]);
    expect(placesPaid('T1', DAYS)).toEqual([`${DAY}:totals`]);
  });

  it("a late settlement frozen into the next day is not counted again by a later day when that close's clock was behind", () => {
    const p = sale('T1', 500, DAY_START + 10 * HOUR);
    updatePayment(db, p.id, { status: 'unknown' }, DAY_START + 10 * HOUR);
    closeDay(db, { mode: 'live', day: DAY, by: '900', override, timeZone: TZ }, DAY_START + 22 * HOUR);
    updatePayment(db, p.id, { status: 'paid', paidAt: DAY_START + 34 * HOUR }, DAY_START + 34 * HOUR);
    const frozen = closeDay(db, { mode: 'live', day: NEXT, by: '900', timeZone: TZ }, DAY_START + 33 * HOUR);
    expect(frozen.report.late?.totals.paidFen).toBe(500);
    expect(placesPaid('T1', DAYS)).toEqual([`${NEXT}:late`]);
  });
});

describe('the frozen report is cut in the shop’s time zone', () => {
  it('the drawers of a closed day are those of the draft report in the shop’s zone, not the machine’s', () => {
    // UTC+14: 01:00 there is the day before in any zone up to UTC+12, whatever zone the machine runs in.
    const SHOP = 'Pacific/Kiritimati';
    const started = Date.UTC(2026, 4, 10, 1) - 14 * HOUR;
    db.prepare("INSERT INTO shifts (operator, mode, started_at, ended_at, report) VALUES ('001', 'live', ?, NULL, NULL)").run(started);
    const p = sale('C1', 500, started + 60_000);
    db.prepare("UPDATE payments SET tender = 'cash', gateway = 'cash' WHERE id = ?").run(p.id);
    updatePayment(db, p.id, { status: 'paid', paidAt: started + 60_000 }, started + 60_000);
    const draft = buildDayReport(db, { mode: 'live', day: DAY, timeZone: SHOP });
    expect(draft.drawers?.map((d) => d.cashSalesFen)).toEqual([500]);
    const closed = closeDay(db, { mode: 'live', day: DAY, by: '900', timeZone: SHOP }, started + 20 * HOUR);
    expect(closed.report.drawers).toEqual(draft.drawers);
  });
});
