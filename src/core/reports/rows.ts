/**
 * Ledger rows as the reports hand them out: camelCase, money in integer fen, times in epoch ms.
 */
import type { PaymentView, RefundView } from '../../shared/domain';
import { paymentFromRow, type PaymentRow } from '../ledger/payments';
import { refundFromRow, type RefundRow as RefundTableRow } from '../ledger/refunds';
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

/** A payments row, optionally with the succeeded-refund sum the report queries add. */
export interface PaymentDbRow extends PaymentRow {
  refunded_fen?: number | null;
}

export type RefundDbRow = RefundTableRow;

/** SQL expression (alias `p` for payments) that adds `refunded_fen` using the refunds_payment index. */
export const REFUNDED_FEN_SQL = "(SELECT COALESCE(SUM(r.amount_fen), 0) FROM refunds r WHERE r.payment_id = p.id AND r.status = 'succeeded') AS refunded_fen";

/** Maps a payments row (optionally with `refunded_fen`) to its camelCase view. */
export function toTransactionRow(row: PaymentDbRow): TransactionRow {
  return { ...paymentFromRow(row), nextQueryAt: row.next_query_at, refundedFen: row.refunded_fen ?? 0 };
}

/** Maps a refunds row to its camelCase view. */
export function toRefundRow(row: RefundDbRow): RefundRow {
  return { ...refundFromRow(row), nextQueryAt: row.next_query_at };
}
