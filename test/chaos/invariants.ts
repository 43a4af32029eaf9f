/**
 * The chaos run's invariants, checked against the gateways' own records — the simulated bank's orders
 * and the requests it received, the Yima simulator's orders and request log, the card terminal's own
 * record of every sale frame it took — not against the ledger's idea of them. Cash has no gateway: its
 * invariants are the ledger's own (every cash sale final, the day report's drawer figures = the rows).
 * Pure: facts in, violations out, so the self-test can plant one violation per invariant and prove
 * each is caught.
 */
import type { MisResponse } from '../../src/core/devices/mis';
import type { SimOrder } from '../../src/core/simulators/bpc';
import type { YimaSimOrder } from '../../src/core/simulators/yima';
import type { TerminalRecordEntry } from './terminal';

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
  /** Every order Yima considers paid is paid in the ledger (by our order number, its pos_seq). */
  'yima-paid-is-ledger-paid',
  /** No Yima sale the ledger calls paid is unpaid at Yima. */
  'ledger-paid-is-yima-paid',
  /** At most one bcm_ordercreate_request per sale (the create's pos_seq is the sale's order number). */
  'yima-one-create-per-sale',
  /** No pos_seq reached Yima twice (the push, every result query: each a fresh serial). */
  'yima-pos-seq-unique',
  /** Ledger and Yima paid totals agree to the fen. */
  'yima-totals-agree',
  /**
   * Never two sale frames for one sale: each card sale has at most one journaled `card.sent`, its bytes
   * reached the terminal at most once, and the terminal took no sale frame the ledger has no intent for.
   */
  'terminal-one-sale-frame-per-sale',
  /**
   * Every sale the terminal approved is paid in the ledger. An unclear sale can be settled only when it
   * is the terminal's last transaction; one that is not (another sale came after it) stays 状态未明 for
   * a supervisor, who reads the terminal's record — reported, not a violation.
   */
  'terminal-approved-is-ledger-paid',
  /** No terminal sale is paid in the ledger unless the terminal approved exactly it (same reference, same amount). */
  'ledger-paid-is-terminal-approved',
  /** Ledger and terminal paid totals agree to the fen (less the approved sales left for a supervisor). */
  'terminal-totals-agree',
  /** Every cash sale is final: paid, or failed because the app stopped between its intent and its paid commit. */
  'cash-sale-final',
  /** The day reports' cash figures (what the drawer is counted against) = paid cash sales − succeeded cash refunds, to the fen. */
  'cash-drawer-totals',
] as const;
export type Invariant = (typeof INVARIANTS)[number];

export interface LedgerPaymentFact {
  id: number;
  trade_no: string;
  status: string;
  amount_fen: number;
  /** bpc, yima, terminal or cash. */
  gateway: string;
  tender: string;
  gateway_ref: string | null;
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
  ledger: {
    payments: LedgerPaymentFact[];
    refunds: LedgerRefundFact[];
    integrity: string;
    /** Each `card.sent` event: the exact payload journaled before the sale frame's first byte. */
    cardSent: { paymentId: number; payloadHex: string }[];
    /** Payments with a `resumed` event (a start found them unfinished). */
    resumed: number[];
    /** The day reports' cash bucket, summed over every business day (the app's own drawer figures). */
    drawer: { paidFen: number; refundFen: number };
  };
  bank: { orders: SimOrder[]; requests: RequestFact[] };
  yima: { orders: YimaSimOrder[]; requests: { requestType: string; posSeq: string }[] };
  /** The terminal's record, and its last transaction once the final start had settled what it could (before the clean sales). */
  terminal: { record: TerminalRecordEntry[]; last: MisResponse | null };
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

/**
 * A terminal sale left 状态未明: the app never guesses a card sale failed, and settles it by itself only
 * when the terminal's last transaction is this sale; otherwise a supervisor reads the terminal's record.
 */
export function isCardForSupervisor(p: LedgerPaymentFact): boolean {
  return p.gateway === 'terminal' && p.status === 'unknown';
}

/**
 * A Yima sale still open that Yima has never seen (the app stopped between its intent and its push):
 * with no durable "pushed" marker the app cannot tell it never left, so it follows it by our order
 * number, Yima answers 7001 (not found, a [guess] code that "may still be on the POS"), and after the
 * give-up time a supervisor settles it. Reported, not a violation.
 */
export function isYimaForSupervisor(p: LedgerPaymentFact, yimaOrders: ReadonlySet<string>): boolean {
  return p.gateway === 'yima' && OPEN_PAYMENTS.has(p.status) && !yimaOrders.has(p.trade_no);
}

export function checkInvariants(facts: ChaosFacts): Violations {
  const v = Object.fromEntries(INVARIANTS.map((name) => [name, [] as string[]])) as Violations;
  const bpcPayments = facts.ledger.payments.filter((p) => p.gateway === 'bpc');
  const byTradeNo = new Map(facts.ledger.payments.map((p) => [p.trade_no, p]));
  const bankByTradeNo = new Map(facts.bank.orders.map((o) => [o.tradeNo, o]));
  const paymentsById = new Map(facts.ledger.payments.map((p) => [p.id, p]));

  for (const order of facts.bank.orders) {
    if (order.state !== 'paid') continue;
    const row = byTradeNo.get(order.tradeNo);
    if (row === undefined) v['bank-paid-is-ledger-paid'].push(`${order.tradeNo}: paid at the bank, not in the ledger at all`);
    else if (row.status !== 'paid') v['bank-paid-is-ledger-paid'].push(`${order.tradeNo}: paid at the bank, ${row.status} in the ledger`);
  }
  for (const row of bpcPayments) {
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

  const yimaSeen = new Set(facts.yima.orders.map((o) => o.posSeq));
  for (const p of facts.ledger.payments)
    if (OPEN_PAYMENTS.has(p.status) && !isCardForSupervisor(p) && !isYimaForSupervisor(p, yimaSeen))
      v['nothing-unresolved'].push(`payment ${p.trade_no} (${p.gateway}) still ${p.status}`);
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

  const ledgerPaid = bpcPayments.filter((p) => p.status === 'paid').reduce((s, p) => s + p.amount_fen, 0);
  const bankPaid = facts.bank.orders.filter((o) => o.state === 'paid').reduce((s, o) => s + o.amountFen, 0);
  if (ledgerPaid !== bankPaid) v['totals-agree'].push(`paid: ledger ${ledgerPaid} fen, bank ${bankPaid} fen`);
  const bpcIds = new Set(bpcPayments.map((p) => p.id));
  const ledgerRefundTotal = facts.ledger.refunds.filter((r) => r.status === 'succeeded' && bpcIds.has(r.payment_id)).reduce((s, r) => s + r.amount_fen, 0);
  if (ledgerRefundTotal + forSupervisorAtBank !== bankRefundTotal) {
    v['totals-agree'].push(`refunded: ledger ${ledgerRefundTotal} fen (+ ${forSupervisorAtBank} fen 状态未明 for a supervisor), bank ${bankRefundTotal} fen`);
  }

  checkYima(facts, v);
  checkTerminal(facts, v);
  checkCash(facts, v);
  return v;
}

function checkYima(facts: ChaosFacts, v: Violations): void {
  const yimaPayments = facts.ledger.payments.filter((p) => p.gateway === 'yima');
  const byTradeNo = new Map(yimaPayments.map((p) => [p.trade_no, p]));
  const orders = new Map(facts.yima.orders.map((o) => [o.posSeq, o]));
  for (const o of facts.yima.orders) {
    if (o.state !== 'paid') continue;
    const row = byTradeNo.get(o.posSeq);
    if (row?.status !== 'paid') v['yima-paid-is-ledger-paid'].push(`${o.posSeq}: paid at Yima, ${row?.status ?? 'not'} in the ledger`);
  }
  for (const row of yimaPayments) {
    if (row.status === 'paid' && orders.get(row.trade_no)?.state !== 'paid')
      v['ledger-paid-is-yima-paid'].push(`${row.trade_no}: paid in the ledger, ${orders.get(row.trade_no)?.state ?? 'unknown'} at Yima`);
  }
  const creates = new Map<string, number>();
  const seqs = new Map<string, number>();
  for (const r of facts.yima.requests) {
    if (r.posSeq === '') continue;
    seqs.set(r.posSeq, (seqs.get(r.posSeq) ?? 0) + 1);
    if (r.requestType === 'bcm_ordercreate_request') creates.set(r.posSeq, (creates.get(r.posSeq) ?? 0) + 1);
  }
  for (const [posSeq, n] of creates) if (n > 1) v['yima-one-create-per-sale'].push(`${posSeq}: ${n} creates`);
  for (const [posSeq, n] of seqs) if (n > 1) v['yima-pos-seq-unique'].push(`${posSeq}: sent ${n} times`);
  const ledgerPaid = yimaPayments.filter((p) => p.status === 'paid').reduce((s, p) => s + p.amount_fen, 0);
  const yimaPaid = facts.yima.orders.filter((o) => o.state === 'paid').reduce((s, o) => s + o.amountFen, 0);
  if (ledgerPaid !== yimaPaid) v['yima-totals-agree'].push(`paid: ledger ${ledgerPaid} fen, Yima ${yimaPaid} fen`);
}

/** The reference the app keeps for a terminal answer (card-gateway.ts referenceOf). */
const terminalReference = (r: MisResponse): string => `${r.terminalNo.trim()}-${r.batchNo.trim()}-${r.voucherNo.trim()}-${r.referenceNo.trim()}`;

function checkTerminal(facts: ChaosFacts, v: Violations): void {
  const cardPayments = facts.ledger.payments.filter((p) => p.gateway === 'terminal');
  const byId = new Map(cardPayments.map((p) => [p.id, p]));
  const sentBy = new Map<string, number[]>();
  const sentCount = new Map<number, number>();
  for (const s of facts.ledger.cardSent) {
    sentBy.set(s.payloadHex, [...(sentBy.get(s.payloadHex) ?? []), s.paymentId]);
    sentCount.set(s.paymentId, (sentCount.get(s.paymentId) ?? 0) + 1);
  }
  for (const [id, n] of sentCount) if (n > 1) v['terminal-one-sale-frame-per-sale'].push(`payment ${id}: ${n} sale frames journaled`);
  const taken = new Map<string, TerminalRecordEntry[]>();
  for (const e of facts.terminal.record) taken.set(e.payloadHex, [...(taken.get(e.payloadHex) ?? []), e]);
  for (const [hex, entries] of taken) {
    const owners = sentBy.get(hex) ?? [];
    if (entries.length > 1) v['terminal-one-sale-frame-per-sale'].push(`payment ${owners.join('/')}: the terminal took the same sale ${entries.length} times`);
    if (owners.length !== 1)
      v['terminal-one-sale-frame-per-sale'].push(`terminal sale #${entries[0]?.seq}: ${owners.length} card sales in the ledger sent these bytes`);
  }

  const last = facts.terminal.last;
  let forSupervisorFen = 0;
  for (const e of facts.terminal.record) {
    if (e.decision !== 'approved' || e.response === null) continue;
    const owner = byId.get(sentBy.get(e.payloadHex)?.[0] ?? -1);
    if (owner?.status === 'paid') continue;
    const isLast = last !== null && last.voucherNo === e.response.voucherNo;
    if (owner !== undefined && isCardForSupervisor(owner) && !isLast) forSupervisorFen += e.amountFen;
    else
      v['terminal-approved-is-ledger-paid'].push(
        `terminal voucher ${e.response.voucherNo}: approved, ${owner?.status ?? 'no sale'} in the ledger${isLast ? ' (it is the last transaction)' : ''}`,
      );
  }
  const approvedByRef = new Map(
    facts.terminal.record.filter((e) => e.decision === 'approved' && e.response !== null).map((e) => [terminalReference(e.response!), e]),
  );
  for (const p of cardPayments) {
    if (p.status !== 'paid') continue;
    const e = p.gateway_ref === null ? undefined : approvedByRef.get(p.gateway_ref);
    const own = sentBy.get(e?.payloadHex ?? '')?.includes(p.id) === true;
    if (e === undefined || e.amountFen !== p.amount_fen || !own)
      v['ledger-paid-is-terminal-approved'].push(
        `${p.trade_no}: paid in the ledger as ${p.gateway_ref ?? '-'}, ${e === undefined ? 'no such approved sale' : own ? `${e.amountFen} fen` : 'another sale'} at the terminal`,
      );
  }
  const ledgerPaid = cardPayments.filter((p) => p.status === 'paid').reduce((s, p) => s + p.amount_fen, 0);
  const terminalPaid = facts.terminal.record.filter((e) => e.decision === 'approved').reduce((s, e) => s + e.amountFen, 0);
  if (ledgerPaid + forSupervisorFen !== terminalPaid)
    v['terminal-totals-agree'].push(`paid: ledger ${ledgerPaid} fen (+ ${forSupervisorFen} fen 状态未明 for a supervisor), terminal ${terminalPaid} fen`);
}

function checkCash(facts: ChaosFacts, v: Violations): void {
  const cash = facts.ledger.payments.filter((p) => p.gateway === 'cash');
  const resumed = new Set(facts.ledger.resumed);
  for (const p of cash) {
    if (p.status === 'paid') continue;
    if (p.status !== 'failed' || !resumed.has(p.id))
      v['cash-sale-final'].push(`cash sale ${p.trade_no}: ${p.status}${p.status === 'failed' ? ' without a restart finding it' : ''}`);
  }
  const cashIds = new Set(cash.map((p) => p.id));
  const paidFen = cash.filter((p) => p.status === 'paid').reduce((s, p) => s + p.amount_fen, 0);
  const refundFen = facts.ledger.refunds.filter((r) => cashIds.has(r.payment_id) && r.status === 'succeeded').reduce((s, r) => s + r.amount_fen, 0);
  const d = facts.ledger.drawer;
  if (d.paidFen !== paidFen || d.refundFen !== refundFen)
    v['cash-drawer-totals'].push(`day reports: cash ${d.paidFen} − ${d.refundFen} fen; rows: ${paidFen} − ${refundFen} fen`);
}

export function violationCount(v: Violations): number {
  return INVARIANTS.reduce((n, name) => n + v[name].length, 0);
}
