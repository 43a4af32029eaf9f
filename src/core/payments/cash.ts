/**
 * The cash tender and the refunds recorded at the refund desk (issue 12, issue 11 item 7): money that
 * moves without a gateway call — notes into or out of the drawer, or a card refund the supervisor did
 * on the card terminal itself. Same ledger discipline as the engine: the intent (unique order / refund
 * number, the cap for refunds) is one commit, the final state is the next commit, windows hear of each
 * after it. Nothing is sent anywhere, so the outcome is final at once; the drawer opens after the
 * final commit (a drawer that fails to open is recorded, never fails the sale).
 */
import { AppError } from '../../shared/errors';
import type { AppMode } from '../../shared/ipc/contract';
import { BPC_MAX_FEN } from '../../shared/money';
import { assertAmountWithin } from '../config/gateway-limits';
import { stmt, type Db } from '../ledger/db';
import { getPayment, insertPaymentIntent, listOpenPayments, type PaymentRecord } from '../ledger/payments';
import { getRefund, listOpenRefunds, type RefundRecord } from '../ledger/refunds';
import { appendEvent } from '../ledger/events';
import { newOrderNumber } from '../ledger/order-numbers';
import type { Logger } from '../util/logger';
import { businessDay, realTimers } from '../util/time';
import { Journal } from './journal';

export const CASH_GATEWAY_ID = 'cash';

/** A terminal's refund reference as the supervisor types it off the terminal's slip. */
export const TERMINAL_REFERENCE_PATTERN = /^[0-9A-Za-z-]{4,40}$/;

export interface CashDeps {
  db: Db;
  mode: () => AppMode;
  now: () => number;
  maxAmountFen: () => number;
  /** Settings: the cash tender is on. */
  enabled: () => boolean;
  /** Kicks the drawer (through the receipt printer); rejects when it cannot. */
  openDrawer: () => Promise<void>;
  onPayment: (payment: PaymentRecord) => void;
  onRefund: (refund: RefundRecord) => void;
  logger: Logger;
  timeZone?: string;
  bookingDay?: (at: number, mode: AppMode) => string;
}

export interface CashSaleInput {
  amountFen: number;
  tenderedFen: number;
  operator: string;
  merOrderNo?: string | undefined;
  memo?: string | undefined;
}

export interface RecordedRefundInput {
  paymentId: number;
  amountFen: number;
  reason: string;
  operator: string;
  approvedBy: string;
  /** Card sales: the terminal's own reference of the refund done on it (required); cash: none. */
  reference?: string | undefined;
}

/** Change in integer fen; CASH_SHORT when the customer gave less than the amount. */
export function changeFor(amountFen: number, tenderedFen: number): number {
  if (!Number.isSafeInteger(tenderedFen) || tenderedFen <= 0 || tenderedFen > BPC_MAX_FEN) {
    throw new AppError('BAD_INPUT', 'the amount tendered must be a positive amount in fen', { field: 'tenderedFen' });
  }
  if (tenderedFen < amountFen) {
    throw new AppError('CASH_SHORT', `tendered ${tenderedFen} fen is less than the amount ${amountFen} fen`, {
      amountFen,
      tenderedFen,
      shortFen: amountFen - tenderedFen,
    });
  }
  return tenderedFen - amountFen;
}

export class CashDesk {
  private readonly journal: Journal;

  constructor(private readonly deps: CashDeps) {
    this.journal = new Journal({ db: deps.db, now: deps.now, timers: realTimers, onPayment: deps.onPayment, onRefund: deps.onRefund });
  }

  /** A cash sale: checked, intent committed, then paid with tendered / change committed, then the drawer opens. */
  sale(input: CashSaleInput): PaymentRecord {
    const { db } = this.deps;
    if (!this.deps.enabled()) throw new AppError('TENDER_DISABLED', 'the cash tender is switched off in Settings');
    const amountFen = assertAmountWithin(CASH_GATEWAY_ID, input.amountFen, BPC_MAX_FEN, this.deps.maxAmountFen());
    const changeFen = changeFor(amountFen, input.tenderedFen);
    const open = listOpenPayments(db).find((p) => p.mode === this.deps.mode() && p.status !== 'unknown');
    if (open !== undefined) throw new AppError('INVALID_STATE', `sale ${open.tradeNo} is still open; finish or cancel it first`, { paymentId: open.id });
    const at = this.deps.now();
    const mode = this.deps.mode();
    const intent = this.journal.batch(() => {
      const inserted = insertPaymentIntent(db, {
        tradeNo: newOrderNumber(db, 'P', at),
        merOrderNo: blankToNull(input.merOrderNo),
        memo: blankToNull(input.memo),
        mode,
        tender: 'cash',
        gateway: CASH_GATEWAY_ID,
        amountFen,
        operator: input.operator,
        businessDay: this.deps.bookingDay?.(at, mode) ?? businessDay(at, this.deps.timeZone),
        now: at,
      });
      this.journal.event(
        'payment',
        inserted.id,
        'intent',
        { tradeNo: inserted.tradeNo, amountFen, tender: 'cash', tenderedFen: input.tenderedFen },
        input.operator,
        at,
      );
      this.journal.emitPayment(inserted);
      return inserted;
    });
    // No gateway: the cash is in the cashier's hand, the sale is final at once.
    const paid = this.journal.batch(() => {
      this.journal.event('payment', intent.id, 'cash_received', { tenderedFen: input.tenderedFen, changeFen }, input.operator);
      return this.journal.patchPayment(intent.id, {
        status: 'paid',
        paidAt: this.deps.now(),
        gatewayDetail: { tenderedFen: input.tenderedFen, changeFen },
        respMsg: 'cash',
      });
    });
    this.kickDrawer('payment', paid.id, input.operator, 'sale');
    return paid;
  }

  /**
   * A refund with no gateway call: a cash refund of a cash sale (the drawer opens) or a card refund
   * the supervisor did on the terminal (its reference recorded). Capped like any refund: the cap check
   * and the intent are one immediate transaction (insertRefundIntent), then the success is committed.
   */
  refund(input: RecordedRefundInput): RefundRecord {
    const { db } = this.deps;
    const payment = getPayment(db, input.paymentId);
    if (payment.tender === 'qr') throw new AppError('INVALID_STATE', 'a QR sale is refunded through the bank (refund:create)');
    let reference: string | null = null;
    if (payment.tender === 'card') {
      reference = input.reference?.trim() ?? '';
      if (!TERMINAL_REFERENCE_PATTERN.test(reference)) {
        throw new AppError('BAD_INPUT', "type the terminal's refund reference from its slip (4–40 letters or digits)", { field: 'reference' });
      }
      const used = referenceHolder(db, payment.gateway, reference);
      if (used !== undefined) throw new AppError('BAD_INPUT', `terminal reference ${reference} is already recorded on refund ${used}`, { field: 'reference' });
      // A refund left at its intent (its completion was refused, e.g. a full disk) holds the reference
      // too: it is completed at the next start, so the same slip must not be recorded twice meanwhile.
      const unfinished = unfinishedWithReference(db, payment.gateway, reference);
      if (unfinished !== undefined)
        throw new AppError(
          'BAD_INPUT',
          `terminal reference ${reference} is already on refund ${unfinished}, not yet completed; it is completed at the next start of the app`,
          { field: 'reference' },
        );
    }
    const at = this.deps.now();
    const refund = this.journal.refundIntent(
      {
        paymentId: payment.id,
        amountFen: input.amountFen,
        reason: input.reason,
        operator: input.operator,
        approvedBy: input.approvedBy,
        businessDay: this.deps.bookingDay?.(at, payment.mode) ?? businessDay(at, this.deps.timeZone),
        now: at,
      },
      { recorded: payment.tender, reference },
    );
    const done = this.complete(refund.id, payment.tender === 'cash' ? 'cash' : 'terminal', reference, input.operator);
    if (payment.tender === 'cash') this.kickDrawer('refund', done.id, input.operator, 'refund');
    return done;
  }

  /**
   * A no-sale drawer open (开钱箱), approved by a supervisor: the request (who, approved by, why) is
   * recorded before the kick, its outcome after; a drawer that cannot open is thrown to the caller.
   */
  async noSale(input: { operator: string | null; approvedBy: string; reason: string }): Promise<void> {
    const { db } = this.deps;
    const data = { approvedBy: input.approvedBy, reason: input.reason, mode: this.deps.mode() };
    const id = appendEvent(db, { at: this.deps.now(), entity: 'device', type: 'drawer_no_sale', actor: input.operator ?? input.approvedBy, data });
    try {
      await this.deps.openDrawer();
      appendEvent(db, {
        at: this.deps.now(),
        entity: 'device',
        type: 'drawer_opened',
        actor: input.operator ?? input.approvedBy,
        data: { why: 'no_sale', requestEvent: id },
      });
    } catch (error) {
      const code = error instanceof AppError ? error.code : 'INTERNAL';
      appendEvent(db, {
        at: this.deps.now(),
        entity: 'device',
        type: 'drawer_failed',
        actor: input.operator ?? input.approvedBy,
        data: { why: 'no_sale', requestEvent: id, code },
      });
      throw error;
    }
  }

  /**
   * After a restart: a cash sale whose intent was written but not its payment never showed paid and
   * never opened the drawer → failed (ring it up again). A recorded refund left at its intent: a card
   * refund was done on the terminal (its reference is in the intent) → succeeded; a cash refund never
   * opened the drawer → failed, which frees the cap. A card refund whose reference another refund holds
   * by now (the slip recorded again while this one was half-written) cannot be completed and is not
   * guessed: it becomes 状态未明 (still counted against the cap) for a supervisor, with a
   * `reference_conflict` event. Each item is its own commit: one the ledger refuses is logged and
   * tried again at the next start; it never stops the others or the start.
   */
  resume(): { payments: number; refunds: number } {
    const { db } = this.deps;
    const sales = listOpenPayments(db).filter((p) => p.tender === 'cash');
    for (const sale of sales) {
      this.resumeItem('payment', sale.id, () =>
        this.journal.batch(() => {
          this.journal.event('payment', sale.id, 'resumed', { status: sale.status });
          this.journal.patchPayment(sale.id, {
            status: 'failed',
            respMsg: 'the app stopped before the cash sale was recorded; the drawer did not open — ring it up again',
          });
        }),
      );
    }
    // 状态未明 ones wait for a supervisor (refund:resolve); nothing more is learnt by looking again.
    const refunds = listOpenRefunds(db).filter((r) => r.status !== 'unknown' && isRecordedRefund(db, r));
    for (const refund of refunds) this.resumeItem('refund', refund.id, () => this.resumeRefund(refund));
    return { payments: sales.length, refunds: refunds.length };
  }

  private resumeRefund(refund: RefundRecord): void {
    const { db } = this.deps;
    const payment = getPayment(db, refund.paymentId);
    const reference = intentReference(db, refund.id);
    this.journal.batch(() => {
      this.journal.event('refund', refund.id, 'resumed', { status: refund.status });
      if (payment.tender !== 'card' || reference === null) {
        this.journal.patchRefund(refund.id, {
          status: 'failed',
          respMsg: 'the app stopped before the cash refund was recorded; the drawer did not open — record it again',
        });
        return;
      }
      const holder = referenceHolder(db, refund.gateway, reference, refund.id);
      if (holder === undefined) {
        this.complete(refund.id, 'terminal', reference, null);
        return;
      }
      this.journal.event('refund', refund.id, 'reference_conflict', { reference, heldBy: holder });
      this.journal.patchRefund(refund.id, {
        status: 'unknown',
        respMsg: conflictMessage(reference, holder),
      });
    });
    if (getRefund(db, refund.id).status === 'unknown') {
      this.deps.logger.warn(`refund ${refund.refundNo}: its terminal reference is already on another refund; left 状态未明 for a supervisor`, {
        refundId: refund.id,
      });
    }
  }

  /** Runs one item's resume; a failure (the ledger refused the commit) is logged and recorded if it can be. */
  private resumeItem(entity: 'payment' | 'refund', id: number, run: () => void): void {
    try {
      run();
    } catch (error) {
      const code = error instanceof AppError ? error.code : 'INTERNAL';
      this.deps.logger.error(`${entity} ${id}: not resumed; tried again at the next start`, error);
      this.safeEvent(entity, id, 'resume_failed', { code, message: error instanceof Error ? error.message : String(error) }, null);
    }
  }

  private complete(id: number, how: 'cash' | 'terminal', reference: string | null, actor: string | null): RefundRecord {
    return this.journal.batch(() => {
      this.journal.event('refund', id, how === 'cash' ? 'cash_paid_out' : 'terminal_refund_recorded', reference === null ? {} : { reference }, actor);
      return this.journal.patchRefund(id, {
        status: 'succeeded',
        ...(reference === null ? {} : { sysTrace: reference }),
        respMsg: how === 'cash' ? 'cash refund' : 'refunded on the card terminal',
      });
    });
  }

  private kickDrawer(entity: 'payment' | 'refund', id: number, actor: string | null, why: string): void {
    this.deps.openDrawer().then(
      () => this.safeEvent(entity, id, 'drawer_opened', { why }, actor),
      (error: unknown) => {
        const code = error instanceof AppError ? error.code : 'INTERNAL';
        this.safeEvent(entity, id, 'drawer_failed', { why, code, message: error instanceof Error ? error.message : String(error) }, actor);
      },
    );
  }

  private safeEvent(entity: 'payment' | 'refund', id: number, type: string, data: Record<string, unknown>, actor: string | null): void {
    try {
      this.journal.batch(() => this.journal.event(entity, id, type, data, actor));
    } catch (error) {
      this.deps.logger.warn(`${entity} ${id}: ${type} not recorded`, error);
    }
  }
}

function blankToNull(text: string | undefined): string | null {
  return text === undefined || text.trim() === '' ? null : text.trim();
}

/** A refund of a cash or card sale: recorded at the desk, never sent (the engine leaves these alone). */
export function isRecordedRefund(db: Db, refund: RefundRecord): boolean {
  return getPayment(db, refund.paymentId).tender !== 'qr';
}

/** The refund number of the refund (other than `except`) that holds `reference` as its gateway reference. */
function referenceHolder(db: Db, gateway: string, reference: string, except = 0): string | undefined {
  const row = stmt(db, 'SELECT refund_no FROM refunds WHERE gateway = ? AND gateway_ref = ? AND id <> ?').get(gateway, reference, except) as
    { refund_no: string } | undefined;
  return row?.refund_no;
}

/** An open recorded card refund whose intent names `reference` (it has no gateway_ref yet). */
function unfinishedWithReference(db: Db, gateway: string, reference: string): string | undefined {
  const row = stmt(
    db,
    `SELECT r.refund_no FROM refunds r JOIN events e ON e.entity = 'refund' AND e.entity_id = r.id AND e.type = 'intent'
      WHERE r.status IN ('created', 'pending', 'unknown') AND r.gateway = ? AND r.gateway_ref IS NULL AND json_extract(e.data, '$.reference') = ?
      LIMIT 1`,
  ).get(gateway, reference) as { refund_no: string } | undefined;
  return row?.refund_no;
}

/** Why a recorded card refund is 状态未明 after a start (also the requery's answer). */
export function conflictMessage(reference: string, holder: string): string {
  return `terminal reference ${reference} is already recorded on refund ${holder}, so this refund was not completed: check the terminal's slips — a supervisor settles it (succeeded if the terminal refunded twice, failed if the same slip was recorded twice)`;
}

function intentReference(db: Db, refundId: number): string | null {
  const row = stmt(db, "SELECT data FROM events WHERE entity = 'refund' AND entity_id = ? AND type = 'intent' ORDER BY id LIMIT 1").get(refundId) as
    { data: string } | undefined;
  if (row === undefined) return null;
  try {
    const data = JSON.parse(row.data) as { reference?: unknown };
    return typeof data.reference === 'string' ? data.reference : null;
  } catch {
    return null;
  }
}
