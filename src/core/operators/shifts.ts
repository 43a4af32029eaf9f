/**
 * Operator shifts. Ending a shift stores its handover (交班) report, built from the ledger at that
 * moment, in shifts.report.
 */
import { AppError } from '../../shared/errors';
import { DENOMINATIONS_FEN, type DrawerCountData } from '../../shared/reports';
import type { AppMode } from '../../shared/ipc/contract';
import type { Db } from '../ledger/db';
import { appendEvent } from '../ledger/events';
import { buildShiftReport, type ShiftReport } from '../reports/day-report';
import { shiftFloatFen } from '../reports/shift-drawers';
import { getOperator } from './operators';

export interface ShiftView {
  id: number;
  operator: string;
  mode: AppMode;
  startedAt: number;
  endedAt: number | null;
  /** The opening float (备用金) set at sign-in, fen (null: none recorded). */
  floatFen: number | null;
  /** The handover report, once the shift has ended. */
  report: ShiftReport | null;
}

interface ShiftDbRow {
  id: number;
  operator: string;
  mode: AppMode;
  started_at: number;
  ended_at: number | null;
  report: string | null;
}

function toView(db: Db, row: ShiftDbRow): ShiftView {
  return {
    id: row.id,
    operator: row.operator,
    mode: row.mode,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    floatFen: shiftFloat(db, row),
    report: row.report === null ? null : (JSON.parse(row.report) as ShiftReport),
  };
}

function openShiftRow(db: Db, operatorCode: string, mode: AppMode): ShiftDbRow | undefined {
  return db.prepare('SELECT * FROM shifts WHERE operator = ? AND mode = ? AND ended_at IS NULL ORDER BY started_at DESC LIMIT 1').get(operatorCode, mode) as
    ShiftDbRow | undefined;
}

/** The operator's shift that has not ended in this mode, if any. */
export function getOpenShift(db: Db, operatorCode: string, mode: AppMode): ShiftView | undefined {
  const row = openShiftRow(db, operatorCode, mode);
  return row === undefined ? undefined : toView(db, row);
}

/** One shift by id. Throws NOT_FOUND. */
export function getShift(db: Db, shiftId: number): ShiftView {
  const row = db.prepare('SELECT * FROM shifts WHERE id = ?').get(shiftId) as ShiftDbRow | undefined;
  if (row === undefined) throw new AppError('NOT_FOUND', `shift ${shiftId} not found`, { id: shiftId });
  return toView(db, row);
}

/**
 * Starts a shift for an active operator at `now` (epoch ms). If the operator already has an open shift
 * in this mode (e.g. after a restart) that shift is returned unchanged rather than a second one opened.
 * Throws NOT_FOUND for an unknown or inactive operator, BAD_INPUT for a bad mode.
 */
export function startShift(db: Db, operatorCode: string, mode: AppMode, now: number): ShiftView {
  if (mode !== 'training' && mode !== 'live') throw new AppError('BAD_INPUT', `unknown mode "${String(mode)}"`, { field: 'mode' });
  return db
    .transaction((): ShiftView => {
      const op = getOperator(db, operatorCode);
      if (op === undefined || !op.active) throw new AppError('NOT_FOUND', `operator ${operatorCode} not found`, { field: 'operator' });
      const open = openShiftRow(db, operatorCode, mode);
      if (open !== undefined) return toView(db, open);
      const info = db.prepare('INSERT INTO shifts (operator, mode, started_at) VALUES (?, ?, ?)').run(operatorCode, mode, now);
      const id = Number(info.lastInsertRowid);
      appendEvent(db, { at: now, entity: 'operator', entityId: op.id, type: 'shift_started', actor: operatorCode, data: { shiftId: id, mode } });
      return getShift(db, id);
    })
    .immediate();
}

/** The float recorded for a shift (its operator's newest shift_float event naming it), or null. */
function shiftFloat(db: Db, row: ShiftDbRow): number | null {
  return shiftFloatFen(db, row.operator, row.id);
}

/**
 * Records the opening float (备用金) of a shift that has not ended, in fen (0 – ¥1 000 000). The newest
 * one counts; each is in the event log with who set it.
 */
export function setShiftFloat(db: Db, shiftId: number, floatFen: number, actor: string, now: number): ShiftView {
  if (!Number.isSafeInteger(floatFen) || floatFen < 0 || floatFen > 100_000_000) {
    throw new AppError('BAD_INPUT', 'the opening float must be an amount from 0 to 1000000.00', { field: 'floatFen' });
  }
  const shift = getShift(db, shiftId);
  if (shift.endedAt !== null) throw new AppError('INVALID_STATE', `shift ${shiftId} already ended`, { id: shiftId });
  const op = getOperator(db, shift.operator);
  appendEvent(db, { at: now, entity: 'operator', entityId: op?.id ?? null, type: 'shift_float', actor, data: { shiftId, floatFen } });
  return getShift(db, shiftId);
}

/**
 * What the cashier counted at 交班: a total, or notes and coins by denomination plus loose coins as one
 * amount (the total is then their sum).
 */
export interface DrawerCountInput {
  countedFen?: number | undefined;
  denominations?: { valueFen: number; count: number }[] | undefined;
  coinsFen?: number | undefined;
}

/** The drawer count from the shift's float and its cash totals (integer fen). Throws BAD_INPUT for a bad count. */
export function drawerCount(floatFen: number, cashSalesFen: number, cashRefundsFen: number, input: DrawerCountInput): DrawerCountData {
  let counted = input.countedFen;
  let denominations: { valueFen: number; count: number }[] | undefined;
  const coinsFen = input.coinsFen;
  if (coinsFen !== undefined && (!Number.isSafeInteger(coinsFen) || coinsFen < 0)) {
    throw new AppError('BAD_INPUT', 'the loose coins must be an amount of 0 or more', { field: 'coinsFen' });
  }
  if (input.denominations !== undefined || coinsFen !== undefined) {
    denominations = (input.denominations ?? []).filter((d) => d.count !== 0);
    if (new Set(denominations.map((d) => d.valueFen)).size !== denominations.length) {
      throw new AppError('BAD_INPUT', 'each denomination may be counted once', { field: 'denominations' });
    }
    for (const d of denominations) {
      if (!(DENOMINATIONS_FEN as readonly number[]).includes(d.valueFen))
        throw new AppError('BAD_INPUT', `unknown denomination ${d.valueFen} fen`, { field: 'denominations' });
      if (!Number.isSafeInteger(d.count) || d.count < 0 || d.count > 100_000)
        throw new AppError('BAD_INPUT', 'a count of notes or coins must be a whole number from 0', { field: 'denominations' });
    }
    const sum = denominations.reduce((acc, d) => acc + d.valueFen * d.count, 0) + (coinsFen ?? 0);
    if (counted !== undefined && counted !== sum) {
      throw new AppError('BAD_INPUT', `the counted total ${counted} fen differs from the notes and coins (${sum} fen)`, { field: 'countedFen' });
    }
    counted = sum;
  }
  if (counted === undefined || !Number.isSafeInteger(counted) || counted < 0) {
    throw new AppError('BAD_INPUT', 'type the cash counted in the drawer (0 or more)', { field: 'countedFen' });
  }
  const expectedFen = floatFen + cashSalesFen - cashRefundsFen;
  return {
    floatFen,
    cashSalesFen,
    cashRefundsFen,
    expectedFen,
    countedFen: counted,
    differenceFen: counted - expectedFen,
    ...(denominations === undefined ? {} : { denominations }),
    ...(coinsFen === undefined ? {} : { coinsFen }),
  };
}

/**
 * Ends a shift at `now` and stores its handover report (payments paid and refunds made by the operator
 * from the shift start to `now`, inclusive). Throws NOT_FOUND, INVALID_STATE if it already ended or
 * `now` is before its start.
 */
export function endShift(db: Db, shiftId: number, now: number, opts: { timeZone?: string; count?: DrawerCountInput | undefined } = {}): ShiftView {
  return db
    .transaction((): ShiftView => {
      const shift = getShift(db, shiftId);
      if (shift.endedAt !== null) throw new AppError('INVALID_STATE', `shift ${shiftId} already ended`, { id: shiftId });
      if (now < shift.startedAt) throw new AppError('INVALID_STATE', 'a shift cannot end before it started', { id: shiftId });
      const report = buildShiftReport(db, {
        mode: shift.mode,
        operator: shift.operator,
        from: shift.startedAt,
        to: now,
        ...(opts.timeZone === undefined ? {} : { timeZone: opts.timeZone }),
      });
      const op = getOperator(db, shift.operator);
      if (opts.count !== undefined) {
        // Expected cash: the float + this shift's cash sales − its cash refunds (the report's 现金 bucket).
        const cash = report.byPayType.find((b) => b.payType === 'cash');
        report.drawer = drawerCount(shift.floatFen ?? 0, cash?.paidFen ?? 0, cash?.refundFen ?? 0, opts.count);
        appendEvent(db, {
          at: now,
          entity: 'operator',
          entityId: op?.id ?? null,
          type: 'drawer_counted',
          actor: shift.operator,
          data: { shiftId, ...report.drawer },
        });
      }
      db.prepare('UPDATE shifts SET ended_at = ?, report = ? WHERE id = ?').run(now, JSON.stringify(report), shiftId);
      appendEvent(db, {
        at: now,
        entity: 'operator',
        entityId: op?.id ?? null,
        type: 'shift_ended',
        actor: shift.operator,
        data: { shiftId, mode: shift.mode, totals: report.totals, unresolvedPayments: report.unresolved.payments.length },
      });
      return getShift(db, shiftId);
    })
    .immediate();
}

/**
 * Ended shifts (handovers) of a mode whose end falls on `day` — `dayOf` maps an instant to its business
 * day — optionally of one operator, newest first, with their stored reports (for reopening and
 * reprinting). Throws BAD_INPUT for a bad mode.
 */
export function listHandovers(db: Db, query: { mode: AppMode; day: string; operator?: string; dayOf: (ms: number) => string }): ShiftView[] {
  if (query.mode !== 'training' && query.mode !== 'live') throw new AppError('BAD_INPUT', `unknown mode "${String(query.mode)}"`, { field: 'mode' });
  const [y, m, d] = query.day.split('-').map(Number) as [number, number, number];
  const noonUtc = Date.UTC(y, m - 1, d, 12);
  // Any zone and start hour puts the day's end within this window; the exact day is checked below.
  const from = noonUtc - 2 * 86_400_000;
  const to = noonUtc + 2 * 86_400_000;
  const rows = db
    .prepare(
      `SELECT * FROM shifts WHERE mode = ? AND ended_at IS NOT NULL AND ended_at BETWEEN ? AND ?${query.operator === undefined ? '' : ' AND operator = ?'} ORDER BY ended_at DESC, id DESC LIMIT 500`,
    )
    .all(...[query.mode, from, to, ...(query.operator === undefined ? [] : [query.operator])]) as ShiftDbRow[];
  return rows.filter((r) => r.ended_at !== null && query.dayOf(r.ended_at) === query.day).map((r) => toView(db, r));
}
