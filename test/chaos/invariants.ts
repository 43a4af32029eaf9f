/**
 * The chaos run's invariants, checked against the gateway's own records (the simulated bank's orders
 * and the requests it received), not against the ledger's idea of them. Pure: facts in, violations out,
 * so the self-test can plant one violation per invariant and prove each is caught.
 */
import type { SimOrder } from '../../src/core/simulators/bpc';

export const INVARIANTS = [
  /** Every sale the bank considers paid is paid in the ledger (no lost paid sale). */
  'bank-paid-is-ledger-paid',
  /** No sale the ledger calls paid is unpaid at the bank (no invented money). */
  'ledger-paid-is-bank-paid',
  /** At most one create (F) per sale. */
  'one-create-per-sale',
  /** At most one refund request (R) per refund number. */
  'one-r-per-refund',
  /** Refunds at the bank never exceed what was paid, per payment. */
  'bank-refunds-within-paid',
  /** Refunds in the ledger (succeeded and those still counted against the cap) never exceed what was paid. */
  'ledger-refunds-within-paid',
  /**
   * Nothing stays open that the protocol can resolve (after the final, fault-free start). A refund whose
   * R answer was lost has no trace, and J can only ask by trace (seed: `orgSysTrace` = R's `sysTrace`):
   * it stays 状态未明 for a supervisor, counted against the cap. That one is reported, not a violation.
   */
  'nothing-unresolved',
  /** Every refund the bank did is succeeded in the ledger, or 状态未明 for a supervisor as above. */
  'bank-refund-is-ledger-refund',
  /** `PRAGMA integrity_check` says ok. */
  'ledger-integrity',
  /** Every start reached "ready" unless the run itself killed it first. */
  'every-start-succeeded',
  /** Ledger and bank totals agree to the fen (paid, and refunded). */
  'totals-agree',
] as const;
export type Invariant = (typeof INVARIANTS)[number];

export interface LedgerPaymentFact {
  id: number;
  trade_no: string;
  status: string;
  amount_fen: number;
}

export interface LedgerRefundFact {
  id: number;
  refund_no: string;
  payment_id: number;
  status: string;
  amount_fen: number;
  /** The refund's trace from R's answer (null when that answer never arrived). */
  sys_trace: string | null;
}

export interface RequestFact {
  tranType: string;
  body: Record<string, string> | null;
}

export interface ChaosFacts {
  ledger: { payments: LedgerPaymentFact[]; refunds: LedgerRefundFact[]; integrity: string };
  bank: { orders: SimOrder[]; requests: RequestFact[] };
  /** One entry per start of the app: how it ended. */
  starts: { cycle: number; ready: boolean; killedByRun: boolean; exit: string }[];
}

export type Violations = Record<Invariant, string[]>;

const OPEN_PAYMENTS = new Set(['created', 'qr_issued', 'waiting', 'unknown']);
const OPEN_REFUNDS = new Set(['created', 'pending', 'unknown']);

/** A refund the protocol cannot resolve by itself: R's answer (and so its trace) was lost. */
export function isForSupervisor(r: LedgerRefundFact): boolean {
  return r.status === 'unknown' && r.sys_trace === null;
}

export function checkInvariants(facts: ChaosFacts): Violations {
  const v = Object.fromEntries(INVARIANTS.map((name) => [name, [] as string[]])) as Violations;
  const byTradeNo = new Map(facts.ledger.payments.map((p) => [p.trade_no, p]));
  const bankByTradeNo = new Map(facts.bank.orders.map((o) => [o.tradeNo, o]));
  const paymentsById = new Map(facts.ledger.payments.map((p) => [p.id, p]));

  for (const order of facts.bank.orders) {
    if (order.state !== 'paid') continue;
    const row = byTradeNo.get(order.tradeNo);
    if (row === undefined) v['bank-paid-is-ledger-paid'].push(`${order.tradeNo}: paid at the bank, not in the ledger at all`);
    else if (row.status !== 'paid') v['bank-paid-is-ledger-paid'].push(`${order.tradeNo}: paid at the bank, ${row.status} in the ledger`);
  }
  for (const row of facts.ledger.payments) {
    if (row.status !== 'paid') continue;
    const order = bankByTradeNo.get(row.trade_no);
    if (order?.state !== 'paid') v['ledger-paid-is-bank-paid'].push(`${row.trade_no}: paid in the ledger, ${order?.state ?? 'unknown'} at the bank`);
  }

  const count = (tranType: string): Map<string, number> => {
    const m = new Map<string, number>();
    for (const r of facts.bank.requests) {
      const no = r.body?.tradeNo;
      if (r.tranType !== tranType || no === undefined) continue;
      m.set(no, (m.get(no) ?? 0) + 1);
    }
    return m;
  };
  for (const [tradeNo, n] of count('F')) if (n > 1) v['one-create-per-sale'].push(`${tradeNo}: ${n} F requests`);
  for (const [refundNo, n] of count('R')) if (n > 1) v['one-r-per-refund'].push(`${refundNo}: ${n} R requests`);

  for (const order of facts.bank.orders) {
    const refunded = order.refunds.filter((r) => r.state !== 'failed').reduce((s, r) => s + r.amountFen, 0);
    if (refunded > order.amountFen) v['bank-refunds-within-paid'].push(`${order.tradeNo}: ${refunded} fen refunded of ${order.amountFen}`);
  }
  const ledgerCounted = new Map<number, number>();
  for (const r of facts.ledger.refunds) if (r.status !== 'failed') ledgerCounted.set(r.payment_id, (ledgerCounted.get(r.payment_id) ?? 0) + r.amount_fen);
  for (const [paymentId, refunded] of ledgerCounted) {
    const payment = paymentsById.get(paymentId);
    if (payment === undefined || refunded > payment.amount_fen)
      v['ledger-refunds-within-paid'].push(`payment ${paymentId}: ${refunded} fen refunded of ${payment?.amount_fen ?? '?'}`);
  }

  for (const p of facts.ledger.payments) if (OPEN_PAYMENTS.has(p.status)) v['nothing-unresolved'].push(`payment ${p.trade_no} still ${p.status}`);
  for (const r of facts.ledger.refunds)
    if (OPEN_REFUNDS.has(r.status) && !isForSupervisor(r)) v['nothing-unresolved'].push(`refund ${r.refund_no} still ${r.status}`);

  const refundByNo = new Map(facts.ledger.refunds.map((r) => [r.refund_no, r]));
  let bankRefundTotal = 0;
  let forSupervisorAtBank = 0;
  for (const order of facts.bank.orders) {
    for (const br of order.refunds) {
      if (br.state !== 'success') continue;
      bankRefundTotal += br.amountFen;
      const row = refundByNo.get(br.tradeNo);
      if (row !== undefined && isForSupervisor(row)) forSupervisorAtBank += br.amountFen;
      else if (row?.status !== 'succeeded')
        v['bank-refund-is-ledger-refund'].push(`${br.tradeNo}: refunded at the bank, ${row?.status ?? 'missing'} in the ledger`);
    }
  }

  if (facts.ledger.integrity !== 'ok') v['ledger-integrity'].push(facts.ledger.integrity);

  for (const s of facts.starts) if (!s.ready && !s.killedByRun) v['every-start-succeeded'].push(`cycle ${s.cycle}: start ended ${s.exit} before ready`);

  const ledgerPaid = facts.ledger.payments.filter((p) => p.status === 'paid').reduce((s, p) => s + p.amount_fen, 0);
  const bankPaid = facts.bank.orders.filter((o) => o.state === 'paid').reduce((s, o) => s + o.amountFen, 0);
  if (ledgerPaid !== bankPaid) v['totals-agree'].push(`paid: ledger ${ledgerPaid} fen, bank ${bankPaid} fen`);
  const ledgerRefundTotal = facts.ledger.refunds.filter((r) => r.status === 'succeeded').reduce((s, r) => s + r.amount_fen, 0);
  if (ledgerRefundTotal + forSupervisorAtBank !== bankRefundTotal) {
    v['totals-agree'].push(`refunded: ledger ${ledgerRefundTotal} fen (+ ${forSupervisorAtBank} fen 状态未明 for a supervisor), bank ${bankRefundTotal} fen`);
  }
  return v;
}

export function violationCount(v: Violations): number {
  return INVARIANTS.reduce((n, name) => n + v[name].length, 0);
}
