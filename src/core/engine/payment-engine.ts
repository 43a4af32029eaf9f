import { AppError, assertNever } from '../../shared/errors';
import type { PayType, RefundView } from '../../shared/domain';
import type { AppMode } from '../../shared/ipc/contract';
import { assertSaleAmount } from '../config/gateway-limits';
import type { BpcClient, BpcResult } from '../gateways/bpc/client';
import type { Db } from '../ledger/db';
import { asLedgerError } from '../ledger/errors';
import { appendEvent } from '../ledger/events';
import {
  findPaymentBySysTrace,
  getPayment,
  insertPaymentIntent,
  isFinal,
  listOpenPayments,
  updatePayment,
  type PaymentPatch,
  type PaymentRecord,
} from '../ledger/payments';
import { newOrderNumber } from '../ledger/order-numbers';
import { getRefund, insertRefundIntent, listOpenRefunds, updateRefund, type RefundPatch, type RefundRecord } from '../ledger/refunds';
import { maskRawText, type Logger } from '../util/logger';
import { businessDay, type Timers } from '../util/time';
import { backoffDelay, nextLiveQueryDelay, type PollingSchedule } from './schedule';

export interface EngineDeps {
  db: Db;
  /** The gateway client for a mode: the training simulator or the live bank. A payment always goes on with the gateway of its own mode. */
  gateway: (mode: AppMode) => BpcClient;
  mode: () => AppMode;
  now: () => number;
  timers: Timers;
  schedule: () => PollingSchedule;
  /** QR validity in seconds; also sent as qrValidTime when `sendQrValidTime` says so. */
  qrValiditySec: () => number;
  /** What goes in F's qrValidTime ('' = the gateway default of 10 minutes). */
  qrValidTimeField: () => string;
  maxAmountFen: () => number;
  retUrl: () => string | undefined;
  onPayment: (payment: PaymentRecord) => void;
  onRefund: (refund: RefundRecord) => void;
  logger: Logger;
  timeZone?: string;
  /** The business day a payment or refund booked at `at` goes to (the next open day once a day is closed). */
  bookingDay?: (at: number, mode: AppMode) => string;
  /** Re-query of a card sale (asks the terminal for its last transaction); QR sales query BPC. */
  requeryCard?: (id: number) => Promise<PaymentRecord>;
  /** Called after the intent is written and just before F leaves (training mode scripts the simulated bank here). */
  beforeCreate?: (payment: PaymentRecord) => void;
  /** Test hook for the crash tests: called at named points of a payment. */
  faultPoint?: (name: FaultPoint) => void;
}

/**
 * Named points of a payment / refund where the crash tests kill the process: before F leaves, after F
 * left, after F's answer was written; before R's "sent" marker, after R was answered but before the
 * answer is written, and after a J answer was written.
 */
export type FaultPoint = 'before-send' | 'after-send' | 'after-answer' | 'refund-before-send' | 'refund-after-answer' | 'refund-after-query';

export interface CreatePaymentInput {
  amountFen: number;
  merOrderNo?: string | undefined;
  memo?: string | undefined;
  payType?: PayType | undefined;
  operator: string | null;
}

export interface CreateRefundInput {
  paymentId: number;
  amountFen: number;
  reason: string;
  operator: string | null;
  approvedBy: string | null;
}

/**
 * The payment engine: one state machine per payment and per refund.
 *
 * Order of work, always: write the intent and its unique number to the ledger → send → record the
 * answer. An unclear answer (timeout, reset, garbage, 88, 99) is resolved by querying (G / J), never
 * by sending F or R again. On start-up `resume()` picks up every unfinished payment and refund.
 */
export class PaymentEngine {
  private readonly timers = new Map<string, unknown>();
  /** Requests under way per payment/refund key; the promise settles when that request is recorded. */
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private readonly unclearSince = new Map<number, number>();
  private readonly backoffAttempts = new Map<string, number>();
  /** Payments whose F is on its way: no trace yet, but not abandoned either. */
  private readonly creating = new Set<number>();
  /** Payments whose S still has to be sent (a close that could not leave is retried, not forgotten). */
  private readonly closePending = new Set<number>();
  private stopped = false;

  constructor(private readonly deps: EngineDeps) {}

  // ---------------------------------------------------------------- payments

  /**
   * Starts a QR payment: validates, writes the intent, sends F, records the answer, schedules queries.
   * Throws AMOUNT_INVALID / AMOUNT_TOO_LARGE / INVALID_STATE before anything is sent.
   */
  async createPayment(input: CreatePaymentInput): Promise<PaymentRecord> {
    const { db, now } = this.deps;
    assertSaleAmount('bpc', input.amountFen, this.deps.maxAmountFen());
    const active = listOpenPayments(db).find((p) => p.mode === this.deps.mode() && p.status !== 'unknown');
    if (active !== undefined) {
      throw new AppError('INVALID_STATE', `sale ${active.tradeNo} is still open; finish or cancel it first`, { paymentId: active.id });
    }
    const at = now();
    // The intent and its event in one commit (synchronous=FULL: durable before anything leaves).
    const payment = this.batch(() => {
      const inserted = insertPaymentIntent(db, {
        tradeNo: newOrderNumber(db, 'P', at),
        merOrderNo: emptyToNull(input.merOrderNo),
        memo: emptyToNull(input.memo),
        mode: this.deps.mode(),
        tender: 'qr',
        gateway: 'bpc',
        amountFen: input.amountFen,
        operator: input.operator,
        businessDay: this.deps.bookingDay?.(at, this.deps.mode()) ?? businessDay(at, this.deps.timeZone),
        now: at,
      });
      appendEvent(db, {
        at,
        entity: 'payment',
        entityId: inserted.id,
        type: 'intent',
        actor: input.operator,
        data: { tradeNo: inserted.tradeNo, amountFen: inserted.amountFen, mode: inserted.mode },
      });
      this.emitPayment(inserted);
      return inserted;
    });
    this.deps.faultPoint?.('before-send');

    let result: BpcResult;
    this.creating.add(payment.id);
    try {
      this.deps.beforeCreate?.(payment);
      result = await this.deps.gateway(payment.mode).createQr({
        tradeNo: payment.tradeNo,
        amountFen: payment.amountFen,
        merOrderNo: payment.merOrderNo ?? undefined,
        payType: input.payType ?? '',
        qrValidTime: this.deps.qrValidTimeField(),
        retUrl: this.deps.retUrl(),
        tellerNo: input.operator ?? undefined,
      });
    } catch (error) {
      this.creating.delete(payment.id);
      // The client throws only before anything leaves (no gateway for this mode, no key): end the sale
      // now, or it would stay "created" and block the counter until the next start.
      try {
        this.patchPayment(payment.id, { status: 'failed', respMsg: `QR not requested: ${errorText(error)}; nothing was sent` });
      } catch (writeError) {
        // The ledger refused the write: the scheduled step ends the sale once it can be written.
        this.deps.logger.error(`payment ${payment.id} could not be marked failed`, writeError);
        this.ensureNextStep(payment.id);
      }
      throw error;
    }
    this.deps.faultPoint?.('after-send');
    // The exchange, the new state and its event in one commit; windows hear of it after the commit.
    // A ledger that is locked for a moment is retried briefly; if it stays unwritable the sale is
    // ended by its scheduled step (no QR was shown, so nothing can be charged).
    let updated: PaymentRecord;
    try {
      updated = await this.commitRetrying(() => {
        this.logExchange('payment', payment.id, result, input.operator);
        return this.applyCreateResult(payment, result);
      });
    } catch (error) {
      this.deps.logger.error(`payment ${payment.id}: the QR answer could not be recorded`, error);
      throw error;
    } finally {
      this.creating.delete(payment.id);
      this.ensureNextStep(payment.id);
    }
    this.deps.faultPoint?.('after-answer');
    return updated;
  }

  /**
   * Commits `fn` as one batch, retrying for a short while (≤ ~1.5 s) when another program holds the
   * ledger's lock. Other errors, and a lock that lasts, are thrown (mapped to stable codes).
   */
  private async commitRetrying<T>(fn: () => T): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return this.batch(fn);
      } catch (error) {
        if (!(error instanceof AppError) || error.code !== 'LEDGER_BUSY' || attempt >= 4 || this.stopped) throw error;
        await new Promise<void>((resolve) => this.deps.timers.setTimeout(resolve, 100 * 2 ** attempt));
      }
    }
  }

  private applyCreateResult(payment: PaymentRecord, result: BpcResult): PaymentRecord {
    const at = this.deps.now();
    if (result.kind === 'success' && result.response.sysTrace !== undefined && result.response.scanCode !== undefined) {
      const updated = this.patchPayment(payment.id, {
        status: 'qr_issued',
        sysTrace: result.response.sysTrace,
        scanCode: result.response.scanCode,
        qrExpiresAt: at + this.deps.qrValiditySec() * 1000,
        respCode: result.response.respCode,
        respMsg: result.response.respMsg,
      });
      if (updated.closeRequestedAt !== null) {
        // Cancelled while F was in flight. Errors are logged and retried inside closeAndConfirm.
        this.onCommit(() => {
          this.closeAndConfirm(updated.id, 'cancel', null).catch((error: unknown) => this.deps.logger.error(`payment ${updated.id} close failed`, error));
        });
      } else this.onCommit(() => this.scheduleQuery(updated));
      return updated;
    }
    // No QR reached the customer, so nothing can be charged: the sale ends here and the cashier may
    // start a new one (with a new order number). An F is never sent twice.
    const reason =
      result.kind === 'transport_unknown'
        ? `QR not issued (${result.reason}: ${result.detail}); nothing was charged`
        : result.kind === 'success'
          ? 'gateway answered 00 without sysTrace/scanCode; QR not issued'
          : `${result.response.respCode} ${result.response.respMsg}`;
    return this.patchPayment(payment.id, {
      status: 'failed',
      respCode: result.kind === 'transport_unknown' ? null : result.response.respCode,
      respMsg: reason,
    });
  }

  /**
   * Cancel at the counter: closes the order at the gateway (S), then queries once more — a payment may
   * land at the same moment, and then the sale is paid, not cancelled.
   */
  async cancelPayment(id: number, actor: string | null): Promise<PaymentRecord> {
    const payment = getPayment(this.deps.db, id);
    if (isFinal(payment.status)) throw new AppError('INVALID_STATE', `payment ${id} is already ${payment.status}`);
    // A card sale is cancelled on the terminal only; the app never claims a cancel the terminal did not confirm.
    if (payment.tender === 'card') throw new AppError('INVALID_STATE', 'a card sale is cancelled on the terminal');
    return this.closeAndConfirm(id, 'cancel', actor);
  }

  /** Query now (the cashier's "re-query", a notification, or closing the day). */
  async requeryPayment(id: number): Promise<PaymentRecord> {
    const payment = getPayment(this.deps.db, id);
    if (payment.status === 'paid') return payment;
    if (payment.tender === 'card') return this.deps.requeryCard === undefined ? payment : this.deps.requeryCard(id);
    // F still on its way: its answer decides; marking the sale failed now would strand a live QR.
    if (payment.sysTrace === null && this.creating.has(id)) return payment;
    if (payment.sysTrace === null) return this.resumeUnsent(payment);
    await this.queryPayment(id, true);
    return getPayment(this.deps.db, id);
  }

  /**
   * A supervisor settles a payment left 状态未明 (e.g. checked in the bank's portal). Recorded with who
   * and why; querying stops. Only `unknown` payments can be settled by hand.
   */
  resolvePayment(id: number, outcome: 'paid' | 'failed', reason: string, supervisor: string, payType?: PayType): PaymentRecord {
    const payment = getPayment(this.deps.db, id);
    if (payment.status !== 'unknown') throw new AppError('INVALID_STATE', `only a payment in 状态未明 can be resolved by hand (it is ${payment.status})`);
    if (reason.trim() === '') throw new AppError('BAD_INPUT', 'a reason is required', { field: 'reason' });
    const at = this.deps.now();
    // The resolution, the new state and its events in one commit; querying stops only once it is written.
    return this.batch(() => {
      appendEvent(this.deps.db, { at, entity: 'payment', entityId: id, type: 'manual_resolution', actor: supervisor, data: { outcome, reason, ...(payType === undefined ? {} : { payType }) } });
      return this.patchPayment(id, { status: outcome, resolution: reason, resolvedBy: supervisor, ...(outcome === 'paid' ? { paidAt: at, ...(payType === undefined ? {} : { payType }) } : {}) });
    });
  }

  /**
   * A notification arrived for this sysTrace: it only triggers an immediate query; the notification by
   * itself never changes money state. Returns false when no payment has that trace.
   */
  notified(sysTrace: string): boolean {
    const payment = findPaymentBySysTrace(this.deps.db, sysTrace);
    if (payment === undefined) return false;
    this.queryPayment(payment.id, true).catch((error: unknown) => this.deps.logger.error(`payment ${payment.id} query failed`, error));
    return true;
  }

  // ---------------------------------------------------------------- refunds

  /**
   * Starts a refund. Commits, in order: (1) the intent with its cap check and its events — one
   * immediate transaction, so REFUND_EXCEEDS_PAID is thrown before anything leaves; (2) the "R sent"
   * marker, just before R's first byte; (3) R's answer (exchange, state, events) — one commit. Windows
   * hear of each only after its commit. An R that provably never left (no marker, or no connection) is
   * failed and frees the cap; an R that left with no answer waits for a supervisor.
   */
  async createRefund(input: CreateRefundInput): Promise<RefundRecord> {
    const { db } = this.deps;
    const at = this.deps.now();
    const payment = getPayment(db, input.paymentId);
    if (payment.tender === 'card') throw new AppError('INVALID_STATE', 'card sales are refunded on the card terminal');
    if (payment.sysTrace === null) throw new AppError('INVALID_STATE', 'this payment has no gateway trace to refund against');
    const orgSysTrace = payment.sysTrace;
    const refund = this.batch(() => {
      const inserted = insertRefundIntent(db, {
        refundNo: newOrderNumber(db, 'R', at),
        paymentId: input.paymentId,
        amountFen: input.amountFen,
        reason: input.reason,
        operator: input.operator,
        approvedBy: input.approvedBy,
        businessDay: this.deps.bookingDay?.(at, payment.mode) ?? businessDay(at, this.deps.timeZone),
        now: at,
      });
      appendEvent(db, {
        at,
        entity: 'refund',
        entityId: inserted.id,
        type: 'intent',
        actor: input.operator,
        data: { refundNo: inserted.refundNo, paymentId: payment.id, amountFen: inserted.amountFen, reason: input.reason, approvedBy: input.approvedBy },
      });
      appendEvent(db, { at, entity: 'payment', entityId: payment.id, type: 'refund_requested', actor: input.operator, data: { refundId: inserted.id, amountFen: inserted.amountFen } });
      this.emitRefund(inserted);
      return inserted;
    }, true);
    this.deps.faultPoint?.('refund-before-send');

    const k = key('r', refund.id);
    const end = this.begin(k);
    let result: BpcResult;
    try {
      // The durable "R sent" marker: from this commit on, R may have reached the bank.
      this.patchRefund(refund.id, { sentAt: this.deps.now() });
      try {
        result = await this.deps.gateway(payment.mode).refund({
          tradeNo: refund.refundNo,
          orgSysTrace,
          amountFen: refund.amountFen,
          tellerNo: input.operator ?? undefined,
          orgTxnTime: formatTxnTime(payment.paidAt ?? payment.createdAt),
        });
      } catch (error) {
        // The client throws only before anything leaves: nothing was refunded, so free the amount now
        // instead of holding it against the cap as 状态未明 forever.
        this.patchRefund(refund.id, { status: 'failed', respMsg: `refund not sent: ${errorText(error)}` });
        throw error;
      }
      this.deps.faultPoint?.('refund-after-answer');
      const answer = result;
      return this.batch(() => {
        this.logExchange('refund', refund.id, answer, input.operator);
        return this.applyRefundResult(refund.id, answer, 'R');
      });
    } finally {
      end();
      this.ensureNextRefundStep(refund.id);
    }
  }

  private applyRefundResult(id: number, result: BpcResult, op: 'R' | 'J'): RefundRecord {
    const current = getRefund(this.deps.db, id);
    const patch: RefundPatch = op === 'J' ? { queryCountIncrement: true } : {};
    if (result.kind !== 'transport_unknown') {
      patch.respCode = result.response.respCode;
      patch.respMsg = result.response.respMsg;
      if (op === 'R' && result.response.sysTrace !== undefined) patch.sysTrace = result.response.sysTrace;
    }
    switch (result.kind) {
      case 'success':
        patch.status = 'succeeded';
        break;
      case 'failed':
        // 77: the refund failed (R) or is reported failed (J); nothing was refunded.
        patch.status = 'failed';
        break;
      case 'rejected':
        // R refused: nothing was refunded. J answering another code is a failed *query* (as for G):
        // the refund may well have succeeded, so it keeps its state, stays counted against the cap,
        // and is queried again; freeing the amount here could let a second refund exceed the payment.
        patch.status = op === 'R' ? 'failed' : current.status === 'created' ? 'unknown' : current.status;
        break;
      case 'waiting':
        patch.status = 'pending';
        break;
      case 'unknown':
      case 'transport_unknown':
        if (op === 'R' && result.kind === 'transport_unknown' && result.reason === 'connect') {
          // No connection was made: R provably never reached the bank. Nothing was refunded.
          patch.status = 'failed';
          patch.respMsg = `refund not delivered (${result.reason}: ${result.detail}); nothing was refunded`;
          break;
        }
        patch.status = current.status === 'created' ? 'unknown' : current.status;
        if (result.kind === 'transport_unknown') patch.respMsg = `${result.reason}: ${result.detail}`;
        if (op === 'R' && patch.sysTrace === undefined && current.sysTrace === null) {
          patch.respMsg = `R left at ${new Date(current.sentAt ?? this.deps.now()).toISOString()} and its answer was lost (${patch.respMsg ?? 'no answer'}); J needs the refund's trace — check with the bank, then a supervisor settles it`;
        }
        break;
      default:
        assertNever(result);
    }
    const updated = this.patchRefund(id, patch);
    if (!isRefundFinal(updated.status)) this.onCommit(() => this.scheduleRefundQuery(updated));
    return updated;
  }

  /**
   * Query a refund now (J). A refund whose R left without an answer has no trace, so J cannot name it:
   * that is REFUND_NEEDS_SUPERVISOR (with the evidence), never a silent no-op.
   */
  async requeryRefund(id: number): Promise<RefundRecord> {
    await this.queryRefund(id);
    const refund = getRefund(this.deps.db, id);
    if (refund.needsSupervisor) {
      throw new AppError(
        'REFUND_NEEDS_SUPERVISOR',
        `refund ${refund.refundNo}: R left at ${new Date(refund.sentAt ?? refund.createdAt).toISOString()} and no answer came back${refund.respCode === null ? '' : ` (bank: ${refund.respCode} ${refund.respMsg ?? ''})`}; it cannot be queried — check with the bank, then a supervisor settles it`,
        { refundId: refund.id, sentAt: refund.sentAt, respCode: refund.respCode },
      );
    }
    return refund;
  }

  private async queryRefund(id: number): Promise<void> {
    const k = key('r', id);
    if (this.inFlight.has(k)) {
      this.again.add(k);
      return;
    }
    const refund = getRefund(this.deps.db, id);
    if (isRefundFinal(refund.status)) return;
    if (refund.sysTrace === null) {
      if (refund.sentAt === null) {
        // The "R sent" marker was never committed: R provably never left. Nothing was refunded.
        this.patchRefund(id, { status: 'failed', respMsg: 'the app stopped before the refund was sent; nothing was refunded' });
        return;
      }
      // R left and its answer was lost, so we do not know the refund's trace and J cannot name it.
      // Sending R again could refund twice, so the refund stays 状态未明 (counted against the cap) for a supervisor.
      if (refund.status !== 'unknown') {
        this.patchRefund(id, {
          status: 'unknown',
          respMsg: `R left at ${new Date(refund.sentAt).toISOString()} and its answer was lost; J needs the refund's trace — check with the bank, then a supervisor settles it`,
        });
      }
      return;
    }
    const sysTrace = refund.sysTrace;
    this.cancelTimer(k);
    const end = this.begin(k);
    try {
      const result = await this.deps.gateway(refund.mode).queryRefund(sysTrace, undefined, { amountFen: refund.amountFen, tradeNo: refund.refundNo });
      this.batch(() => {
        this.logExchange('refund', id, result, null);
        return this.applyRefundResult(id, result, 'J');
      });
      this.deps.faultPoint?.('refund-after-query');
    } catch (error) {
      this.deps.logger.error(`refund ${id} query failed`, error);
    } finally {
      end();
    }
    try {
      if (this.again.delete(k)) await this.queryRefund(id);
    } finally {
      this.ensureNextRefundStep(id);
    }
  }

  /** As ensureNextStep, for refunds: an open refund with a trace always has a J scheduled or under way. */
  private ensureNextRefundStep(id: number): void {
    const k = key('r', id);
    if (this.stopped || this.timers.has(k) || this.inFlight.has(k)) return;
    let refund: RefundRecord;
    try {
      refund = getRefund(this.deps.db, id);
    } catch {
      return;
    }
    if (isRefundFinal(refund.status) || refund.sysTrace === null) return;
    this.scheduleRefundQuery(refund);
  }

  private scheduleRefundQuery(refund: RefundRecord): void {
    if (refund.sysTrace === null) return;
    const k = key('r', refund.id);
    const attempt = this.backoffAttempts.get(k) ?? 0;
    this.backoffAttempts.set(k, attempt + 1);
    const s = this.deps.schedule();
    const delay = attempt === 0 ? s.firstQueryMs : attempt < 10 ? s.fastIntervalMs : backoffDelay(s, attempt - 10);
    this.setTimer(k, delay, () => {
      this.queryRefund(refund.id).catch((error: unknown) => this.deps.logger.error(`refund ${refund.id} query failed`, error));
    });
  }

  /**
   * A supervisor settles a refund left 状态未明 (its answer was lost, so J cannot name it) after checking
   * with the bank. Recorded with who and why, in one commit; windows hear of it after the commit.
   */
  resolveRefund(id: number, outcome: 'succeeded' | 'failed', reason: string, supervisor: string): RefundRecord {
    const refund = getRefund(this.deps.db, id);
    if (refund.status !== 'unknown' && refund.status !== 'pending') {
      throw new AppError('INVALID_STATE', `only an unfinished refund can be settled by hand (it is ${refund.status})`);
    }
    if (reason.trim() === '') throw new AppError('BAD_INPUT', 'a reason is required', { field: 'reason' });
    return this.batch(() => {
      appendEvent(this.deps.db, { at: this.deps.now(), entity: 'refund', entityId: id, type: 'manual_resolution', actor: supervisor, data: { outcome, reason } });
      return this.patchRefund(id, { status: outcome, respMsg: `settled by ${supervisor}: ${reason}` });
    });
  }

  // ---------------------------------------------------------------- start-up

  /**
   * Picks up every unfinished payment and refund after a start (or a crash). Returns how many.
   * A payment whose F never got an answer has no trace: no QR was ever shown, so it cannot have been
   * paid; it is marked failed. Everything with a trace is queried again.
   */
  resume(): { payments: number; refunds: number } {
    // Card sales are resumed by the card service: their truth is on the terminal, not at BPC.
    const payments = listOpenPayments(this.deps.db).filter((p) => p.tender === 'qr');
    for (const payment of payments) {
      appendEvent(this.deps.db, { at: this.deps.now(), entity: 'payment', entityId: payment.id, type: 'resumed', data: { status: payment.status } });
      if (payment.sysTrace === null) void this.resumeUnsent(payment);
      else if (payment.closeRequestedAt !== null || (payment.qrExpiresAt !== null && this.deps.now() >= payment.qrExpiresAt)) {
        void this.tick(payment.id);
      } else this.scheduleQuery(payment, 0);
    }
    const refunds = listOpenRefunds(this.deps.db);
    for (const refund of refunds) {
      appendEvent(this.deps.db, { at: this.deps.now(), entity: 'refund', entityId: refund.id, type: 'resumed', data: { status: refund.status } });
      this.queryRefund(refund.id).catch((error: unknown) => this.deps.logger.error(`refund ${refund.id} query failed`, error));
    }
    return { payments: payments.length, refunds: refunds.length };
  }

  private resumeUnsent(payment: PaymentRecord): Promise<PaymentRecord> {
    if (payment.status !== 'created') return Promise.resolve(payment);
    return Promise.resolve(
      this.patchPayment(payment.id, {
        status: 'failed',
        respMsg: 'the app stopped before the QR was issued; no QR was shown, nothing was charged',
      }),
    );
  }

  /** Stops all timers (shutdown). In-flight requests finish and are recorded. */
  stop(): void {
    this.stopped = true;
    for (const handle of this.timers.values()) this.deps.timers.clearTimeout(handle);
    this.timers.clear();
  }

  // ---------------------------------------------------------------- payment queries

  private scheduleQuery(payment: PaymentRecord, forcedDelay?: number): void {
    if (isFinal(payment.status)) return;
    const at = this.deps.now();
    const s = this.deps.schedule();
    let delay: number;
    if (forcedDelay !== undefined) delay = forcedDelay;
    else if (payment.closeRequestedAt !== null || payment.status === 'unknown' || (payment.qrExpiresAt !== null && at >= payment.qrExpiresAt)) {
      delay = this.nextBackoff(key('p', payment.id));
    } else {
      const shownAt = payment.qrExpiresAt !== null ? payment.qrExpiresAt - this.deps.qrValiditySec() * 1000 : payment.createdAt;
      delay = nextLiveQueryDelay(s, at - shownAt, payment.queryCount);
      if (payment.qrExpiresAt !== null) delay = Math.min(delay, Math.max(0, payment.qrExpiresAt - at));
    }
    this.setTimer(key('p', payment.id), delay, () => void this.tick(payment.id));
  }

  /**
   * One scheduled step: close when the QR's time is up (or a close could not be sent yet), otherwise
   * query. Never rejects: it runs from timers, where a rejection would be unhandled.
   */
  private async tick(id: number): Promise<void> {
    try {
      const payment = getPayment(this.deps.db, id);
      if (isFinal(payment.status)) return;
      if (payment.sysTrace === null) {
        // F's answer was never recorded (the ledger refused it): no QR was shown, nothing can be charged.
        if (!this.creating.has(id)) await this.resumeUnsent(payment);
        return;
      }
      const expired = payment.closeRequestedAt === null && payment.qrExpiresAt !== null && this.deps.now() >= payment.qrExpiresAt;
      if (expired || (this.closePending.has(id) && payment.sysTrace !== null)) {
        await this.closeAndConfirm(id, 'expiry', null);
        return;
      }
      await this.queryPayment(id, false);
    } catch (error) {
      this.deps.logger.error(`payment ${id} scheduled step failed`, error);
    } finally {
      // Whatever threw (a locked or full ledger included): a next step is scheduled unless the sale is final.
      this.ensureNextStep(id);
    }
  }

  /**
   * The guarantee behind every scheduled step: unless the payment is final (as the ledger says), a
   * request is under way or a timer is set, a retry is scheduled with growing backoff. A ledger that
   * cannot even be read counts as "not final": we try again later rather than stop.
   */
  private ensureNextStep(id: number): void {
    const k = key('p', id);
    if (this.stopped || this.timers.has(k) || this.inFlight.has(k) || this.creating.has(id)) return;
    try {
      if (isFinal(getPayment(this.deps.db, id).status)) return;
    } catch (error) {
      if (error instanceof AppError && error.code === 'NOT_FOUND') return;
    }
    this.setTimer(k, this.nextBackoff(k), () => void this.tick(id));
  }

  private nextBackoff(k: string): number {
    const attempt = this.backoffAttempts.get(k) ?? 0;
    this.backoffAttempts.set(k, attempt + 1);
    return backoffDelay(this.deps.schedule(), attempt);
  }

  private async queryPayment(id: number, immediate: boolean): Promise<void> {
    const k = key('p', id);
    if (this.inFlight.has(k)) {
      this.again.add(k);
      return;
    }
    const payment = getPayment(this.deps.db, id);
    if (payment.status === 'paid' || payment.sysTrace === null) return;
    if (isFinal(payment.status) && !immediate) return;
    this.cancelTimer(k);
    const end = this.begin(k);
    let threw = false;
    try {
      const result = await this.deps.gateway(payment.mode).queryPayment(payment.sysTrace, undefined, { amountFen: payment.amountFen, tradeNo: payment.tradeNo });
      this.batch(() => {
        this.logExchange('payment', id, result, null);
        return this.applyQueryResult(id, result);
      });
    } catch (error) {
      // Nothing was sent (no key, no gateway) or the answer could not be recorded. The query count did
      // not move, so the live schedule would answer "now" again and again: back off instead.
      threw = true;
      this.deps.logger.error(`payment ${id} query failed`, error);
    } finally {
      end();
    }
    try {
      if (this.again.delete(k)) {
        await this.queryPayment(id, true);
        return;
      }
      const current = getPayment(this.deps.db, id);
      this.scheduleQuery(current, threw && !isFinal(current.status) ? this.nextBackoff(k) : undefined);
    } finally {
      this.ensureNextStep(id);
    }
  }

  private applyQueryResult(id: number, result: BpcResult, afterClose?: { closeConfirmed: boolean }): PaymentRecord {
    const payment = getPayment(this.deps.db, id);
    const at = this.deps.now();
    const patch: PaymentPatch = { queryCountIncrement: true };
    if (result.kind !== 'transport_unknown') {
      patch.respCode = result.response.respCode;
      patch.respMsg = result.response.respMsg;
    }
    const closing = payment.closeRequestedAt !== null;
    switch (result.kind) {
      case 'success':
        patch.status = 'paid';
        patch.paidAt = at;
        patch.payType = payTypeOf(result) ?? payment.payType;
        {
          const wallet = walletTradeNoOf(result);
          if (wallet !== undefined) patch.walletTradeNo = wallet;
        }
        if (isFinal(payment.status)) {
          appendEvent(this.deps.db, {
            at,
            entity: 'payment',
            entityId: id,
            type: 'late_payment',
            data: { previous: payment.status, note: 'the gateway reports this order paid after it was ended; it is recorded as paid' },
          });
        }
        break;
      case 'failed':
        if (!isFinal(payment.status)) patch.status = closing ? 'closed' : 'failed';
        break;
      case 'waiting':
      case 'rejected':
        // 88: the payer is still at it. Another code on a query: this query failed, the order is still
        // open (the QR stays valid until it expires or is closed). Once a close was asked for and not
        // confirmed, "still open" is 状态未明, never back to 等待支付: the cashier has moved on, and a
        // waiting sale would block the counter until the bank expires the QR.
        if (afterClose !== undefined) patch.status = afterClose.closeConfirmed ? 'closed' : 'unknown';
        else if (closing) {
          if (!isFinal(payment.status)) patch.status = 'unknown';
        } else if (payment.status === 'qr_issued' || payment.status === 'unknown') patch.status = 'waiting';
        this.unclearSince.delete(id);
        break;
      case 'unknown':
      case 'transport_unknown': {
        const since = this.unclearSince.get(id) ?? at;
        this.unclearSince.set(id, since);
        if (result.kind === 'transport_unknown') patch.respMsg = `${result.reason}: ${result.detail}`;
        if (!isFinal(payment.status) && (afterClose !== undefined || at - since >= this.deps.schedule().unknownAfterMs)) patch.status = 'unknown';
        break;
      }
      default:
        assertNever(result);
    }
    if (patch.status !== undefined && isFinal(patch.status)) this.onCommit(() => this.unclearSince.delete(id));
    return this.patchPayment(id, patch);
  }

  /**
   * S then G. Used by cancel and by QR expiry. When S cannot be sent at all (no key, no gateway), the
   * close is retried later with backoff and the error goes to the caller.
   */
  private async closeAndConfirm(id: number, why: 'cancel' | 'expiry', actor: string | null): Promise<PaymentRecord> {
    try {
      return await this.closeSteps(id, why, actor);
    } finally {
      // Whatever threw — the close request could not be written, S or G failed, the answer could not be
      // recorded — the sale keeps a next step (the retry of the close, or its queries) until it is final.
      this.ensureNextStep(id);
    }
  }

  private async closeSteps(id: number, why: 'cancel' | 'expiry', actor: string | null): Promise<PaymentRecord> {
    const k = key('p', id);
    this.cancelTimer(k);
    let payment = getPayment(this.deps.db, id);
    if (payment.closeRequestedAt === null) {
      const at = this.deps.now();
      // The close request and its event in one commit.
      payment = this.batch(() => {
        const updated = this.patchPayment(id, { closeRequestedAt: at });
        appendEvent(this.deps.db, { at, entity: 'payment', entityId: id, type: `close_requested`, actor, data: { why } });
        return updated;
      });
    }
    if (isFinal(payment.status)) return payment;
    this.closePending.add(id);
    if (payment.sysTrace === null) return payment; // F still in flight: applyCreateResult closes it when the trace arrives.
    while (this.inFlight.has(k)) await this.inFlight.get(k);
    // The query we waited for may have ended the sale (paid, or 77).
    payment = getPayment(this.deps.db, id);
    if (isFinal(payment.status) || payment.sysTrace === null) return payment;
    const sysTrace = payment.sysTrace;
    const end = this.begin(k);
    try {
      const client = this.deps.gateway(payment.mode);
      let closeConfirmed = false;
      if (client.closeEnabled) {
        const s = await client.closeOrder(sysTrace);
        this.logExchange('payment', id, s, actor);
        closeConfirmed = s.kind === 'success';
      }
      // S went out (or is disabled in this bank profile): this close never sends it again.
      this.closePending.delete(id);
      const g = await client.queryPayment(sysTrace, undefined, { amountFen: payment.amountFen, tradeNo: payment.tradeNo });
      payment = this.batch(() => {
        this.logExchange('payment', id, g, actor);
        return this.applyQueryResult(id, g, { closeConfirmed });
      });
    } finally {
      end();
    }
    this.again.delete(k);
    this.scheduleQuery(payment);
    return payment;
  }

  // ---------------------------------------------------------------- helpers

  /** Marks a request for `k` as under way; the returned function ends it (idempotent). */
  private begin(k: string): () => void {
    let settle: () => void = () => undefined;
    const flight = new Promise<void>((resolve) => (settle = resolve));
    this.inFlight.set(k, flight);
    return () => {
      if (this.inFlight.get(k) === flight) this.inFlight.delete(k);
      settle();
    };
  }

  /** Pending window notifications while a batch's transaction is open (null outside a batch). */
  private deferred: PaymentRecord[] | null = null;

  /**
   * Runs ledger writes in one transaction (one fsync) and tells the windows only after the commit, so
   * nothing is shown that the ledger could still lose.
   */
  private batch<T>(fn: () => T, immediate = false): T {
    if (this.deferred !== null) return fn();
    this.deferred = [];
    this.deferredRefunds = [];
    this.committed = [];
    let pending: PaymentRecord[] = [];
    let pendingRefunds: RefundRecord[] = [];
    let hooks: (() => void)[] = [];
    try {
      const run = this.deps.db.transaction(fn);
      const result = immediate ? run.immediate() : run();
      pending = this.deferred;
      pendingRefunds = this.deferredRefunds;
      hooks = this.committed;
      return result;
    } catch (error) {
      // A locked, full or damaged ledger gets its stable code (LEDGER_BUSY / DISK_FULL / LEDGER_CORRUPT).
      throw asLedgerError(error);
    } finally {
      this.deferred = null;
      this.deferredRefunds = null;
      this.committed = null;
      // In-memory bookkeeping (timers, backoff, forget) follows the ledger, never runs ahead of it:
      // after a failed commit none of it happened.
      for (const hook of hooks) hook();
      for (const payment of pending) this.deps.onPayment(payment);
      for (const refund of pendingRefunds) this.deps.onRefund(refund);
    }
  }

  private deferredRefunds: RefundRecord[] | null = null;

  private emitRefund(refund: RefundRecord): void {
    if (this.deferredRefunds !== null) this.deferredRefunds.push(refund);
    else this.deps.onRefund(refund);
  }

  /** Work to do once the current batch has committed (at once outside a batch). */
  private committed: (() => void)[] | null = null;

  private onCommit(fn: () => void): void {
    if (this.committed !== null) this.committed.push(fn);
    else fn();
  }

  private emitPayment(payment: PaymentRecord): void {
    if (this.deferred !== null) this.deferred.push(payment);
    else this.deps.onPayment(payment);
  }

  private patchPayment(id: number, patch: PaymentPatch): PaymentRecord {
    return this.batch(() => {
      const before = getPayment(this.deps.db, id);
      const updated = updatePayment(this.deps.db, id, patch, this.deps.now());
      if (before.status !== updated.status) {
        appendEvent(this.deps.db, {
          at: this.deps.now(),
          entity: 'payment',
          entityId: id,
          type: 'status',
          data: { from: before.status, to: updated.status, respCode: updated.respCode, respMsg: updated.respMsg },
        });
      }
      if (isFinal(updated.status)) {
        this.onCommit(() => {
          this.cancelTimer(key('p', id));
          this.forget(id);
        });
      }
      this.emitPayment(updated);
      return updated;
    });
  }

  /** Drops the in-memory bookkeeping of a payment that has ended. */
  private forget(id: number): void {
    this.backoffAttempts.delete(key('p', id));
    this.unclearSince.delete(id);
    this.closePending.delete(id);
  }

  /** Patch + status event in one commit (or the caller's); timers and windows follow after the commit. */
  private patchRefund(id: number, patch: RefundPatch): RefundRecord {
    return this.batch(() => {
      const before = getRefund(this.deps.db, id);
      const updated = updateRefund(this.deps.db, id, patch, this.deps.now());
      if (before.status !== updated.status) {
        appendEvent(this.deps.db, {
          at: this.deps.now(),
          entity: 'refund',
          entityId: id,
          type: 'status',
          data: { from: before.status, to: updated.status, respCode: updated.respCode, respMsg: updated.respMsg },
        });
      }
      if (isRefundFinal(updated.status)) {
        this.onCommit(() => {
          this.cancelTimer(key('r', id));
          this.backoffAttempts.delete(key('r', id));
        });
      }
      this.emitRefund(updated);
      return updated;
    });
  }

  private logExchange(entity: 'payment' | 'refund', id: number, result: BpcResult, actor: string | null): void {
    const x = result.exchange;
    let request: unknown = x.requestText;
    try {
      request = JSON.parse(x.requestText) as unknown;
    } catch {
      // keep the text
    }
    appendEvent(this.deps.db, {
      at: x.startedAt,
      entity,
      entityId: id,
      type: `bpc.${x.op}`,
      actor,
      data: {
        request,
        httpStatus: x.httpStatus,
        // The raw answer, as received (masked only if it carries a secret-looking field).
        response: maskRawText(x.responseText),
        outcome: x.outcome,
        durationMs: x.durationMs,
        ...(result.kind === 'transport_unknown' ? { reason: result.reason, detail: result.detail } : {}),
      },
    });
  }

  private setTimer(k: string, ms: number, fn: () => void): void {
    if (this.stopped) return;
    this.cancelTimer(k);
    this.timers.set(
      k,
      this.deps.timers.setTimeout(() => {
        this.timers.delete(k);
        fn();
      }, ms),
    );
  }

  private cancelTimer(k: string): void {
    const handle = this.timers.get(k);
    if (handle !== undefined) this.deps.timers.clearTimeout(handle);
    this.timers.delete(k);
  }
}

function isRefundFinal(status: RefundRecord['status']): boolean {
  return status === 'succeeded' || status === 'failed';
}

function key(kind: 'p' | 'r', id: number): string {
  return `${kind}${id}`;
}

function errorText(error: unknown): string {
  return error instanceof AppError ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error);
}

function emptyToNull(value: string | undefined): string | null {
  return value === undefined || value.trim() === '' ? null : value.trim();
}

/** The wallet's own number from a G answer: oldTradeId (WeChat), oldTradeNo (Alipay), oldPayVounum (UnionPay). */
function walletTradeNoOf(result: BpcResult): string | undefined {
  if (result.kind === 'transport_unknown') return undefined;
  const extra = result.response.extra;
  for (const field of ['oldTradeId', 'oldTradeNo', 'oldPayVounum']) {
    const v = extra[field];
    if (typeof v === 'string' && /^[0-9A-Za-z_-]{1,64}$/.test(v.trim())) return v.trim();
  }
  return undefined;
}

function payTypeOf(result: BpcResult): string | undefined {
  if (result.kind === 'transport_unknown') return undefined;
  const extra = result.response.extra;
  for (const field of ['payType', 'oldPayType']) {
    const v = extra[field];
    if (v === 'ZFBA' || v === 'WEIX' || v === 'UPAY') return v;
  }
  return undefined;
}

function formatTxnTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export type { RefundView };
