import { AppError } from '../../shared/errors';
import {
  CashDetailSchema,
  FINAL_PAYMENT_STATUSES,
  GatewayDetailSchema,
  type CashDetail,
  type GatewayDetail,
  type Tender,
  type PaymentStatus,
  type PaymentView,
} from '../../shared/domain';
import { maskSecrets } from '../util/logger';
import type { AppMode } from '../../shared/ipc/contract';
import { stmt, type Db } from './db';

/** A payments row as SQLite returns it (snake_case). */
export interface PaymentRow {
  id: number;
  trade_no: string;
  mer_order_no: string | null;
  memo: string | null;
  mode: AppMode;
  tender: Tender;
  gateway: string;
  amount_fen: number;
  status: PaymentStatus;
  pay_type: string | null;
  /** Migration 6: the gateway's own reference, unique per gateway. */
  gateway_ref: string | null;
  /** Read-only alias of gateway_ref (generated column), kept for readers of the old name. */
  sys_trace: string | null;
  gateway_detail: string | null;
  request_seq: string | null;
  scan_code: string | null;
  qr_expires_at: number | null;
  resp_code: string | null;
  resp_msg: string | null;
  operator: string | null;
  business_day: string;
  created_at: number;
  updated_at: number;
  sent_at: number | null;
  paid_at: number | null;
  final_at: number | null;
  close_requested_at: number | null;
  query_count: number;
  next_query_at: number | null;
  resolution: string | null;
  resolved_by: string | null;
  /** Migration 4: the wallet's own transaction number (WeChat / Alipay / UnionPay), when known. */
  wallet_trade_no: string | null;
}

export interface PaymentRecord extends PaymentView {
  /** The serial of the create request, for gateways that need a fresh one per request (Yima pos_seq). */
  requestSeq: string | null;
  sentAt: number | null;
  finalAt: number | null;
  closeRequestedAt: number | null;
}

/** Maps a payments row to its camelCase record (the one mapping of this table). */
export function paymentFromRow(row: PaymentRow): PaymentRecord {
  return {
    id: row.id,
    tradeNo: row.trade_no,
    merOrderNo: row.mer_order_no,
    memo: row.memo,
    mode: row.mode,
    tender: row.tender,
    gateway: row.gateway,
    amountFen: row.amount_fen,
    status: row.status,
    payType: row.pay_type,
    sysTrace: row.gateway_ref,
    gatewayRef: row.gateway_ref,
    gatewayDetail: parseDetail(row.gateway_detail),
    cash: row.tender === 'cash' ? cashDetail(row.gateway_detail) : null,
    requestSeq: row.request_seq,
    scanCode: row.scan_code,
    qrExpiresAt: row.qr_expires_at,
    respCode: row.resp_code,
    respMsg: row.resp_msg,
    operator: row.operator,
    businessDay: row.business_day,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    sentAt: row.sent_at,
    paidAt: row.paid_at,
    finalAt: row.final_at,
    closeRequestedAt: row.close_requested_at,
    closeRequested: row.close_requested_at !== null,
    queryCount: row.query_count,
    resolution: row.resolution,
    resolvedBy: row.resolved_by,
    walletTradeNo: row.wallet_trade_no ?? null,
  };
}

/** The stored detail JSON as an object (null when absent or not an object). */
export function parseDetail(text: string | null): GatewayDetail | null {
  if (text === null) return null;
  try {
    const parsed = GatewayDetailSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** A cash sale's tendered / change, kept in its gateway_detail (null until the sale is recorded). */
function cashDetail(text: string | null): CashDetail | null {
  const parsed = CashDetailSchema.safeParse(parseDetail(text));
  return parsed.success ? parsed.data : null;
}

/**
 * The detail as stored: card-number fields (cardNo, pan, …) cut to first 6 / last 4 and secret-looking
 * fields replaced before it reaches the disk. References stay exact.
 */
export function detailText(detail: GatewayDetail): string {
  return JSON.stringify(maskSecrets(GatewayDetailSchema.parse(detail)));
}

/**
 * The payment state machine's legal moves. A card sale goes from created straight to paid (the
 * terminal answers once; there is no QR). A gateway that answers "accepted, poll" (Yima's 9998)
 * moves created → waiting. "paid" can follow a close or a failure: if the gateway
 * later says 00, the money was taken, and a paid sale must never be lost.
 */
const TRANSITIONS: Record<PaymentStatus, readonly PaymentStatus[]> = {
  created: ['qr_issued', 'waiting', 'paid', 'failed', 'unknown'],
  qr_issued: ['waiting', 'paid', 'failed', 'closed', 'unknown'],
  waiting: ['waiting', 'paid', 'failed', 'closed', 'unknown'],
  unknown: ['unknown', 'waiting', 'paid', 'failed', 'closed'],
  paid: [],
  failed: ['paid'],
  closed: ['paid'],
};

/**
 * `final_at` for a row entering a final status now: the clock, but never at or before the close of a
 * day on or after the row's own business day. The day report orders a settlement and a close by these
 * stamps (late = final_at > closed_at); a clock set back, or the same millisecond, must not put money
 * that moved after a close before it. closeDay stamps the other side (closed_at ≥ every final_at it
 * saw). Shared with refunds.
 */
export function finalAtSql(table: 'payments' | 'refunds'): string {
  return `MAX(@now, COALESCE((SELECT MAX(d.closed_at) + 1 FROM day_reports d WHERE d.mode = ${table}.mode AND d.business_day >= ${table}.business_day), 0))`;
}

export function canTransition(from: PaymentStatus, to: PaymentStatus): boolean {
  return from === to || TRANSITIONS[from].includes(to);
}

export function isFinal(status: PaymentStatus): boolean {
  return FINAL_PAYMENT_STATUSES.includes(status);
}

export interface PaymentIntent {
  tradeNo: string;
  merOrderNo: string | null;
  memo: string | null;
  mode: AppMode;
  tender: Tender;
  gateway: string;
  amountFen: number;
  operator: string | null;
  businessDay: string;
  now: number;
  /** The create request's serial, reserved before it leaves (reserveRequestSeq), for gateways that need one. */
  requestSeq?: string | null;
}

/**
 * Writes the intent (with its unique order number) before any request leaves. `sent_at` is set in the
 * same statement: from here on the request may have reached the gateway.
 */
export function insertPaymentIntent(db: Db, intent: PaymentIntent): PaymentRecord {
  try {
    const info = stmt(
      db,
      `INSERT INTO payments (trade_no, mer_order_no, memo, mode, tender, gateway, amount_fen, status, operator,
           business_day, created_at, updated_at, sent_at, request_seq)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'created', ?, ?, ?, ?, ?, ?)`,
    ).run(
      intent.tradeNo,
      intent.merOrderNo,
      intent.memo,
      intent.mode,
      intent.tender,
      intent.gateway,
      intent.amountFen,
      intent.operator,
      intent.businessDay,
      intent.now,
      intent.now,
      intent.now,
      intent.requestSeq ?? null,
    );
    return getPayment(db, Number(info.lastInsertRowid));
  } catch (error) {
    if (error instanceof Error && /UNIQUE constraint failed: payments.trade_no/.test(error.message)) {
      throw new AppError('INVALID_STATE', `order number ${intent.tradeNo} already used`);
    }
    throw error;
  }
}

export function getPayment(db: Db, id: number): PaymentRecord {
  const row = stmt(db, 'SELECT * FROM payments WHERE id = ?').get(id) as PaymentRow | undefined;
  if (row === undefined) throw new AppError('NOT_FOUND', `payment ${id} not found`);
  return paymentFromRow(row);
}

/** The payment a gateway knows by `ref` (unique per gateway). */
export function findPaymentByGatewayRef(db: Db, gateway: string, ref: string): PaymentRecord | undefined {
  const row = stmt(db, 'SELECT * FROM payments WHERE gateway_ref = ? AND gateway = ?').get(ref, gateway) as PaymentRow | undefined;
  return row === undefined ? undefined : paymentFromRow(row);
}

/** Another payment of this gateway whose recorded detail carries the gateway's own order id `orderId` (one payment settles one sale). */
export function findOtherPaymentByGatewayOrderId(db: Db, gateway: string, orderId: string, exceptId: number): PaymentRecord | undefined {
  const row = stmt(
    db,
    // Written to match the index payments_gateway_order_id (migration 7): the same expression and filter.
    "SELECT * FROM payments WHERE json_valid(gateway_detail) AND gateway = ? AND json_extract(gateway_detail, '$.orderId') = ? AND id <> ?",
  ).get(gateway, orderId, exceptId) as PaymentRow | undefined;
  return row === undefined ? undefined : paymentFromRow(row);
}

/** The BPC payment with this sysTrace (a notification names one; a card reference never matches). */
export function findPaymentBySysTrace(db: Db, sysTrace: string): PaymentRecord | undefined {
  return findPaymentByGatewayRef(db, 'bpc', sysTrace);
}

/** Payments the engine must still resolve (resumed at start-up). */
export function listOpenPayments(db: Db): PaymentRecord[] {
  const rows = stmt(db, "SELECT * FROM payments WHERE status IN ('created', 'qr_issued', 'waiting', 'unknown') ORDER BY id").all() as PaymentRow[];
  return rows.map(paymentFromRow);
}

/** The newest payment of a mode (for the customer display after a reload). */
export function latestPayment(db: Db, mode: AppMode): PaymentRecord | undefined {
  const row = stmt(db, 'SELECT * FROM payments WHERE mode = ? ORDER BY id DESC LIMIT 1').get(mode) as PaymentRow | undefined;
  return row === undefined ? undefined : paymentFromRow(row);
}

export interface PaymentPatch {
  status?: PaymentStatus;
  payType?: string | null;
  /** BPC's name for the gateway reference: written to gateway_ref. */
  sysTrace?: string;
  gatewayRef?: string;
  /** Stored masked (detailText). */
  gatewayDetail?: GatewayDetail;
  scanCode?: string;
  qrExpiresAt?: number;
  respCode?: string | null;
  respMsg?: string | null;
  paidAt?: number;
  closeRequestedAt?: number;
  queryCountIncrement?: boolean;
  nextQueryAt?: number | null;
  resolution?: string;
  resolvedBy?: string;
  walletTradeNo?: string;
}

const COLUMN: Record<Exclude<keyof PaymentPatch, 'queryCountIncrement' | 'gatewayDetail'>, string> = {
  status: 'status',
  payType: 'pay_type',
  sysTrace: 'gateway_ref',
  gatewayRef: 'gateway_ref',
  scanCode: 'scan_code',
  qrExpiresAt: 'qr_expires_at',
  respCode: 'resp_code',
  respMsg: 'resp_msg',
  paidAt: 'paid_at',
  closeRequestedAt: 'close_requested_at',
  nextQueryAt: 'next_query_at',
  resolution: 'resolution',
  resolvedBy: 'resolved_by',
  walletTradeNo: 'wallet_trade_no',
};

/**
 * Applies a patch, refusing illegal state moves (INVALID_STATE). Entering a final status sets `final_at`.
 * Runs inside the caller's transaction when there is one.
 */
export function updatePayment(db: Db, id: number, patch: PaymentPatch, now: number): PaymentRecord {
  const current = getPayment(db, id);
  if (patch.status !== undefined && !canTransition(current.status, patch.status)) {
    throw new AppError('INVALID_STATE', `payment ${id}: ${current.status} → ${patch.status} is not allowed`);
  }
  const sets: string[] = ['updated_at = @now'];
  const params: Record<string, unknown> = { id, now };
  for (const [key, column] of Object.entries(COLUMN) as [keyof typeof COLUMN, string][]) {
    if (patch[key] !== undefined) {
      sets.push(`${column} = @${key}`);
      params[key] = patch[key];
    }
  }
  if (patch.gatewayDetail !== undefined) {
    sets.push('gateway_detail = @gatewayDetail');
    params.gatewayDetail = detailText(patch.gatewayDetail);
  }
  if (patch.queryCountIncrement === true) sets.push('query_count = query_count + 1');
  // A final status reached anew moves final_at, including a late payment (failed/closed → paid): the
  // day report finds money that moved after its day was closed by final_at > closed_at.
  if (patch.status !== undefined && isFinal(patch.status) && patch.status !== current.status) sets.push(`final_at = ${finalAtSql('payments')}`);
  stmt(db, `UPDATE payments SET ${sets.join(', ')} WHERE id = @id`).run(params);
  return getPayment(db, id);
}

/** The view that crosses the bridge (the record minus internal columns; the schema strips the rest). */
export function toView(record: PaymentRecord): PaymentView {
  return record;
}
