/**
 * Read side of the ledger for the transactions screen and the refund desk. Every query takes the mode,
 * so training rows never show up among live ones, and pages by keyset (id DESC) so a page costs the
 * same on a million-row ledger as on an empty one.
 */
import { AppError } from '../../shared/errors';
import { OPEN_PAYMENT_STATUSES, OPEN_REFUND_STATUSES, type PaymentStatus } from '../../shared/domain';
import type { Db } from '../ledger/db';
import { listEvents, type LedgerEvent } from '../ledger/events';
import { REFUNDED_FEN_SQL, toRefundRow, toTransactionRow, type Mode, type PaymentDbRow, type RefundDbRow, type RefundRow, type TransactionRow } from './rows';
import { assertBusinessDay } from './time';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;
/** The refund desk shows at most this many matches; a narrower search finds the rest. */
export const MAX_FIND_RESULTS = 100;

const PAYMENT_STATUSES: readonly PaymentStatus[] = ['created', 'qr_issued', 'waiting', 'paid', 'failed', 'closed', 'unknown'];
const MAX_SEARCH_LENGTH = 64;

export interface TransactionQuery {
  mode: Mode;
  /** Business day `YYYY-MM-DD`. */
  day: string;
  /** One status or any of several (e.g. OPEN_PAYMENT_STATUSES for "unfinished"). */
  status?: PaymentStatus | readonly PaymentStatus[];
  /** Exact gateway pay type (ZFBA, WEIX, UPAY, …). */
  payType?: string;
  tender?: 'qr' | 'card' | 'cash';
  /** Operator code. */
  operator?: string;
  /** Prefix (or whole) of trade_no, sys_trace or mer_order_no. */
  search?: string;
  /** `nextCursor` of the previous page; omit for the first page. */
  cursor?: number | null;
  /** Page size, 1–500; 50 when omitted. */
  limit?: number;
}

export interface TransactionPage {
  rows: TransactionRow[];
  /** Pass back as `cursor` for the next page; null when this was the last page. */
  nextCursor: number | null;
}

export interface BuiltQuery {
  sql: string;
  params: Record<string, string | number>;
}

function assertMode(mode: string): void {
  if (mode !== 'training' && mode !== 'live') throw new AppError('BAD_INPUT', `unknown mode "${mode}"`, { field: 'mode' });
}

function assertLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new AppError('BAD_INPUT', `page size must be 1–${MAX_PAGE_SIZE}`, { field: 'limit' });
  }
}

function trimmedText(value: string | undefined, field: string): string | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text.length > MAX_SEARCH_LENGTH) throw new AppError('BAD_INPUT', `${field} is too long`, { field });
  return text === '' ? undefined : text;
}

/**
 * The SQL `listTransactions` runs (exported so a test can EXPLAIN exactly this statement).
 * It selects `limit + 1` rows: the extra one only tells whether another page exists.
 * Throws BAD_INPUT for an unknown mode/status/tender, a malformed day, cursor or limit.
 */
export function listTransactionsSql(query: TransactionQuery): BuiltQuery {
  assertMode(query.mode);
  assertBusinessDay(query.day);
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  assertLimit(limit);
  const where = ['p.mode = @mode', 'p.business_day = @day'];
  const params: Record<string, string | number> = { mode: query.mode, day: query.day, take: limit + 1 };
  if (query.cursor !== undefined && query.cursor !== null) {
    if (!Number.isSafeInteger(query.cursor) || query.cursor < 1) throw new AppError('BAD_INPUT', 'bad cursor', { field: 'cursor' });
    where.push('p.id < @cursor');
    params.cursor = query.cursor;
  }
  if (query.status !== undefined) {
    const statuses: readonly PaymentStatus[] = typeof query.status === 'string' ? [query.status] : query.status;
    if (statuses.length === 0 || statuses.some((s) => !PAYMENT_STATUSES.includes(s))) {
      throw new AppError('BAD_INPUT', 'unknown payment status in filter', { field: 'status' });
    }
    const names = statuses.map((s, i) => {
      params[`status${i}`] = s;
      return `@status${i}`;
    });
    where.push(`p.status IN (${names.join(', ')})`);
  }
  if (query.payType !== undefined) {
    where.push('p.pay_type = @payType');
    params.payType = query.payType;
  }
  if (query.tender !== undefined) {
    if (query.tender !== 'qr' && query.tender !== 'card' && query.tender !== 'cash') throw new AppError('BAD_INPUT', 'unknown tender', { field: 'tender' });
    where.push('p.tender = @tender');
    params.tender = query.tender;
  }
  if (query.operator !== undefined) {
    where.push('p.operator = @operator');
    params.operator = query.operator;
  }
  const search = trimmedText(query.search, 'search');
  if (search !== undefined) {
    // substr() compares bytes exactly (LIKE would fold case and treat % and _ as wildcards).
    where.push(
      '(substr(p.trade_no, 1, @searchLength) = @search OR substr(p.gateway_ref, 1, @searchLength) = @search OR substr(p.mer_order_no, 1, @searchLength) = @search)',
    );
    params.search = search;
    params.searchLength = search.length;
  }
  return {
    sql: `SELECT p.*, ${REFUNDED_FEN_SQL} FROM payments p WHERE ${where.join(' AND ')} ORDER BY p.id DESC LIMIT @take`,
    params,
  };
}

/**
 * One page of a business day's payments, newest first. Keyset paging: pages never overlap or skip
 * rows, even while new payments arrive. Throws BAD_INPUT for malformed filters.
 */
export function listTransactions(db: Db, query: TransactionQuery): TransactionPage {
  const { sql, params } = listTransactionsSql(query);
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  const found = (db.prepare(sql).all(params) as PaymentDbRow[]).map(toTransactionRow);
  const rows = found.slice(0, limit);
  const last = rows[rows.length - 1];
  return { rows, nextCursor: found.length > limit && last !== undefined ? last.id : null };
}

export interface FindPaymentsQuery {
  mode: Mode;
  sysTrace?: string;
  merOrderNo?: string;
  tradeNo?: string;
  /** Business day `YYYY-MM-DD`; with `amountFen` this is the "date + amount" search. */
  day?: string;
  amountFen?: number;
  /** A scanned receipt code: tried as sysTrace, then tradeNo, then merOrderNo (first hit wins). */
  code?: string;
}

const CODE_COLUMNS = [
  ['gateway_ref', 'sysTrace'],
  ['trade_no', 'tradeNo'],
  ['mer_order_no', 'merOrderNo'],
  ['wallet_trade_no', 'walletTradeNo'],
] as const;

/**
 * The statements `findPayments` may run, in order (exported so a test can EXPLAIN them). Every
 * criterion given is ANDed; a `code` yields one statement per column it is tried against.
 * Throws BAD_INPUT when no indexed criterion is given (an amount alone would scan the whole ledger).
 */
export function findPaymentsSql(query: FindPaymentsQuery): BuiltQuery[] {
  assertMode(query.mode);
  const where = ['p.mode = @mode'];
  const params: Record<string, string | number> = { mode: query.mode, take: MAX_FIND_RESULTS };
  const sysTrace = trimmedText(query.sysTrace, 'sysTrace');
  const merOrderNo = trimmedText(query.merOrderNo, 'merOrderNo');
  const tradeNo = trimmedText(query.tradeNo, 'tradeNo');
  const code = trimmedText(query.code, 'code');
  if (sysTrace !== undefined) {
    where.push('p.gateway_ref = @sysTrace');
    params.sysTrace = sysTrace;
  }
  if (merOrderNo !== undefined) {
    where.push('p.mer_order_no = @merOrderNo');
    params.merOrderNo = merOrderNo;
  }
  if (tradeNo !== undefined) {
    where.push('p.trade_no = @tradeNo');
    params.tradeNo = tradeNo;
  }
  if (query.day !== undefined) {
    where.push('p.business_day = @day');
    params.day = assertBusinessDay(query.day);
  }
  if (query.amountFen !== undefined) {
    if (!Number.isSafeInteger(query.amountFen) || query.amountFen <= 0) {
      throw new AppError('AMOUNT_INVALID', 'amount must be a positive whole number of fen', { field: 'amountFen' });
    }
    where.push('p.amount_fen = @amountFen');
    params.amountFen = query.amountFen;
  }
  const indexed = sysTrace !== undefined || merOrderNo !== undefined || tradeNo !== undefined || query.day !== undefined || code !== undefined;
  if (!indexed) {
    throw new AppError('BAD_INPUT', 'give a trace, an order number, a code or a business day', { field: 'query' });
  }
  const statement = (conditions: string[]): string =>
    `SELECT p.*, ${REFUNDED_FEN_SQL} FROM payments p WHERE ${conditions.join(' AND ')} ORDER BY p.id DESC LIMIT @take`;
  if (code === undefined) return [{ sql: statement(where), params }];
  return CODE_COLUMNS.map(([column]) => ({ sql: statement([...where, `p.${column} = @code`]), params: { ...params, code } }));
}

/**
 * Finds payments for the refund desk (newest first, at most MAX_FIND_RESULTS). With `code`, the first
 * of sysTrace / tradeNo / merOrderNo that matches anything wins. Empty array when nothing matches.
 * Throws BAD_INPUT when the query has no indexed criterion, AMOUNT_INVALID for a bad amount.
 */
export function findPayments(db: Db, query: FindPaymentsQuery): TransactionRow[] {
  for (const { sql, params } of findPaymentsSql(query)) {
    const rows = db.prepare(sql).all(params) as PaymentDbRow[];
    if (rows.length > 0) return rows.map(toTransactionRow);
  }
  return [];
}

export interface PaymentDetail {
  payment: TransactionRow;
  refunds: RefundRow[];
  /** Sum of succeeded refunds, fen. */
  refundedFen: number;
  /** Sum of refunds still in flight (created / pending / unknown), fen: they may still succeed. */
  inFlightFen: number;
  /** What may still be refunded: amount − refunded − in flight for a paid payment, 0 otherwise. */
  remainingFen: number;
  /** The payment's events and its refunds' events, in the order they happened. */
  events: LedgerEvent[];
}

/** Full detail of one payment for the detail view and the refund desk. Throws NOT_FOUND. */
export function paymentDetail(db: Db, id: number): PaymentDetail {
  return db.transaction((): PaymentDetail => {
    const row = db.prepare(`SELECT p.*, ${REFUNDED_FEN_SQL} FROM payments p WHERE p.id = ?`).get(id) as PaymentDbRow | undefined;
    if (row === undefined) throw new AppError('NOT_FOUND', `payment ${id} not found`, { id });
    const payment = toTransactionRow(row);
    const refunds = (db.prepare('SELECT * FROM refunds WHERE payment_id = ? ORDER BY id').all(id) as RefundDbRow[]).map(toRefundRow);
    let refundedFen = 0;
    let inFlightFen = 0;
    for (const refund of refunds) {
      if (refund.status === 'succeeded') refundedFen += refund.amountFen;
      else if (OPEN_REFUND_STATUSES.includes(refund.status)) inFlightFen += refund.amountFen;
    }
    const remainingFen = payment.status === 'paid' ? Math.max(0, payment.amountFen - refundedFen - inFlightFen) : 0;
    const events = [...listEvents(db, 'payment', id), ...refunds.flatMap((refund) => listEvents(db, 'refund', refund.id))].sort((a, b) => a.id - b.id);
    return { payment, refunds, refundedFen, inFlightFen, remainingFen, events };
  })();
}

export interface OpenItems {
  payments: TransactionRow[];
  refunds: RefundRow[];
}

const OPEN_PAYMENTS_IN = `p.status IN (${OPEN_PAYMENT_STATUSES.map((s) => `'${s}'`).join(', ')})`;
const OPEN_REFUNDS_IN = `r.status IN (${OPEN_REFUND_STATUSES.map((s) => `'${s}'`).join(', ')})`;

/**
 * The SQL `listOpenItems` runs. The status lists are literals on purpose: the partial indexes
 * payments_open / refunds_open can only be used when the query repeats their WHERE clause.
 */
export function openItemsSql(query: { mode: Mode; day?: string }): { payments: BuiltQuery; refunds: BuiltQuery } {
  assertMode(query.mode);
  const params: Record<string, string | number> = { mode: query.mode };
  // One day: payments_day / refunds_day narrow to the day. All days: the unary + keeps the planner off
  // the (mode, …) index, which would walk every row of the mode, and onto the small partial index.
  let filterP = ' AND +p.mode = @mode';
  let filterR = ' AND +r.mode = @mode';
  if (query.day !== undefined) {
    params.day = assertBusinessDay(query.day);
    filterP = ' AND p.mode = @mode AND p.business_day = @day';
    filterR = ' AND r.mode = @mode AND r.business_day = @day';
  }
  return {
    payments: { sql: `SELECT p.*, ${REFUNDED_FEN_SQL} FROM payments p WHERE ${OPEN_PAYMENTS_IN}${filterP} ORDER BY p.id`, params },
    refunds: { sql: `SELECT r.* FROM refunds r WHERE ${OPEN_REFUNDS_IN}${filterR} ORDER BY r.id`, params },
  };
}

/**
 * Payments (created / qr_issued / waiting / unknown) and refunds (created / pending / unknown) not yet
 * final, oldest first: of one business day, or of every day when `day` is omitted. Throws BAD_INPUT.
 */
export function listOpenItems(db: Db, query: { mode: Mode; day?: string }): OpenItems {
  const sql = openItemsSql(query);
  return db.transaction((): OpenItems => ({
    payments: (db.prepare(sql.payments.sql).all(sql.payments.params) as PaymentDbRow[]).map(toTransactionRow),
    refunds: (db.prepare(sql.refunds.sql).all(sql.refunds.params) as RefundDbRow[]).map(toRefundRow),
  }))();
}
