/**
 * The day's cash drawers, shift by shift (issue 12.5): for every shift handed over on the business day
 * (or begun on it and still open), its operator, the float, cash sales and refunds, the cash expected
 * in the drawer, what was counted at 交班 and the difference. Integer fen. A handed-over shift brings
 * its stored count; a shift that took cash but was not counted (still open, or handed over without a
 * count) is listed with `countedFen: null`, so the manager sees which drawer nobody counted.
 */
import type { Db } from '../ledger/db';
import { businessDay } from '../util/time';
import type { Mode } from './rows';
import { addDays } from './time';

export interface ShiftDrawer {
  shiftId: number;
  operator: string;
  startedAt: number;
  /** null: the shift is still open. */
  endedAt: number | null;
  floatFen: number;
  cashSalesFen: number;
  cashRefundsFen: number;
  /** float + cash sales − cash refunds. */
  expectedFen: number;
  /** null: not counted (open, or handed over without a count). */
  countedFen: number | null;
  /** counted − expected (negative = short); null when not counted. */
  differenceFen: number | null;
}

export interface ShiftDrawerTotals {
  floatFen: number;
  cashSalesFen: number;
  cashRefundsFen: number;
  expectedFen: number;
  /** Sums over the counted shifts only. */
  countedFen: number;
  differenceFen: number;
  /** Shifts in the list that were not counted. */
  uncounted: number;
}

interface ShiftRow {
  id: number;
  operator: string;
  started_at: number;
  ended_at: number | null;
  report: string | null;
}

interface StoredShiftReport {
  byPayType?: { payType: string; paidFen: number; refundFen: number }[];
  drawer?: { floatFen: number; cashSalesFen: number; cashRefundsFen: number; expectedFen: number; countedFen: number; differenceFen: number };
}

/** The float recorded for a shift: its operator's newest `shift_float` event naming it, or null. */
export function shiftFloatFen(db: Db, operatorCode: string, shiftId: number): number | null {
  const found = db
    .prepare(
      `SELECT json_extract(e.data, '$.floatFen') AS fen FROM events e JOIN operators o ON o.id = e.entity_id
       WHERE e.entity = 'operator' AND o.code = ? AND e.type = 'shift_float' AND json_extract(e.data, '$.shiftId') = ? ORDER BY e.id DESC LIMIT 1`,
    )
    .get(operatorCode, shiftId) as { fen: unknown } | undefined;
  return typeof found?.fen === 'number' && Number.isSafeInteger(found.fen) ? found.fen : null;
}

/** Cash taken and paid back by an open shift's operator since it began (the same rule as its handover report). */
function openShiftCash(db: Db, mode: Mode, row: ShiftRow, timeZone: string | undefined, startHour: number): { salesFen: number; refundsFen: number } {
  // Bounded by the business-day index like the shift report: from the day before the shift began.
  const firstDay = addDays(businessDay(row.started_at, timeZone, startHour), -1);
  const sales = db
    .prepare(
      `SELECT COALESCE(SUM(amount_fen), 0) AS fen FROM payments
       WHERE mode = ? AND business_day >= ? AND operator = ? AND tender = 'cash' AND status = 'paid' AND paid_at >= ?`,
    )
    .get(mode, firstDay, row.operator, row.started_at) as { fen: number };
  const refunds = db
    .prepare(
      `SELECT COALESCE(SUM(r.amount_fen), 0) AS fen FROM refunds r JOIN payments p ON p.id = r.payment_id
       WHERE r.mode = ? AND r.business_day >= ? AND r.operator = ? AND p.tender = 'cash' AND r.status = 'succeeded' AND r.created_at >= ?`,
    )
    .get(mode, firstDay, row.operator, row.started_at) as { fen: number };
  return { salesFen: sales.fen, refundsFen: refunds.fen };
}

/**
 * The drawers of the shifts handed over on `day` (by the business day of the handover), and of the
 * shifts begun on `day` that are still open; optionally one operator's. Oldest shift first.
 */
export function shiftDrawers(db: Db, query: { mode: Mode; day: string; operator?: string; timeZone?: string; startHour?: number }): ShiftDrawer[] {
  const startHour = query.startHour ?? 0;
  const [y, m, d] = query.day.split('-').map(Number) as [number, number, number];
  const noonUtc = Date.UTC(y, m - 1, d, 12);
  // Any zone and start hour puts the day within this window; the exact day is checked below.
  const from = noonUtc - 2 * 86_400_000;
  const to = noonUtc + 2 * 86_400_000;
  const rows = db
    .prepare(
      `SELECT id, operator, started_at, ended_at, report FROM shifts
       WHERE mode = ? AND ((ended_at BETWEEN ? AND ?) OR (ended_at IS NULL AND started_at BETWEEN ? AND ?))${query.operator === undefined ? '' : ' AND operator = ?'}
       ORDER BY started_at, id`,
    )
    .all(...[query.mode, from, to, from, to, ...(query.operator === undefined ? [] : [query.operator])]) as ShiftRow[];
  const out: ShiftDrawer[] = [];
  for (const row of rows) {
    if (businessDay(row.ended_at ?? row.started_at, query.timeZone, startHour) !== query.day) continue;
    const base = { shiftId: row.id, operator: row.operator, startedAt: row.started_at, endedAt: row.ended_at };
    const report = row.report === null ? null : (JSON.parse(row.report) as StoredShiftReport);
    const count = report?.drawer;
    if (count !== undefined) {
      out.push({
        ...base,
        floatFen: count.floatFen,
        cashSalesFen: count.cashSalesFen,
        cashRefundsFen: count.cashRefundsFen,
        expectedFen: count.expectedFen,
        countedFen: count.countedFen,
        differenceFen: count.differenceFen,
      });
      continue;
    }
    const floatFen = shiftFloatFen(db, row.operator, row.id) ?? 0;
    let salesFen: number;
    let refundsFen: number;
    if (row.ended_at === null) ({ salesFen, refundsFen } = openShiftCash(db, query.mode, row, query.timeZone, startHour));
    else {
      const cash = report?.byPayType?.find((b) => b.payType === 'cash');
      salesFen = cash?.paidFen ?? 0;
      refundsFen = cash?.refundFen ?? 0;
    }
    // A shift that never touched cash has no drawer to count.
    if (floatFen === 0 && salesFen === 0 && refundsFen === 0) continue;
    out.push({
      ...base,
      floatFen,
      cashSalesFen: salesFen,
      cashRefundsFen: refundsFen,
      expectedFen: floatFen + salesFen - refundsFen,
      countedFen: null,
      differenceFen: null,
    });
  }
  return out;
}

/** The column sums of a drawer list (counted and difference over the counted shifts). */
export function shiftDrawerTotals(drawers: readonly ShiftDrawer[]): ShiftDrawerTotals {
  const totals: ShiftDrawerTotals = { floatFen: 0, cashSalesFen: 0, cashRefundsFen: 0, expectedFen: 0, countedFen: 0, differenceFen: 0, uncounted: 0 };
  for (const d of drawers) {
    totals.floatFen += d.floatFen;
    totals.cashSalesFen += d.cashSalesFen;
    totals.cashRefundsFen += d.cashRefundsFen;
    totals.expectedFen += d.expectedFen;
    if (d.countedFen === null || d.differenceFen === null) totals.uncounted += 1;
    else {
      totals.countedFen += d.countedFen;
      totals.differenceFen += d.differenceFen;
    }
  }
  return totals;
}
