/**
 * End-of-day reconciliation and shift handover. A report is computed from the ledger in one read
 * transaction (a consistent snapshot), in integer fen; closing a day stores that report once and the
 * day_reports table refuses any later change.
 */
import { AppError } from '../../shared/errors';
import { OPEN_PAYMENT_STATUSES, OPEN_REFUND_STATUSES, type PaymentStatus, type RefundStatus } from '../../shared/domain';
import type { DrawerCountData } from '../../shared/reports';
import type { Db } from '../ledger/db';
import { appendEvent } from '../ledger/events';
import { getOperator, requireRole } from '../operators/operators';
import { REFUNDED_FEN_SQL, type Mode, type PaymentDbRow, type RefundDbRow } from './rows';
import { addDays, assertBusinessDay, localClock, type LocalClock } from './time';
import { shiftDrawers, type ShiftDrawer } from './shift-drawers';

/** How the report groups money: the three QR wallets, card (Yima), and anything else. */
export type PayTypeBucket = 'ZFBA' | 'WEIX' | 'UPAY' | 'card' | 'cash' | 'other';
export const PAY_TYPE_BUCKETS: readonly PayTypeBucket[] = ['ZFBA', 'WEIX', 'UPAY', 'card', 'cash', 'other'];

/** Card tender wins over any pay type; a QR payment with a missing or unexpected pay type is "other". */
export function payTypeBucket(tender: 'qr' | 'card' | 'cash', payType: string | null): PayTypeBucket {
  if (tender === 'card') return 'card';
  if (tender === 'cash') return 'cash';
  return payType === 'ZFBA' || payType === 'WEIX' || payType === 'UPAY' ? payType : 'other';
}

/** How the report splits money by gateway: BPC (QR), the card terminal link, Yima card orders, anything else. */
export type GatewayBucket = 'bpc' | 'terminal' | 'yima' | 'cash' | 'other';
export const GATEWAY_BUCKETS: readonly GatewayBucket[] = ['bpc', 'terminal', 'yima', 'cash', 'other'];

export function gatewayBucket(gateway: string | null | undefined): GatewayBucket {
  return gateway === 'bpc' || gateway === 'terminal' || gateway === 'yima' || gateway === 'cash' ? gateway : 'other';
}

/** Counts and sums (fen) of paid payments and succeeded refunds; net = paid − refunded (may be < 0). */
export interface Totals {
  paidCount: number;
  paidFen: number;
  refundCount: number;
  refundFen: number;
  netFen: number;
}

export interface PayTypeTotals extends Totals {
  payType: PayTypeBucket;
}

export interface GatewayTotals extends Totals {
  gateway: GatewayBucket;
}

export interface OperatorTotals extends Totals {
  /** Operator code; null for rows written without one. */
  operator: string | null;
}

export interface HourBucket {
  /** Local hour 0–23 in the report's time zone. */
  hour: number;
  paidCount: number;
  paidFen: number;
}

export interface ReportPayment {
  id: number;
  tradeNo: string;
  merOrderNo: string | null;
  sysTrace: string | null;
  tender: 'qr' | 'card' | 'cash';
  payType: string | null;
  bucket: PayTypeBucket;
  /** The gateway bucket (absent in reports frozen before gateways were reported). */
  gateway?: GatewayBucket;
  status: PaymentStatus;
  amountFen: number;
  /** Succeeded refunds against this payment when the report was built, fen. */
  refundedFen: number;
  operator: string | null;
  businessDay: string;
  createdAt: number;
  paidAt: number | null;
  memo: string | null;
  /** The supervisor who settled it by hand (状态未明 → paid / failed), null when the bank's answer did. */
  settledBy: string | null;
}

export interface ReportRefund {
  id: number;
  refundNo: string;
  paymentId: number;
  paymentTradeNo: string;
  paymentSysTrace: string | null;
  sysTrace: string | null;
  bucket: PayTypeBucket;
  gateway?: GatewayBucket;
  status: RefundStatus;
  amountFen: number;
  reason: string;
  operator: string | null;
  approvedBy: string | null;
  businessDay: string;
  createdAt: number;
  finalAt: number | null;
}

/**
 * A payment or refund that became final after its business day was closed (an override close left it
 * open). The frozen report of its day never changes; the item shows as a late settlement in the report
 * of the business day in which it settled, and as an addendum to its own closed day.
 */
export interface LateSettlement {
  kind: 'payment' | 'refund';
  id: number;
  /** Our order number: the payment's trade number or the refund's refund number. */
  orderNo: string;
  /** For a refund: the trade number of the payment it refunds. */
  paymentTradeNo: string | null;
  sysTrace: string | null;
  bucket: PayTypeBucket;
  /** Final status: paid / failed / closed, or succeeded / failed. Only paid and succeeded move money. */
  status: PaymentStatus | RefundStatus;
  amountFen: number;
  operator: string | null;
  /** The (closed) business day the item was booked on. */
  day: string;
  dayClosedAt: number;
  finalAt: number;
  /** The business day in whose report it appears as a late settlement. */
  settledDay: string;
}

export interface LateSettlements {
  items: LateSettlement[];
  /** Paid payments and succeeded refunds among the items. */
  totals: Totals;
}

export interface ClosedInfo {
  at: number;
  by: string;
  overrideBy: string | null;
  overrideReason: string | null;
}

/**
 * A day or shift settlement report. Plain JSON (it is stored as-is when a day is closed). Money in
 * fen, times in epoch ms; `timeZone` is the zone the hourly series was cut in.
 */
export interface SettlementReport {
  version: 1;
  kind: 'day' | 'shift';
  mode: Mode;
  /** The business day (day reports); null for a shift. */
  day: string | null;
  /** Shift range, inclusive, epoch ms; null for a day report. */
  from: number | null;
  to: number | null;
  /** The operator the report is restricted to; null = everyone. */
  operator: string | null;
  timeZone: string;
  /** Always all five buckets, in PAY_TYPE_BUCKETS order. */
  byPayType: PayTypeTotals[];
  /** Always all four gateway buckets, in GATEWAY_BUCKETS order; absent in reports frozen by older versions. */
  byGateway?: GatewayTotals[];
  totals: Totals;
  byOperator: OperatorTotals[];
  /** 24 entries, hour 0 to 23, by local hour of paid_at. */
  hourly: HourBucket[];
  /** Payments listed in the report, by status. */
  statusCounts: Record<PaymentStatus, number>;
  /** Not final yet: payments created/qr_issued/waiting/unknown, refunds created/pending/unknown. */
  unresolved: { payments: ReportPayment[]; refunds: ReportRefund[] };
  payments: ReportPayment[];
  refunds: ReportRefund[];
  /** Shift reports: the drawer count at 交班. */
  drawer?: DrawerCountData;
  /** Day reports: each shift's drawer (expected vs counted); absent in reports frozen by older versions. */
  drawers?: ShiftDrawer[];
  /** Set only in the frozen copy stored when the day was closed. */
  closed: ClosedInfo | null;
  /** Paid payments a supervisor settled by hand (included in the totals). Absent in older frozen reports. */
  supervisorSettled?: { paidCount: number; paidFen: number };
  /**
   * Day reports: items of earlier, already closed days that settled on this day (not in `totals`).
   * Absent in reports frozen by older versions.
   */
  late?: LateSettlements;
}

export type DayReport = SettlementReport;
export type ShiftReport = SettlementReport;

interface RefundJoinRow extends RefundDbRow {
  p_tender: 'qr' | 'card' | 'cash';
  p_pay_type: string | null;
  p_trade_no: string;
  p_sys_trace: string | null;
}

function emptyTotals(): Totals {
  return { paidCount: 0, paidFen: 0, refundCount: 0, refundFen: 0, netFen: 0 };
}

function toReportPayment(row: PaymentDbRow): ReportPayment {
  return {
    id: row.id,
    tradeNo: row.trade_no,
    merOrderNo: row.mer_order_no,
    sysTrace: row.sys_trace,
    tender: row.tender,
    payType: row.pay_type,
    bucket: payTypeBucket(row.tender, row.pay_type),
    gateway: gatewayBucket(row.gateway),
    status: row.status,
    amountFen: row.amount_fen,
    refundedFen: row.refunded_fen ?? 0,
    operator: row.operator,
    businessDay: row.business_day,
    createdAt: row.created_at,
    paidAt: row.paid_at,
    memo: row.memo,
    settledBy: row.resolved_by,
  };
}

function toReportRefund(row: RefundJoinRow): ReportRefund {
  return {
    id: row.id,
    refundNo: row.refund_no,
    paymentId: row.payment_id,
    paymentTradeNo: row.p_trade_no,
    paymentSysTrace: row.p_sys_trace,
    sysTrace: row.sys_trace,
    bucket: payTypeBucket(row.p_tender, row.p_pay_type),
    gateway: gatewayBucket(row.gateway),
    status: row.status,
    amountFen: row.amount_fen,
    reason: row.reason,
    operator: row.operator,
    approvedBy: row.approved_by,
    businessDay: row.business_day,
    createdAt: row.created_at,
    finalAt: row.final_at,
  };
}

interface Selection {
  kind: 'day' | 'shift';
  mode: Mode;
  day: string | null;
  from: number | null;
  to: number | null;
  operator: string | null;
  payments: ReportPayment[];
  refunds: ReportRefund[];
  countsAsPaid: (p: ReportPayment) => boolean;
  isUnresolvedPayment: (p: ReportPayment) => boolean;
}

function summarize(selection: Selection, clock: LocalClock): SettlementReport {
  const byPayType = new Map<PayTypeBucket, Totals>(PAY_TYPE_BUCKETS.map((b) => [b, emptyTotals()]));
  const byGateway = new Map<GatewayBucket, Totals>(GATEWAY_BUCKETS.map((b) => [b, emptyTotals()]));
  const byOperator = new Map<string | null, Totals>();
  const totals = emptyTotals();
  const hourly: HourBucket[] = Array.from({ length: 24 }, (_, hour) => ({ hour, paidCount: 0, paidFen: 0 }));
  const statusCounts: Record<PaymentStatus, number> = { created: 0, qr_issued: 0, waiting: 0, paid: 0, failed: 0, closed: 0, unknown: 0 };
  const operatorTotals = (code: string | null): Totals => {
    let t = byOperator.get(code);
    if (t === undefined) {
      t = emptyTotals();
      byOperator.set(code, t);
    }
    return t;
  };

  for (const p of selection.payments) {
    statusCounts[p.status] += 1;
    if (!selection.countsAsPaid(p)) continue;
    for (const t of [totals, byPayType.get(p.bucket), byGateway.get(p.gateway ?? 'other'), operatorTotals(p.operator)]) {
      if (t === undefined) continue;
      t.paidCount += 1;
      t.paidFen += p.amountFen;
    }
    const bucket = hourly[clock.hourOf(p.paidAt ?? p.createdAt)];
    if (bucket !== undefined) {
      bucket.paidCount += 1;
      bucket.paidFen += p.amountFen;
    }
  }
  for (const r of selection.refunds) {
    if (r.status !== 'succeeded') continue;
    for (const t of [totals, byPayType.get(r.bucket), byGateway.get(r.gateway ?? 'other'), operatorTotals(r.operator)]) {
      if (t === undefined) continue;
      t.refundCount += 1;
      t.refundFen += r.amountFen;
    }
  }
  const withNet = (t: Totals): Totals => ({ ...t, netFen: t.paidFen - t.refundFen });
  const operators = [...byOperator.entries()].sort(([a], [b]) => (a === null ? 1 : b === null ? -1 : a < b ? -1 : a > b ? 1 : 0));

  return {
    version: 1,
    kind: selection.kind,
    mode: selection.mode,
    day: selection.day,
    from: selection.from,
    to: selection.to,
    operator: selection.operator,
    timeZone: clock.timeZone,
    byPayType: PAY_TYPE_BUCKETS.map((payType) => ({ payType, ...withNet(byPayType.get(payType) ?? emptyTotals()) })),
    byGateway: GATEWAY_BUCKETS.map((gateway) => ({ gateway, ...withNet(byGateway.get(gateway) ?? emptyTotals()) })),
    totals: withNet(totals),
    byOperator: operators.map(([operator, t]) => ({ operator, ...withNet(t) })),
    hourly,
    statusCounts,
    unresolved: {
      payments: selection.payments.filter(selection.isUnresolvedPayment),
      refunds: selection.refunds.filter((r) => OPEN_REFUND_STATUSES.includes(r.status)),
    },
    payments: selection.payments,
    refunds: selection.refunds,
    closed: null,
    supervisorSettled: selection.payments
      .filter((p) => p.settledBy !== null && selection.countsAsPaid(p))
      .reduce((acc, p) => ({ paidCount: acc.paidCount + 1, paidFen: acc.paidFen + p.amountFen }), { paidCount: 0, paidFen: 0 }),
  };
}

const REFUND_JOIN_SELECT =
  'SELECT r.*, p.tender AS p_tender, p.pay_type AS p_pay_type, p.trade_no AS p_trade_no, p.sys_trace AS p_sys_trace FROM refunds r JOIN payments p ON p.id = r.payment_id';

function assertMode(mode: string): void {
  if (mode !== 'training' && mode !== 'live') throw new AppError('BAD_INPUT', `unknown mode "${mode}"`, { field: 'mode' });
}

export interface DayReportQuery {
  mode: Mode;
  /** Business day `YYYY-MM-DD`. */
  day: string;
  /** Restrict to one operator's payments and refunds. */
  operator?: string;
  /** IANA zone for the hourly series; the process zone by default. */
  timeZone?: string;
  /** The hour the business day starts (to place late settlements); 0 by default. */
  startHour?: number;
}

interface LateDbRow {
  kind: 'payment' | 'refund';
  id: number;
  order_no: string;
  payment_trade_no: string | null;
  sys_trace: string | null;
  tender: 'qr' | 'card' | 'cash';
  pay_type: string | null;
  status: PaymentStatus | RefundStatus;
  amount_fen: number;
  operator: string | null;
  business_day: string;
  closed_at: number;
  final_at: number;
}

const LATE_SELECT = `
  SELECT 'payment' AS kind, p.id, p.trade_no AS order_no, NULL AS payment_trade_no, p.sys_trace, p.tender, p.pay_type, p.status,
         p.amount_fen, p.operator, p.business_day, d.closed_at, p.final_at
    FROM payments p JOIN day_reports d ON d.mode = p.mode AND d.business_day = p.business_day
   WHERE p.mode = @mode AND p.final_at IS NOT NULL AND p.final_at > d.closed_at AND p.status IN ('paid', 'failed', 'closed') __P__
  UNION ALL
  SELECT 'refund' AS kind, r.id, r.refund_no, p.trade_no, r.sys_trace, p.tender, p.pay_type, r.status,
         r.amount_fen, r.operator, r.business_day, d.closed_at, r.final_at
    FROM refunds r JOIN payments p ON p.id = r.payment_id JOIN day_reports d ON d.mode = r.mode AND d.business_day = r.business_day
   WHERE r.mode = @mode AND r.final_at IS NOT NULL AND r.final_at > d.closed_at AND r.status IN ('succeeded', 'failed') __R__
  ORDER BY final_at, kind, id`;

/**
 * The business day a late item settled in: the day its final moment falls in (by the clock, never
 * before the day after its own), moved on past every day that was already closed at that moment.
 */
function settledDayOf(db: Db, mode: Mode, row: LateDbRow, clock: LocalClock, startHour: number): string {
  const byClock = clock.dateOf(row.final_at - startHour * 3_600_000);
  let day = byClock > row.business_day ? byClock : addDays(row.business_day, 1);
  const closedAt = db.prepare('SELECT closed_at FROM day_reports WHERE mode = ? AND business_day = ?');
  for (let i = 0; i < 400; i += 1) {
    const closed = closedAt.get(mode, day) as { closed_at: number } | undefined;
    // closed_at ≥ the final_at of every late item a close froze, and a settlement after a close is
    // stamped after it (finalAtSql): equal means this day's frozen report holds the item.
    if (closed === undefined || closed.closed_at >= row.final_at) break;
    day = addDays(day, 1);
  }
  return day;
}

function lateSettlements(
  db: Db,
  mode: Mode,
  where: { p: string; r: string },
  params: Record<string, unknown>,
  clock: LocalClock,
  startHour: number,
): LateSettlement[] {
  const rows = db.prepare(LATE_SELECT.replace('__P__', where.p).replace('__R__', where.r)).all({ mode, ...params }) as LateDbRow[];
  return rows.map((row) => ({
    kind: row.kind,
    id: row.id,
    orderNo: row.order_no,
    paymentTradeNo: row.payment_trade_no,
    sysTrace: row.sys_trace,
    bucket: payTypeBucket(row.tender, row.pay_type),
    status: row.status,
    amountFen: row.amount_fen,
    operator: row.operator,
    day: row.business_day,
    dayClosedAt: row.closed_at,
    finalAt: row.final_at,
    settledDay: settledDayOf(db, mode, row, clock, startHour),
  }));
}

function lateTotals(items: LateSettlement[]): LateSettlements {
  const totals = emptyTotals();
  for (const item of items) {
    if (item.kind === 'payment' && item.status === 'paid') {
      totals.paidCount += 1;
      totals.paidFen += item.amountFen;
    } else if (item.kind === 'refund' && item.status === 'succeeded') {
      totals.refundCount += 1;
      totals.refundFen += item.amountFen;
    }
  }
  return { items, totals: { ...totals, netFen: totals.paidFen - totals.refundFen } };
}

/** Late settlements that landed in `day`'s report: items of earlier closed days that settled on it. */
function lateInto(db: Db, query: DayReportQuery, clock: LocalClock): LateSettlements {
  const op = query.operator === undefined ? '' : ' AND p.operator = @operator';
  const opR = query.operator === undefined ? '' : ' AND r.operator = @operator';
  const items = lateSettlements(
    db,
    query.mode,
    { p: `AND p.business_day < @day${op}`, r: `AND r.business_day < @day${opR}` },
    { day: query.day, ...(query.operator === undefined ? {} : { operator: query.operator }) },
    clock,
    query.startHour ?? 0,
  ).filter((item) => item.settledDay === query.day);
  return lateTotals(items);
}

/**
 * The addendum of a closed day: its items that became final after it was closed (the frozen report
 * still shows them as unresolved). Empty for a day that is not closed. Throws BAD_INPUT.
 */
export function dayAddendum(db: Db, query: { mode: Mode; day: string; timeZone?: string; startHour?: number }): LateSettlements {
  assertMode(query.mode);
  assertBusinessDay(query.day);
  const clock = localClock(query.timeZone);
  return lateTotals(
    lateSettlements(db, query.mode, { p: 'AND p.business_day = @day', r: 'AND r.business_day = @day' }, { day: query.day }, clock, query.startHour ?? 0),
  );
}

/**
 * Writes the event-log record of every late settlement of a closed day that has none yet (entity
 * 'day', entityId = dayEntityId(day), type 'late_settlement'). Idempotent; returns how many were new.
 */
export function recordLateSettlements(db: Db, query: { mode: Mode; day: string; timeZone?: string; startHour?: number }, now: number): number {
  return db
    .transaction((): number => {
      const { items } = dayAddendum(db, query);
      const recorded = new Set(
        (
          db
            .prepare(
              "SELECT json_extract(data, '$.kind') AS kind, json_extract(data, '$.id') AS id FROM events WHERE entity = 'day' AND entity_id = ? AND type = 'late_settlement'",
            )
            .all(dayEntityId(query.day)) as { kind: string; id: number }[]
        ).map((r) => `${r.kind}:${r.id}`),
      );
      let added = 0;
      for (const item of items) {
        if (recorded.has(`${item.kind}:${item.id}`)) continue;
        appendEvent(db, {
          at: now,
          entity: 'day',
          entityId: dayEntityId(query.day),
          type: 'late_settlement',
          actor: null,
          data: {
            mode: query.mode,
            day: query.day,
            kind: item.kind,
            id: item.id,
            orderNo: item.orderNo,
            status: item.status,
            amountFen: item.amountFen,
            finalAt: item.finalAt,
            settledDay: item.settledDay,
          },
        });
        added += 1;
      }
      return added;
    })
    .immediate();
}

function dayReportInTx(db: Db, query: DayReportQuery, clock: LocalClock): SettlementReport {
  const byOperator = query.operator !== undefined;
  const params = byOperator ? [query.mode, query.day, query.operator] : [query.mode, query.day];
  const payments = (
    db
      .prepare(
        `SELECT p.*, ${REFUNDED_FEN_SQL} FROM payments p WHERE p.mode = ? AND p.business_day = ?${byOperator ? ' AND p.operator = ?' : ''} ORDER BY p.id`,
      )
      .all(...params) as PaymentDbRow[]
  ).map(toReportPayment);
  const refunds = (
    db
      .prepare(`${REFUND_JOIN_SELECT} WHERE r.mode = ? AND r.business_day = ?${byOperator ? ' AND r.operator = ?' : ''} ORDER BY r.id`)
      .all(...params) as RefundJoinRow[]
  ).map(toReportRefund);
  const report = summarize(
    {
      kind: 'day',
      mode: query.mode,
      day: query.day,
      from: null,
      to: null,
      operator: query.operator ?? null,
      payments,
      refunds,
      countsAsPaid: (p) => p.status === 'paid',
      isUnresolvedPayment: (p) => OPEN_PAYMENT_STATUSES.includes(p.status),
    },
    clock,
  );
  const drawers = shiftDrawers(db, {
    mode: query.mode,
    day: query.day,
    ...(query.operator === undefined ? {} : { operator: query.operator }),
    ...(query.timeZone === undefined ? {} : { timeZone: query.timeZone }),
    ...(query.startHour === undefined ? {} : { startHour: query.startHour }),
  });
  return { ...report, late: lateInto(db, query, clock), drawers };
}

/**
 * The reconciliation report of one business day (optionally one operator): paid payments of the day
 * by pay type, refunds that succeeded and were made on that day (whatever the payment's day), net,
 * unresolved items, hourly series, per-operator totals and the full lists. Training and live never mix.
 * Throws BAD_INPUT for a bad mode, day or time zone.
 */
export function buildDayReport(db: Db, query: DayReportQuery): DayReport {
  assertMode(query.mode);
  assertBusinessDay(query.day);
  const clock = localClock(query.timeZone);
  return db.transaction(() => dayReportInTx(db, query, clock))();
}

/** The refunds booked on a business day, newest first, with their payment's trade number and trace. */
export function listDayRefunds(db: Db, mode: Mode, day: string): ReportRefund[] {
  return (
    db.prepare(`${REFUND_JOIN_SELECT} WHERE r.mode = ? AND r.business_day = ? ORDER BY r.id DESC`).all(mode, assertBusinessDay(day)) as RefundJoinRow[]
  ).map(toReportRefund);
}

export interface ShiftReportQuery {
  mode: Mode;
  operator: string;
  /** Shift start and end, epoch ms, both inclusive. */
  from: number;
  to: number;
  timeZone?: string;
}

/**
 * Shift handover (交班) report for one operator: payments the operator took that were paid within
 * [from, to], refunds the operator made within [from, to] that succeeded, and the operator's payments
 * created in the range that are still unresolved. Same shape and totals as a day report.
 * Throws BAD_INPUT for a bad mode, range or time zone.
 */
export function buildShiftReport(db: Db, query: ShiftReportQuery): ShiftReport {
  assertMode(query.mode);
  if (!Number.isSafeInteger(query.from) || !Number.isSafeInteger(query.to) || query.from > query.to) {
    throw new AppError('BAD_INPUT', 'a shift needs from ≤ to (epoch ms)', { field: 'from' });
  }
  if (query.operator.trim() === '') throw new AppError('BAD_INPUT', 'operator is required', { field: 'operator' });
  const clock = localClock(query.timeZone);
  const { from, to } = query;
  // There is no (operator, time) index: bound the scan with the payments_day / refunds_day indexes by
  // the business days the range can touch. One day of margin on each side covers any day cut-off rule.
  const firstDay = addDays(clock.dateOf(from), -1);
  const lastDay = addDays(clock.dateOf(to), 1);
  return db.transaction((): ShiftReport => {
    const payments = (
      db
        .prepare(
          `SELECT p.*, ${REFUNDED_FEN_SQL} FROM payments p
           WHERE p.mode = ? AND p.business_day BETWEEN ? AND ? AND p.operator = ?
             AND ((p.paid_at BETWEEN ? AND ?) OR (p.created_at BETWEEN ? AND ?))
           ORDER BY p.id`,
        )
        .all(query.mode, firstDay, lastDay, query.operator, from, to, from, to) as PaymentDbRow[]
    ).map(toReportPayment);
    const refunds = (
      db
        .prepare(`${REFUND_JOIN_SELECT} WHERE r.mode = ? AND r.business_day BETWEEN ? AND ? AND r.operator = ? AND r.created_at BETWEEN ? AND ? ORDER BY r.id`)
        .all(query.mode, firstDay, lastDay, query.operator, from, to) as RefundJoinRow[]
    ).map(toReportRefund);
    const inRange = (ms: number | null): boolean => ms !== null && ms >= from && ms <= to;
    return summarize(
      {
        kind: 'shift',
        mode: query.mode,
        day: null,
        from,
        to,
        operator: query.operator,
        payments,
        refunds,
        countsAsPaid: (p) => p.status === 'paid' && inRange(p.paidAt),
        isUnresolvedPayment: (p) => OPEN_PAYMENT_STATUSES.includes(p.status) && inRange(p.createdAt),
      },
      clock,
    );
  })();
}

export interface ClosedDay {
  mode: Mode;
  day: string;
  closedAt: number;
  closedBy: string;
  overrideBy: string | null;
  overrideReason: string | null;
  /** The frozen report, exactly as stored when the day was closed. */
  report: DayReport;
}

interface DayReportDbRow {
  mode: Mode;
  business_day: string;
  closed_at: number;
  closed_by: string;
  override_by: string | null;
  override_reason: string | null;
  report: string;
}

function toClosedDay(row: DayReportDbRow): ClosedDay {
  return {
    mode: row.mode,
    day: row.business_day,
    closedAt: row.closed_at,
    closedBy: row.closed_by,
    overrideBy: row.override_by,
    overrideReason: row.override_reason,
    report: JSON.parse(row.report) as DayReport,
  };
}

/** Events about a day use the day as a number (2024-05-01 → 20240501) so listEvents can find them. */
export function dayEntityId(day: string): number {
  return Number(assertBusinessDay(day).replaceAll('-', ''));
}

const MAX_REASON_LENGTH = 500;

export interface CloseDayInput {
  mode: Mode;
  day: string;
  /** Operator code of the manager closing the day. */
  by: string;
  /** Required when items are unresolved: a supervisor (or manager) and a reason, both recorded. */
  override?: { by: string; reason: string };
  timeZone?: string;
  startHour?: number;
}

function requireActiveRole(db: Db, code: string, role: 'supervisor' | 'manager', field: string): void {
  const op = getOperator(db, code);
  if (op === undefined || !op.active) {
    throw new AppError('ROLE_REQUIRED', `operator ${code} is not an active operator`, { field, required: role });
  }
  requireRole(op, role);
}

/**
 * Closes a business day: builds the report and stores it frozen in day_reports, with an event
 * (entity 'day', entityId = dayEntityId(day)), in one write transaction. `by` must be an active
 * manager; an override's `by` an active supervisor or manager.
 * Throws DAY_CLOSED if the day is already closed, UNRESOLVED_ITEMS (details: counts) when payments or
 * refunds are not final and there is no override, ROLE_REQUIRED, BAD_INPUT.
 */
export function closeDay(db: Db, input: CloseDayInput, now: number): ClosedDay {
  assertMode(input.mode);
  assertBusinessDay(input.day);
  const clock = localClock(input.timeZone);
  let override: { by: string; reason: string } | null = null;
  if (input.override !== undefined) {
    const reason = input.override.reason.trim();
    if (reason === '') throw new AppError('BAD_INPUT', 'an override needs a reason', { field: 'override.reason' });
    if (reason.length > MAX_REASON_LENGTH) throw new AppError('BAD_INPUT', 'the override reason is too long', { field: 'override.reason' });
    override = { by: input.override.by, reason };
  }
  return db
    .transaction((): ClosedDay => {
      const existing = db.prepare('SELECT 1 FROM day_reports WHERE mode = ? AND business_day = ?').get(input.mode, input.day);
      if (existing !== undefined) throw new AppError('DAY_CLOSED', `${input.day} (${input.mode}) is already closed`, { day: input.day });
      requireActiveRole(db, input.by, 'manager', 'by');
      if (override !== null) requireActiveRole(db, override.by, 'supervisor', 'override.by');

      const report = dayReportInTx(
        db,
        {
          mode: input.mode,
          day: input.day,
          ...(input.timeZone === undefined ? {} : { timeZone: input.timeZone }),
          ...(input.startHour === undefined ? {} : { startHour: input.startHour }),
        },
        clock,
      );
      const unresolvedPayments = report.unresolved.payments.length;
      const unresolvedRefunds = report.unresolved.refunds.length;
      if (unresolvedPayments + unresolvedRefunds > 0 && override === null) {
        throw new AppError(
          'UNRESOLVED_ITEMS',
          `${unresolvedPayments} payment(s) and ${unresolvedRefunds} refund(s) are not final; re-query them or close with a supervisor override`,
          { payments: unresolvedPayments, refunds: unresolvedRefunds },
        );
      }
      // Stamped no earlier than anything this report saw final (its own items and its late ones), so a
      // clock that is behind cannot make an item the frozen report counts look settled after the close.
      const lastFinal = db
        .prepare(
          `SELECT MAX(m) AS m FROM (
             SELECT MAX(final_at) AS m FROM payments WHERE mode = @mode AND business_day = @day
             UNION ALL SELECT MAX(final_at) FROM refunds WHERE mode = @mode AND business_day = @day)`,
        )
        .get({ mode: input.mode, day: input.day }) as { m: number | null };
      const closedAt = Math.max(now, lastFinal.m ?? now, ...(report.late?.items ?? []).map((i) => i.finalAt));
      const closed: ClosedInfo = { at: closedAt, by: input.by, overrideBy: override?.by ?? null, overrideReason: override?.reason ?? null };
      const frozen: DayReport = { ...report, closed };
      db.prepare('INSERT INTO day_reports (mode, business_day, closed_at, closed_by, override_by, override_reason, report) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
        input.mode,
        input.day,
        closedAt,
        input.by,
        closed.overrideBy,
        closed.overrideReason,
        JSON.stringify(frozen),
      );
      appendEvent(db, {
        at: now,
        entity: 'day',
        entityId: dayEntityId(input.day),
        type: override === null ? 'day_closed' : 'day_closed_with_override',
        actor: input.by,
        data: {
          mode: input.mode,
          day: input.day,
          overrideBy: closed.overrideBy,
          overrideReason: closed.overrideReason,
          unresolvedPayments,
          unresolvedRefunds,
          totals: report.totals,
        },
      });
      const row = db.prepare('SELECT * FROM day_reports WHERE mode = ? AND business_day = ?').get(input.mode, input.day) as DayReportDbRow;
      return toClosedDay(row);
    })
    .immediate();
}

/** The stored report of a closed day, or null when the day is not closed. Throws BAD_INPUT. */
export function getClosedDay(db: Db, mode: Mode, day: string): ClosedDay | null {
  assertMode(mode);
  assertBusinessDay(day);
  const row = db.prepare('SELECT * FROM day_reports WHERE mode = ? AND business_day = ?').get(mode, day) as DayReportDbRow | undefined;
  return row === undefined ? null : toClosedDay(row);
}

/** Whether a business day is closed (the payment engine should refuse to book into it). */
export function isDayClosed(db: Db, mode: Mode, day: string): boolean {
  return db.prepare('SELECT 1 FROM day_reports WHERE mode = ? AND business_day = ?').get(mode, day) !== undefined;
}

export interface ClosedDaySummary {
  day: string;
  closedAt: number;
  closedBy: string;
  overrideBy: string | null;
}

/** The most recently closed days of a mode, newest business day first (for the reprint list). */
export function listClosedDays(db: Db, mode: Mode, limit = 60): ClosedDaySummary[] {
  assertMode(mode);
  const rows = db
    .prepare('SELECT business_day, closed_at, closed_by, override_by FROM day_reports WHERE mode = ? ORDER BY business_day DESC LIMIT ?')
    .all(mode, Math.max(1, Math.min(limit, 1000))) as { business_day: string; closed_at: number; closed_by: string; override_by: string | null }[];
  return rows.map((r) => ({ day: r.business_day, closedAt: r.closed_at, closedBy: r.closed_by, overrideBy: r.override_by }));
}
