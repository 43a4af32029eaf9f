import { randomInt } from 'node:crypto';
import { AppError, assertNever } from '../../shared/errors';
import type { PayType, RefundView } from '../../shared/domain';
import type { AppMode } from '../../shared/ipc/contract';
import { assertFen, BPC_MAX_FEN } from '../../shared/money';
import type { BpcClient, BpcResult } from '../gateways/bpc/client';
import type { Db } from '../ledger/db';
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
import { getRefund, insertRefundIntent, listOpenRefunds, updateRefund, type RefundRecord } from '../ledger/refunds';
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
  faultPoint?: (name: 'before-send' | 'after-send' | 'after-answer') => void;
}

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
    assertFen(input.amountFen, Math.min(BPC_MAX_FEN, this.deps.maxAmountFen()));
    const active = listOpenPayments(db).find((p) => p.mode === this.deps.mode() && p.status !== 'unknown');
    if (active !== undefined) {
      throw new AppError('INVALID_STATE', `sale ${active.tradeNo} is still open; finish or cancel it first`, { paymentId: active.id });
    }
    const at = now();
    // The intent and its event in one commit (synchronous=FULL: durable before anything leaves).
    const payment = this.batch(() => {
      const inserted = insertPaymentIntent(db, {
        tradeNo: newOrderNumber('P', at),
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
      // The client throws only before anything leaves (no gateway for this mode, no key): end the sale
      // now, or it would stay "created" and block the counter until the next start.
      this.patchPayment(payment.id, { status: 'failed', respMsg: `QR not requested: ${errorText(error)}; nothing was sent` });
      throw error;
    } finally {
      this.creating.delete(payment.id);
    }
    this.deps.faultPoint?.('after-send');
    // The exchange, the new state and its event in one commit; windows hear of it after the commit.
    const updated = this.batch(() => {
      this.logExchange('payment', payment.id, result, input.operator);
      return this.applyCreateResult(payment, result);
    });
    this.deps.faultPoint?.('after-answer');
    return updated;
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
        this.closeAndConfirm(updated.id, 'cancel', null).catch((error: unknown) => this.deps.logger.error(`payment ${updated.id} close failed`, error));
      } else this.scheduleQuery(updated);
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
    this.cancelTimer(key('p', id));
    this.forget(id);
    const at = this.deps.now();
    const updated = this.deps.db.transaction(() => {
      appendEvent(this.deps.db, { at, entity: 'payment', entityId: id, type: 'manual_resolution', actor: supervisor, data: { outcome, reason, ...(payType === undefined ? {} : { payType }) } });
      return updatePayment(
        this.deps.db,
        id,
        { status: outcome, resolution: reason, resolvedBy: supervisor, ...(outcome === 'paid' ? { paidAt: at, ...(payType === undefined ? {} : { payType }) } : {}) },
        at,
      );
    })();
    this.deps.onPayment(updated);
    return updated;
  }

  /**
   * A notification arrived for this sysTrace: it only triggers an immediate query; the notification by
   * itself never changes money state. Returns false when no payment has that trace.
   */
  notified(sysTrace: string): boolean {
    const payment = findPaymentBySysTrace(this.deps.db, sysTrace);
    if (payment === undefined) return false;
    void this.queryPayment(payment.id, true);
    return true;
  }

  // ---------------------------------------------------------------- refunds

  /**
   * Starts a refund: checks the cap and writes the intent in one ledger transaction, sends R once, then
   * follows J until final. REFUND_EXCEEDS_PAID is thrown before any request leaves.
   */
  async createRefund(input: CreateRefundInput): Promise<RefundRecord> {
    const { db } = this.deps;
    const at = this.deps.now();
    const payment = getPayment(db, input.paymentId);
    if (payment.tender === 'card') throw new AppError('INVALID_STATE', 'card sales are refunded on the card terminal');
    if (payment.sysTrace === null) throw new AppError('INVALID_STATE', 'this payment has no gateway trace to refund against');
    const refund = insertRefundIntent(db, {
      refundNo: newOrderNumber('R', at),
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
      entityId: refund.id,
      type: 'intent',
      actor: input.operator,
      data: { refundNo: refund.refundNo, paymentId: payment.id, amountFen: refund.amountFen, reason: input.reason, approvedBy: input.approvedBy },
    });
    appendEvent(db, { at, entity: 'payment', entityId: payment.id, type: 'refund_requested', actor: input.operator, data: { refundId: refund.id, amountFen: refund.amountFen } });
    this.deps.onRefund(refund);

    let result: BpcResult;
    try {
      result = await this.deps.gateway(payment.mode).refund({
        tradeNo: refund.refundNo,
        orgSysTrace: payment.sysTrace,
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
    this.logExchange('refund', refund.id, result, input.operator);
    return this.applyRefundResult(refund.id, result, 'R');
  }

  private applyRefundResult(id: number, result: BpcResult, op: 'R' | 'J'): RefundRecord {
    const current = getRefund(this.deps.db, id);
    const patch: Parameters<typeof updateRefund>[2] = op === 'J' ? { queryCountIncrement: true } : {};
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
        patch.status = current.status === 'created' ? 'unknown' : current.status;
        if (result.kind === 'transport_unknown') patch.respMsg = `${result.reason}: ${result.detail}`;
        break;
      default:
        assertNever(result);
    }
    const updated = this.patchRefund(id, patch);
    if (updated.status !== 'succeeded' && updated.status !== 'failed') this.scheduleRefundQuery(updated);
    return updated;
  }

  /** Query a refund now (J). Without the refund's own trace a J is impossible: see resumeRefund. */
  async requeryRefund(id: number): Promise<RefundRecord> {
    await this.queryRefund(id);
    return getRefund(this.deps.db, id);
  }

  private async queryRefund(id: number): Promise<void> {
    const k = key('r', id);
    if (this.inFlight.has(k)) {
      this.again.add(k);
      return;
    }
    const refund = getRefund(this.deps.db, id);
    if (refund.status === 'succeeded' || refund.status === 'failed') return;
    if (refund.sysTrace === null) {
      // R's answer was lost, so we do not know the refund's trace and J cannot name it. Sending R again
      // could refund twice, so the refund stays 状态未明 (counted against the cap) for a supervisor.
      if (refund.status !== 'unknown') this.patchRefund(id, { status: 'unknown', respMsg: 'refund answer lost; J needs its trace — check with the bank' });
      return;
    }
    const end = this.begin(k);
    try {
      const result = await this.deps.gateway(refund.mode).queryRefund(refund.sysTrace);
      this.logExchange('refund', id, result, null);
      this.applyRefundResult(id, result, 'J');
    } catch (error) {
      this.deps.logger.error(`refund ${id} query failed`, error);
      this.scheduleRefundQuery(getRefund(this.deps.db, id));
    } finally {
      end();
    }
    if (this.again.delete(k)) await this.queryRefund(id);
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
   * with the bank. Recorded with who and why; until then it counts against the refundable amount.
   */
  resolveRefund(id: number, outcome: 'succeeded' | 'failed', reason: string, supervisor: string): RefundRecord {
    const refund = getRefund(this.deps.db, id);
    if (refund.status !== 'unknown' && refund.status !== 'pending') {
      throw new AppError('INVALID_STATE', `only an unfinished refund can be settled by hand (it is ${refund.status})`);
    }
    if (reason.trim() === '') throw new AppError('BAD_INPUT', 'a reason is required', { field: 'reason' });
    this.cancelTimer(key('r', id));
    return this.deps.db.transaction(() => {
      appendEvent(this.deps.db, { at: this.deps.now(), entity: 'refund', entityId: id, type: 'manual_resolution', actor: supervisor, data: { outcome, reason } });
      return this.patchRefund(id, { status: outcome, respMsg: `settled by ${supervisor}: ${reason}` });
    })();
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
      const expired = payment.closeRequestedAt === null && payment.qrExpiresAt !== null && this.deps.now() >= payment.qrExpiresAt;
      if (expired || (this.closePending.has(id) && payment.sysTrace !== null)) {
        await this.closeAndConfirm(id, 'expiry', null);
        return;
      }
      await this.queryPayment(id, false);
    } catch (error) {
      // closeAndConfirm has already scheduled its retry.
      this.deps.logger.error(`payment ${id} scheduled step failed`, error);
    }
  }

  /** Try the payment's next step again later, with backoff (after an error we could not classify). */
  private retryLater(id: number): void {
    if (isFinal(getPayment(this.deps.db, id).status)) return;
    const k = key('p', id);
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
    let payment = getPayment(this.deps.db, id);
    if (payment.status === 'paid' || payment.sysTrace === null) return;
    if (isFinal(payment.status) && !immediate) return;
    this.cancelTimer(k);
    const end = this.begin(k);
    let threw = false;
    try {
      const result = await this.deps.gateway(payment.mode).queryPayment(payment.sysTrace);
      payment = this.batch(() => {
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
    if (this.again.delete(k)) {
      await this.queryPayment(id, true);
      return;
    }
    const current = getPayment(this.deps.db, id);
    this.scheduleQuery(current, threw && !isFinal(current.status) ? this.nextBackoff(k) : undefined);
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
    if (patch.status !== undefined && isFinal(patch.status)) this.unclearSince.delete(id);
    return this.patchPayment(id, patch);
  }

  /**
   * S then G. Used by cancel and by QR expiry. When S cannot be sent at all (no key, no gateway), the
   * close is retried later with backoff and the error goes to the caller.
   */
  private async closeAndConfirm(id: number, why: 'cancel' | 'expiry', actor: string | null): Promise<PaymentRecord> {
    const k = key('p', id);
    this.cancelTimer(k);
    let payment = getPayment(this.deps.db, id);
    if (payment.closeRequestedAt === null) {
      payment = this.patchPayment(id, { closeRequestedAt: this.deps.now() });
      appendEvent(this.deps.db, { at: this.deps.now(), entity: 'payment', entityId: id, type: `close_requested`, actor, data: { why } });
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
      const g = await client.queryPayment(sysTrace);
      payment = this.batch(() => {
        this.logExchange('payment', id, g, actor);
        return this.applyQueryResult(id, g, { closeConfirmed });
      });
    } catch (error) {
      end();
      this.retryLater(id);
      throw error;
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
  private batch<T>(fn: () => T): T {
    if (this.deferred !== null) return fn();
    this.deferred = [];
    let pending: PaymentRecord[] = [];
    try {
      const result = this.deps.db.transaction(fn)();
      pending = this.deferred;
      return result;
    } finally {
      this.deferred = null;
      for (const payment of pending) this.deps.onPayment(payment);
    }
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
        this.cancelTimer(key('p', id));
        this.forget(id);
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

  private patchRefund(id: number, patch: Parameters<typeof updateRefund>[2]): RefundRecord {
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
    if (updated.status === 'succeeded' || updated.status === 'failed') {
      this.cancelTimer(key('r', id));
      this.backoffAttempts.delete(key('r', id));
    }
    this.deps.onRefund(updated);
    return updated;
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

/**
 * A unique order number: prefix + yyMMddHHmmssSSS (UTC) + 4 random digits, 20 characters. The ledger's
 * UNIQUE constraint is the final guard; a collision fails before anything is sent.
 */
export function newOrderNumber(prefix: 'P' | 'R', at: number): string {
  const iso = new Date(at).toISOString(); // 2026-11-23T08:30:12.345Z
  const stamp = iso.slice(2, 4) + iso.slice(5, 7) + iso.slice(8, 10) + iso.slice(11, 13) + iso.slice(14, 16) + iso.slice(17, 19) + iso.slice(20, 23);
  return `${prefix}${stamp}${String(randomInt(0, 10_000)).padStart(4, '0')}`;
}

function formatTxnTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export type { RefundView };
