/**
 * Ledger rows as the reports hand them out: camelCase, money in integer fen, times in epoch ms.
 */
import type { PaymentStatus, PaymentView, RefundStatus, RefundView } from '../../shared/domain';
import type { AppMode } from '../../shared/ipc/contract';

export type Mode = AppMode;

/** A payment with every column, plus what has been refunded (succeeded refunds only), in fen. */
export interface TransactionRow extends PaymentView {
  gateway: string;
  sentAt: number | null;
  finalAt: number | null;
  closeRequestedAt: number | null;
  nextQueryAt: number | null;
  refundedFen: number;
}

export interface RefundRow extends RefundView {
  reason: string;
  sentAt: number | null;
  finalAt: number | null;
  queryCount: number;
  nextQueryAt: number | null;
}

export interface PaymentDbRow {
  id: number;
  trade_no: string;
  mer_order_no: string | null;
  memo: string | null;
  mode: Mode;
  tender: 'qr' | 'card';
  gateway: string;
  amount_fen: number;
  status: PaymentStatus;
  pay_type: string | null;
  sys_trace: string | null;
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
  /** Present when the query adds the succeeded-refund sum. */
  refunded_fen?: number | null;
}

export interface RefundDbRow {
  id: number;
  refund_no: string;
  payment_id: number;
  mode: Mode;
  amount_fen: number;
  status: RefundStatus;
  sys_trace: string | null;
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

/** SQL expression (alias `p` for payments) that adds `refunded_fen` using the refunds_payment index. */
export const REFUNDED_FEN_SQL =
  "(SELECT COALESCE(SUM(r.amount_fen), 0) FROM refunds r WHERE r.payment_id = p.id AND r.status = 'succeeded') AS refunded_fen";

/** Maps a payments row (optionally with `refunded_fen`) to its camelCase view. */
export function toTransactionRow(row: PaymentDbRow): TransactionRow {
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
    sysTrace: row.sys_trace,
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
    nextQueryAt: row.next_query_at,
    resolution: row.resolution,
    resolvedBy: row.resolved_by,
    refundedFen: row.refunded_fen ?? 0,
  };
}

/** Maps a refunds row to its camelCase view. */
export function toRefundRow(row: RefundDbRow): RefundRow {
  return {
    id: row.id,
    refundNo: row.refund_no,
    paymentId: row.payment_id,
    mode: row.mode,
    amountFen: row.amount_fen,
    status: row.status,
    sysTrace: row.sys_trace,
    respCode: row.resp_code,
    respMsg: row.resp_msg,
    reason: row.reason,
    operator: row.operator,
    approvedBy: row.approved_by,
    businessDay: row.business_day,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    sentAt: row.sent_at,
    finalAt: row.final_at,
    queryCount: row.query_count,
    nextQueryAt: row.next_query_at,
  };
}
