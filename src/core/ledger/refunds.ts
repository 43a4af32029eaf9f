import { AppError } from '../../shared/errors';
import type { RefundStatus, RefundView } from '../../shared/domain';
import type { AppMode } from '../../shared/ipc/contract';
import { stmt, type Db } from './db';
import { finalAtSql, getPayment } from './payments';

/** A refunds row as SQLite returns it (snake_case). */
export interface RefundRow {
  id: number;
  refund_no: string;
  payment_id: number;
  mode: AppMode;
  amount_fen: number;
  status: RefundStatus;
  gateway: string;
  /** Migration 6: the gateway's reference of this refund (BPC: R's sysTrace), unique per gateway. */
  gateway_ref: string | null;
  /** Read-only alias of gateway_ref (generated column). */
  sys_trace: string | null;
  gateway_detail: string | null;
  request_seq: string | null;
  resp_code: string | null;
  resp_msg: string | null;
  reason: string;
  operator: string | null;
  approved_by: string | null;
  business_day: string;
  created_at: number;
  updated_at: number;
  sent_at: number | null;
  final_at: number | null;
  query_count: number;
  next_query_at: number | null;
}

export interface RefundRecord extends RefundView {
  finalAt: number | null;
  queryCount: number;
}

/** Maps a refunds row to its camelCase record (the one mapping of this table). */
export function refundFromRow(row: RefundRow): RefundRecord {
  return {
    id: row.id,
    refundNo: row.refund_no,
    paymentId: row.payment_id,
    mode: row.mode,
    amountFen: row.amount_fen,
    status: row.status,
    sysTrace: row.gateway_ref,
    gateway: row.gateway,
    gatewayRef: row.gateway_ref,
    respCode: row.resp_code,
    respMsg: row.resp_msg,
    reason: row.reason,
    operator: row.operator,
    approvedBy: row.approved_by,
    businessDay: row.business_day,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    sentAt: row.sent_at,
    needsSupervisor: row.status === 'unknown' && row.gateway_ref === null && row.sent_at !== null,
    finalAt: row.final_at,
    queryCount: row.query_count,
  };
}

const REFUND_TRANSITIONS: Record<RefundStatus, readonly RefundStatus[]> = {
  created: ['pending', 'succeeded', 'failed', 'unknown'],
  pending: ['pending', 'succeeded', 'failed', 'unknown'],
  unknown: ['unknown', 'pending', 'succeeded', 'failed'],
  succeeded: [],
  failed: [],
};

export function canRefundTransition(from: RefundStatus, to: RefundStatus): boolean {
  return from === to || REFUND_TRANSITIONS[from].includes(to);
}

export interface RefundTotals {
  paidFen: number;
  /** Refunds the gateway confirmed. */
  refundedFen: number;
  /** Refunds sent or about to be sent whose outcome is not known yet: they count against the cap. */
  inFlightFen: number;
  remainingFen: number;
}

/** Paid, refunded, in flight and remaining for one payment, from the ledger. */
export function refundTotals(db: Db, paymentId: number): RefundTotals {
  const payment = getPayment(db, paymentId);
  const sums = stmt(
    db,
    `SELECT
         COALESCE(SUM(CASE WHEN status = 'succeeded' THEN amount_fen END), 0) AS refunded,
         COALESCE(SUM(CASE WHEN status IN ('created', 'pending', 'unknown') THEN amount_fen END), 0) AS in_flight
       FROM refunds WHERE payment_id = ?`,
  ).get(paymentId) as { refunded: number; in_flight: number };
  const paidFen = payment.status === 'paid' ? payment.amountFen : 0;
  return { paidFen, refundedFen: sums.refunded, inFlightFen: sums.in_flight, remainingFen: paidFen - sums.refunded - sums.in_flight };
}

export interface RefundIntent {
  refundNo: string;
  paymentId: number;
  amountFen: number;
  reason: string;
  operator: string | null;
  approvedBy: string | null;
  businessDay: string;
  now: number;
}

/**
 * Checks the cap and writes the refund intent in ONE immediate transaction (`sent_at` stays NULL until
 * the engine commits its "R sent" marker just before R leaves): the sum of succeeded and
 * in-flight refunds plus this one can never exceed what was paid, whoever else is refunding at the same
 * moment (SQLite's write lock serialises the check-and-insert).
 */
export function insertRefundIntent(db: Db, intent: RefundIntent): RefundRecord {
  const run = db.transaction((): RefundRecord => {
    const payment = getPayment(db, intent.paymentId);
    if (payment.status !== 'paid') {
      throw new AppError('INVALID_STATE', `payment ${payment.id} is ${payment.status}; only paid payments can be refunded`);
    }
    if (!Number.isSafeInteger(intent.amountFen) || intent.amountFen <= 0) {
      throw new AppError('AMOUNT_INVALID', 'refund amount must be a positive whole number of fen');
    }
    const totals = refundTotals(db, intent.paymentId);
    if (intent.amountFen > totals.remainingFen) {
      throw new AppError('REFUND_EXCEEDS_PAID', `refund ${intent.amountFen} fen exceeds the refundable remainder ${totals.remainingFen} fen`, {
        remainingFen: totals.remainingFen,
        paidFen: totals.paidFen,
        refundedFen: totals.refundedFen,
        inFlightFen: totals.inFlightFen,
      });
    }
    const info = stmt(
      db,
      `INSERT INTO refunds (refund_no, payment_id, mode, gateway, amount_fen, status, reason, operator, approved_by, business_day,
           created_at, updated_at, sent_at)
         VALUES (?, ?, ?, ?, ?, 'created', ?, ?, ?, ?, ?, ?, NULL)`,
    ).run(
      intent.refundNo,
      intent.paymentId,
      payment.mode,
      payment.gateway,
      intent.amountFen,
      intent.reason,
      intent.operator,
      intent.approvedBy,
      intent.businessDay,
      intent.now,
      intent.now,
    );
    return getRefund(db, Number(info.lastInsertRowid));
  });
  return run.immediate();
}

export function getRefund(db: Db, id: number): RefundRecord {
  const row = stmt(db, 'SELECT * FROM refunds WHERE id = ?').get(id) as RefundRow | undefined;
  if (row === undefined) throw new AppError('NOT_FOUND', `refund ${id} not found`);
  return refundFromRow(row);
}

/** The refund a gateway knows by `ref` (unique per gateway). */
export function findRefundByGatewayRef(db: Db, gateway: string, ref: string): RefundRecord | undefined {
  const row = stmt(db, 'SELECT * FROM refunds WHERE gateway_ref = ? AND gateway = ?').get(ref, gateway) as RefundRow | undefined;
  return row === undefined ? undefined : refundFromRow(row);
}

export function listRefundsForPayment(db: Db, paymentId: number): RefundRecord[] {
  return (stmt(db, 'SELECT * FROM refunds WHERE payment_id = ? ORDER BY id').all(paymentId) as RefundRow[]).map(refundFromRow);
}

export function listOpenRefunds(db: Db): RefundRecord[] {
  return (stmt(db, "SELECT * FROM refunds WHERE status IN ('created', 'pending', 'unknown') ORDER BY id").all() as RefundRow[]).map(refundFromRow);
}

export interface RefundPatch {
  status?: RefundStatus;
  sysTrace?: string;
  respCode?: string | null;
  respMsg?: string | null;
  queryCountIncrement?: boolean;
  nextQueryAt?: number | null;
  /** The "R sent" marker: committed just before R's first byte. */
  sentAt?: number;
}

export function updateRefund(db: Db, id: number, patch: RefundPatch, now: number): RefundRecord {
  const current = getRefund(db, id);
  if (patch.status !== undefined && !canRefundTransition(current.status, patch.status)) {
    throw new AppError('INVALID_STATE', `refund ${id}: ${current.status} → ${patch.status} is not allowed`);
  }
  const sets = ['updated_at = @now'];
  const params: Record<string, unknown> = { id, now };
  const columns: [keyof RefundPatch, string][] = [
    ['status', 'status'],
    ['sysTrace', 'gateway_ref'],
    ['respCode', 'resp_code'],
    ['respMsg', 'resp_msg'],
    ['nextQueryAt', 'next_query_at'],
    ['sentAt', 'sent_at'],
  ];
  for (const [key, column] of columns) {
    if (patch[key] !== undefined) {
      sets.push(`${column} = @${key}`);
      params[key] = patch[key];
    }
  }
  if (patch.queryCountIncrement === true) sets.push('query_count = query_count + 1');
  if ((patch.status === 'succeeded' || patch.status === 'failed') && current.status !== patch.status) sets.push(`final_at = ${finalAtSql('refunds')}`);
  stmt(db, `UPDATE refunds SET ${sets.join(', ')} WHERE id = @id`).run(params);
  return getRefund(db, id);
}
