import { AppError } from '../../shared/errors';
import type { PayType, RefundView } from '../../shared/domain';
import type { AppMode } from '../../shared/ipc/contract';
import { assertAmountWithin } from '../config/gateway-limits';
import type { Db } from '../ledger/db';
import { appendEvent } from '../ledger/events';
import {
  findOtherPaymentByGatewayOrderId,
  findPaymentByGatewayRef,
  findPaymentBySysTrace,
  getPayment,
  insertPaymentIntent,
  listOpenPayments,
  type PaymentPatch,
  type PaymentRecord,
} from '../ledger/payments';
import { findRefundByGatewayRef, getRefund, listOpenRefunds, type RefundPatch, type RefundRecord } from '../ledger/refunds';
import type { Logger } from '../util/logger';
import { businessDay, type Timers } from '../util/time';
import { decideCloseAnswer, decidePayment, decideRefund, isFinalPayment as isFinal, isFinalRefund, type PaymentState, type PaymentStimulus } from './decide';
import { Journal } from './journal';
import { newOrderNumber } from '../ledger/order-numbers';
import type { GatewayOutcome, GatewayResult, PaymentGateway } from './port';
import type { GatewayRegistry } from './registry';
import { nextPaymentDelay, refundQueryDelay, type PollingSchedule } from './schedule';
import { Scheduler } from './scheduler';

export interface EngineDeps {
  db: Db;
  /** The gateways by (id, mode): the training simulator or the live gateway. A payment always goes on with the gateway of its own mode. */
  gateways: GatewayRegistry;
  mode: () => AppMode;
  now: () => number;
  timers: Timers;
  schedule: () => PollingSchedule;
  /** QR validity in seconds; also sent as qrValidTime when `sendQrValidTime` says so. */
  qrValiditySec: () => number;
  /** What goes in the create request's QR validity ('' = the gateway default of 10 minutes). */
  qrValidTimeField: () => string;
  maxAmountFen: () => number;
  /** A gateway's own "show 状态未明 after" (e.g. Yima's give-up setting); else the schedule's unknownAfterMs. */
  unknownAfterMs?: (gateway: string) => number | undefined;
  /** The notification URL sent with a create, per gateway (BPC's listener, Yima's receiver). */
  retUrl: (gateway: string) => string | undefined;
  onPayment: (payment: PaymentRecord) => void;
  onRefund: (refund: RefundRecord) => void;
  logger: Logger;
  timeZone?: string;
  /** The business day a payment or refund booked at `at` goes to (the next open day once a day is closed). */
  bookingDay?: (at: number, mode: AppMode) => string;
  /** Re-query of a card sale (asks the terminal for its last transaction); QR sales query their gateway. */
  requeryCard?: (id: number) => Promise<PaymentRecord>;
  /** Called after the intent is written and just before the create request leaves (training mode scripts the simulated bank here). */
  beforeCreate?: (payment: PaymentRecord) => void;
  /** Test hook for the crash tests: called at named points of a payment. */
  faultPoint?: (name: FaultPoint) => void;
}

/**
 * Named points of a payment / refund where the crash tests kill the process: before F leaves, after F
 * left, after F's answer was written; before R's "sent" marker, after the marker but before R leaves,
 * after R was answered but before the answer is written, and after a J answer was written.
 */
export type FaultPoint = 'before-send' | 'after-send' | 'after-answer' | 'refund-before-send' | 'refund-marked' | 'refund-after-answer' | 'refund-after-query';

export interface CreatePaymentInput {
  amountFen: number;
  merOrderNo?: string | undefined;
  memo?: string | undefined;
  payType?: PayType | undefined;
  operator: string | null;
  /** The gateway (default: the QR gateway); e.g. Yima when card sales are routed to it. */
  gateway?: string | undefined;
}

export interface CreateRefundInput {
  paymentId: number;
  amountFen: number;
  reason: string;
  operator: string | null;
  approvedBy: string | null;
}

/**
 * The payment engine: one state machine per payment and per refund, for any gateway behind the port.
 *
 * Order of work, always: write the intent and its unique number to the ledger → send → record the
 * answer. An unclear answer (timeout, reset, garbage, 88, 99) is resolved by querying, never by
 * sending the create or the refund again. On start-up `resume()` picks up every unfinished payment
 * and refund. What happens next is decided in ./decide.ts; timers and coalescing live in
 * ./scheduler.ts; ledger writes go through ./journal.ts.
 */
export class PaymentEngine {
  private readonly clock: Scheduler;
  private readonly journal: Journal;
  private readonly unclearSince = new Map<number, number>();
  /** Payments whose create is on its way: no reference yet, but not abandoned either. */
  private readonly creating = new Set<number>();
  /** Payments whose create the gateway refused before anything left (their failure may not be recorded yet). */
  private readonly createUnsent = new Set<number>();
  /** Payments whose close still has to be sent (a close that could not leave is retried, not forgotten). */
  private readonly closePending = new Set<number>();
  /** How many times an unclear close was sent again, per payment (closing twice is harmless, but not endlessly). */
  private readonly closeResends = new Map<number, number>();

  constructor(private readonly deps: EngineDeps) {
    this.clock = new Scheduler(deps.timers, deps.schedule);
    this.journal = new Journal({
      db: deps.db,
      now: deps.now,
      timers: deps.timers,
      onPayment: deps.onPayment,
      onRefund: deps.onRefund,
      stopped: () => this.clock.isStopped,
      onFinal: (entity, id) => {
        if (entity === 'refund') return this.clock.forget(key('r', id));
        // Drops the in-memory bookkeeping of a payment that has ended.
        this.clock.forget(key('p', id));
        this.unclearSince.delete(id);
        this.closePending.delete(id);
        this.closeResends.delete(id);
      },
    });
  }

  // ---------------------------------------------------------------- payments

  /**
   * Starts a QR payment: validates, writes the intent, sends the create request, records the answer,
   * schedules queries. Throws AMOUNT_INVALID / AMOUNT_TOO_LARGE / INVALID_STATE before anything is sent.
   */
  async createPayment(input: CreatePaymentInput): Promise<PaymentRecord> {
    const { db, now } = this.deps;
    const gatewayId = input.gateway ?? this.deps.gateways.idFor('qr');
    if (!this.deps.gateways.isPolled(gatewayId)) throw new AppError('CONFIG_INVALID', `gateway ${gatewayId} is not driven by the payment engine`);
    assertAmountWithin(gatewayId, input.amountFen, this.deps.gateways.capabilities(gatewayId).maxAmountFen, this.deps.maxAmountFen());
    const active = listOpenPayments(db).find((p) => p.mode === this.deps.mode() && p.status !== 'unknown');
    if (active !== undefined) {
      throw new AppError('INVALID_STATE', `sale ${active.tradeNo} is still open; finish or cancel it first`, { paymentId: active.id });
    }
    const at = now();
    // The intent and its event in one commit (synchronous=FULL: durable before anything leaves).
    const payment = this.journal.batch(() => {
      const inserted = insertPaymentIntent(db, {
        tradeNo: newOrderNumber(db, 'P', at),
        merOrderNo: emptyToNull(input.merOrderNo),
        memo: emptyToNull(input.memo),
        mode: this.deps.mode(),
        tender: this.deps.gateways.tenderOf(gatewayId),
        gateway: gatewayId,
        amountFen: input.amountFen,
        operator: input.operator,
        businessDay: this.deps.bookingDay?.(at, this.deps.mode()) ?? businessDay(at, this.deps.timeZone),
        now: at,
      });
      this.journal.event(
        'payment',
        inserted.id,
        'intent',
        { tradeNo: inserted.tradeNo, amountFen: inserted.amountFen, mode: inserted.mode },
        input.operator,
        at,
      );
      this.journal.emitPayment(inserted);
      return inserted;
    });
    this.deps.faultPoint?.('before-send');

    let result: GatewayResult;
    this.creating.add(payment.id);
    try {
      this.deps.beforeCreate?.(payment);
      result = await this.gatewayOf(payment).create({
        tradeNo: payment.tradeNo,
        amountFen: payment.amountFen,
        merOrderNo: payment.merOrderNo ?? undefined,
        payType: input.payType ?? '',
        qrValidTime: this.deps.qrValidTimeField(),
        notifyUrl: this.deps.retUrl(payment.gateway),
        tellerNo: input.operator ?? undefined,
      });
    } catch (error) {
      this.creating.delete(payment.id);
      // The gateway throws only before anything leaves (no gateway for this mode, no key): end the
      // sale now, or it would stay "created" and block the counter until the next start.
      this.createUnsent.add(payment.id);
      try {
        this.journal.patchPayment(payment.id, {
          status: 'failed',
          respMsg: `${payment.tender === 'card' ? 'card order not pushed' : 'QR not requested'}: ${errorText(error)}; nothing was sent`,
        });
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
      updated = await this.journal.commitRetrying(() => {
        this.journal.exchange('payment', payment.id, result.exchange, input.operator);
        return this.applyCreateResult(payment.id, result);
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

  private applyCreateResult(id: number, answered: GatewayResult): PaymentRecord {
    const current = getPayment(this.deps.db, id);
    const result = this.unlessHeldElsewhere(answered, current.gateway, { payment: id });
    const decision = decidePayment(this.stateOf(current), { on: 'created', outcome: result });
    if (decision.next !== 'record') throw new Error(`unexpected decision ${decision.next} for a create answer`);
    const patch: PaymentPatch = { respCode: decision.respCode ?? null, ...(decision.respMsg === undefined ? {} : { respMsg: decision.respMsg }) };
    if (decision.status !== undefined) patch.status = decision.status;
    if (decision.status === 'qr_issued' && result.kind !== 'transport_unknown') {
      if (result.answer.reference !== undefined) patch.sysTrace = result.answer.reference;
      if (result.answer.qrCode !== undefined) patch.scanCode = result.answer.qrCode;
      patch.qrExpiresAt = this.deps.now() + this.deps.qrValiditySec() * 1000;
    }
    // A pushed order (Yima) is queried by our own order number whatever the create answered.
    if (decision.status === 'waiting' && current.sysTrace === null) {
      patch.gatewayRef = result.kind !== 'transport_unknown' && result.answer.reference !== undefined ? result.answer.reference : current.tradeNo;
    }
    const updated = this.journal.patchPayment(id, patch);
    if (decision.unclear === 'start') this.journal.onCommit(() => this.unclearSince.set(id, this.unclearSince.get(id) ?? this.deps.now()));
    if (decision.then === 'close') {
      // Cancelled while the create was in flight. Errors are logged and retried inside closeAndConfirm.
      this.journal.onCommit(() => {
        this.closeAndConfirm(updated.id, 'cancel', null).catch((error: unknown) => this.deps.logger.error(`payment ${updated.id} close failed`, error));
      });
    } else if (decision.then === 'query') this.journal.onCommit(() => this.scheduleQuery(updated));
    return updated;
  }

  /**
   * Cancel at the counter: closes the order at the gateway (S), then queries once more — a payment may
   * land at the same moment, and then the sale is paid, not cancelled.
   */
  async cancelPayment(id: number, actor: string | null): Promise<PaymentRecord> {
    const payment = getPayment(this.deps.db, id);
    const decision = decidePayment(this.stateOf(payment), { on: 'cancel' });
    if (decision.next === 'refuse') throw new AppError('INVALID_STATE', `payment ${id} is ${decision.reason}`);
    // A card sale is cancelled on the terminal only; the app never claims a cancel the terminal did not confirm.
    if (this.deps.gateways.capabilities(payment.gateway).cancelOnDeviceOnly === true)
      throw new AppError('INVALID_STATE', 'a card sale is cancelled on the terminal');
    return this.closeAndConfirm(id, 'cancel', actor);
  }

  /** Query now (the cashier's "re-query", a notification, or closing the day). */
  async requeryPayment(id: number): Promise<PaymentRecord> {
    const payment = getPayment(this.deps.db, id);
    if (payment.status === 'paid') return payment;
    if (!this.deps.gateways.isPolled(payment.gateway)) return this.deps.requeryCard === undefined ? payment : this.deps.requeryCard(id);
    const decision = decidePayment(this.stateOf(payment), { on: 'notification' });
    if (decision.next === 'fail_unsent') return this.resumeUnsent(payment);
    if (decision.next === 'follow_pushed') return this.resumePushed(payment);
    if (decision.next !== 'query') return payment;
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
    return this.journal.batch(() => {
      this.journal.event('payment', id, 'manual_resolution', { outcome, reason, ...(payType === undefined ? {} : { payType }) }, supervisor, at);
      return this.journal.patchPayment(id, {
        status: outcome,
        resolution: reason,
        resolvedBy: supervisor,
        ...(outcome === 'paid' ? { paidAt: at, ...(payType === undefined ? {} : { payType }) } : {}),
      });
    });
  }

  /**
   * A supervisor's re-check of a sale left 状态未明 or abandoned by the cashier, by the gateway's own order
   * number (Yima: bcm_orderquery_request by order_id). The answer is evidence: it is recorded (exchange +
   * `supervisor_recheck` event, who asked); only a bound "paid" changes the sale, and it does so through
   * the same path as a query's answer (applyQueryResult — no second money path). Any other answer leaves
   * the sale as it was, still followed by its scheduled queries. Runs as the payment's one request in
   * flight (a scheduled query waits for it and runs after).
   */
  async recheckPayment(id: number, gatewayOrderId: string, actor: string): Promise<{ payment: PaymentRecord; result: GatewayResult }> {
    let payment = getPayment(this.deps.db, id);
    if (isFinal(payment.status) || (payment.status !== 'unknown' && payment.closeRequestedAt === null)) {
      throw new AppError('INVALID_STATE', `only a sale in 状态未明 or abandoned by the cashier can be re-checked (it is ${payment.status})`);
    }
    const gateway = this.gatewayOf(payment);
    if (gateway.recheck === undefined) throw new AppError('INVALID_STATE', "this sale's gateway has no re-check by its order number");
    const k = key('p', id);
    for (let flight = this.clock.inFlightFor(k); flight !== undefined; flight = this.clock.inFlightFor(k)) await flight;
    const end = this.clock.claim(k);
    let result: GatewayResult;
    try {
      payment = getPayment(this.deps.db, id);
      // The query we waited for may have ended the sale: nothing to re-check.
      if (isFinal(payment.status)) throw new AppError('INVALID_STATE', `the sale is already ${payment.status}`);
      const order = { reference: payment.sysTrace ?? payment.tradeNo, amountFen: payment.amountFen, tradeNo: payment.tradeNo, sentAt: payment.createdAt };
      result = await gateway.recheck(order, gatewayOrderId);
      const answer = result;
      payment = this.journal.batch(() => {
        this.journal.exchange('payment', id, answer.exchange, actor);
        this.journal.event(
          'payment',
          id,
          'supervisor_recheck',
          {
            gatewayOrderId,
            outcome: answer.kind,
            ...(answer.kind === 'transport_unknown'
              ? { reason: answer.reason, detail: answer.detail }
              : { code: answer.answer.code, message: answer.answer.message }),
          },
          actor,
        );
        return answer.kind === 'success' ? this.applyQueryResult(id, answer) : getPayment(this.deps.db, id);
      });
    } finally {
      end();
    }
    if (this.clock.takeAgain(k)) void this.queryPayment(id, true);
    else this.scheduleQuery(payment);
    this.ensureNextStep(id);
    return { payment, result };
  }

  /**
   * A notification arrived for this reference: it only triggers an immediate query; the notification
   * by itself never changes money state. Returns false when no payment has that reference.
   */
  notified(reference: string, gateway = 'bpc'): boolean {
    // The reference is the gateway's own (BPC sysTrace; Yima: our order number, its pos_seq): looked up per gateway.
    const payment = gateway === 'bpc' ? findPaymentBySysTrace(this.deps.db, reference) : findPaymentByGatewayRef(this.deps.db, gateway, reference);
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
    if (!this.deps.gateways.capabilities(payment.gateway).canRefund)
      throw new AppError('INVALID_STATE', "this payment's gateway takes no refunds from the app");
    const orgReference = payment.sysTrace;
    const refund = this.journal.refundIntent({
      paymentId: input.paymentId,
      amountFen: input.amountFen,
      reason: input.reason,
      operator: input.operator,
      approvedBy: input.approvedBy,
      businessDay: this.deps.bookingDay?.(at, payment.mode) ?? businessDay(at, this.deps.timeZone),
      now: at,
    });
    this.deps.faultPoint?.('refund-before-send');

    const k = key('r', refund.id);
    const end = this.clock.claim(k);
    let result: GatewayResult;
    try {
      // The durable "R sent" marker: from this commit on, R may have reached the bank.
      this.journal.patchRefund(refund.id, { sentAt: this.deps.now() });
      this.deps.faultPoint?.('refund-marked');
      try {
        result = await refundVia(this.gatewayOf(payment)).refund({
          refundNo: refund.refundNo,
          orgReference,
          amountFen: refund.amountFen,
          tellerNo: input.operator ?? undefined,
          orgPaidAt: payment.paidAt ?? payment.createdAt,
        });
      } catch (error) {
        // The gateway throws only before anything leaves: nothing was refunded, so free the amount now
        // instead of holding it against the cap as 状态未明 forever.
        this.journal.patchRefund(refund.id, { status: 'failed', respMsg: `refund not sent: ${errorText(error)}` });
        throw error;
      }
      this.deps.faultPoint?.('refund-after-answer');
      const answer = result;
      return this.journal.batch(() => {
        this.journal.exchange('refund', refund.id, answer.exchange, input.operator);
        return this.applyRefundResult(refund.id, answer, 'refund');
      });
    } finally {
      end();
      this.ensureNextRefundStep(refund.id);
    }
  }

  private applyRefundResult(id: number, answered: GatewayResult, op: 'refund' | 'query'): RefundRecord {
    const current = getRefund(this.deps.db, id);
    // Only R's answer names the refund's own reference (J's is the query's).
    const result = op === 'refund' ? this.unlessHeldElsewhere(answered, current.gateway, { refund: id }) : answered;
    const decision = decideRefund(refundStateOf(current), { on: 'answer', op, outcome: result, at: this.deps.now() });
    if (decision.next !== 'record') throw new Error(`unexpected decision ${decision.next} for a refund answer`);
    const patch: RefundPatch = op === 'query' ? { queryCountIncrement: true } : {};
    patch.status = decision.status;
    if (decision.respCode !== undefined) patch.respCode = decision.respCode;
    if (decision.respMsg !== undefined) patch.respMsg = decision.respMsg;
    if (decision.reference !== undefined) patch.sysTrace = decision.reference;
    const updated = this.journal.patchRefund(id, patch);
    if (decision.then === 'query') this.journal.onCommit(() => this.scheduleRefundQuery(updated));
    return updated;
  }

  /**
   * Query a refund now (J). A refund whose R left without an answer has no trace, so J cannot name it:
   * that is REFUND_NEEDS_SUPERVISOR (with the evidence), never a silent no-op.
   */
  async requeryRefund(id: number): Promise<RefundRecord> {
    const recorded = getRefund(this.deps.db, id);
    if (getPayment(this.deps.db, recorded.paymentId).tender === 'card') {
      // A card refund done on the terminal and recorded at the desk: there is nobody to ask.
      if (recorded.status === 'unknown') {
        throw new AppError('REFUND_REFERENCE_CONFLICT', `refund ${recorded.refundNo}: ${recorded.respMsg ?? 'recorded at the desk and not completed'}`, {
          refundId: recorded.id,
        });
      }
      return recorded;
    }
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
    if (this.clock.coalesce(k)) return; // one more J after the one under way
    const refund = getRefund(this.deps.db, id);
    // A card refund recorded at the desk was never sent, yet the terminal did refund: the timer rule ("no
    // R sent, so nothing was refunded") does not hold for it (it does for cash: the drawer opens only
    // after the final commit). The cash desk resumes those at the next start.
    if (getPayment(this.deps.db, refund.paymentId).tender === 'card') return;
    const decision = decideRefund(refundStateOf(refund), { on: 'timer' });
    if (decision.next === 'none') return;
    if (decision.next === 'record') {
      this.journal.patchRefund(id, { status: decision.status, ...(decision.respMsg === undefined ? {} : { respMsg: decision.respMsg }) });
      return;
    }
    const reference = refund.sysTrace ?? '';
    this.clock.cancel(k);
    const end = this.clock.claim(k);
    try {
      const gateway = refundVia(this.gatewayOf(getPayment(this.deps.db, refund.paymentId), refund.mode));
      const result = await gateway.queryRefund({ reference, amountFen: refund.amountFen, tradeNo: refund.refundNo });
      this.journal.batch(() => {
        this.journal.exchange('refund', id, result.exchange, null);
        return this.applyRefundResult(id, result, 'query');
      });
      this.deps.faultPoint?.('refund-after-query');
    } catch (error) {
      this.deps.logger.error(`refund ${id} query failed`, error);
    } finally {
      end();
    }
    try {
      if (this.clock.takeAgain(k)) await this.queryRefund(id);
    } finally {
      this.ensureNextRefundStep(id);
    }
  }

  /** As ensureNextStep, for refunds: an open refund with a trace always has a J scheduled or under way. */
  private ensureNextRefundStep(id: number): void {
    const k = key('r', id);
    if (this.clock.isStopped || this.clock.busy(k)) return;
    let refund: RefundRecord;
    try {
      refund = getRefund(this.deps.db, id);
    } catch {
      return;
    }
    if (isFinalRefund(refund.status) || refund.sysTrace === null) return;
    this.scheduleRefundQuery(refund);
  }

  private scheduleRefundQuery(refund: RefundRecord): void {
    if (refund.sysTrace === null) return;
    const k = key('r', refund.id);
    this.clock.set(k, refundQueryDelay(this.deps.schedule(), this.clock.nextAttempt(k)), () => {
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
    return this.journal.batch(() => {
      this.journal.event('refund', id, 'manual_resolution', { outcome, reason }, supervisor);
      return this.journal.patchRefund(id, { status: outcome, respMsg: `settled by ${supervisor}: ${reason}` });
    });
  }

  // ---------------------------------------------------------------- start-up

  /**
   * Picks up every unfinished payment and refund after a start (or a crash). Returns how many.
   * A payment whose create never got an answer has no reference: no QR was ever shown, so it cannot
   * have been paid; it is marked failed. Everything with a reference is queried again.
   */
  resume(): { payments: number; refunds: number } {
    // Card sales are resumed by the card service: their truth is on the terminal, not at the QR gateway.
    // Item by item: one the ledger refuses to write about must not stop the start or the others, and is
    // not stranded — its next step is scheduled like any step that threw.
    const payments = listOpenPayments(this.deps.db).filter((p) => this.deps.gateways.isPolled(p.gateway));
    for (const payment of payments) {
      try {
        appendEvent(this.deps.db, { at: this.deps.now(), entity: 'payment', entityId: payment.id, type: 'resumed', data: { status: payment.status } });
        // No recorded create answer: the decision table says whether it was a QR never shown (failed) or a pushed order to follow.
        if (payment.sysTrace === null) {
          if (decidePayment(this.stateOf(payment), { on: 'timer' }).next === 'follow_pushed') this.resumePushed(payment);
          else void this.resumeUnsent(payment);
        } else if (payment.closeRequestedAt !== null || (payment.qrExpiresAt !== null && this.deps.now() >= payment.qrExpiresAt)) {
          void this.tick(payment.id);
        } else this.scheduleQuery(payment, 0);
      } catch (error) {
        this.deps.logger.error(`payment ${payment.id} could not be resumed; its next step is scheduled`, error);
        this.ensureNextStep(payment.id);
      }
    }
    // Refunds of cash and card sales were recorded at the desk, never sent: the cash desk resumes them.
    const refunds = listOpenRefunds(this.deps.db).filter((r) => getPayment(this.deps.db, r.paymentId).tender === 'qr');
    for (const refund of refunds) {
      try {
        appendEvent(this.deps.db, { at: this.deps.now(), entity: 'refund', entityId: refund.id, type: 'resumed', data: { status: refund.status } });
      } catch (error) {
        this.deps.logger.error(`refund ${refund.id}: the resume note could not be written; it is queried anyway`, error);
      }
      this.queryRefund(refund.id).catch((error: unknown) => this.deps.logger.error(`refund ${refund.id} query failed`, error));
    }
    return { payments: payments.length, refunds: refunds.length };
  }

  /**
   * A pushed order (Yima) whose create got no recorded answer: the push may have reached the card POS
   * and the customer may pay there, so it is never called failed unseen — it is followed by our own
   * order number (queried, never pushed again) until the gateway says paid or declined.
   */
  private resumePushed(payment: PaymentRecord): PaymentRecord {
    if (payment.status !== 'created') return payment;
    const updated = this.journal.patchPayment(payment.id, {
      status: 'waiting',
      gatewayRef: payment.tradeNo,
      respMsg: 'the app stopped while the order was being pushed; it may be on the card POS: querying, never pushed again',
    });
    this.unclearSince.set(payment.id, this.unclearSince.get(payment.id) ?? this.deps.now());
    this.scheduleQuery(updated, 0);
    return updated;
  }

  private resumeUnsent(payment: PaymentRecord): Promise<PaymentRecord> {
    if (payment.status !== 'created') return Promise.resolve(payment);
    return Promise.resolve(
      this.journal.patchPayment(payment.id, {
        status: 'failed',
        respMsg: 'the app stopped before the QR was issued; no QR was shown, nothing was charged',
      }),
    );
  }

  /** Stops all timers (shutdown). In-flight requests finish and are recorded. */
  stop(): void {
    this.clock.stop();
  }

  // ---------------------------------------------------------------- payment queries

  private scheduleQuery(payment: PaymentRecord, forcedDelay?: number): void {
    if (isFinal(payment.status)) return;
    const k = key('p', payment.id);
    const next =
      forcedDelay ??
      nextPaymentDelay(this.deps.schedule(), {
        at: this.deps.now(),
        createdAt: payment.createdAt,
        qrExpiresAt: payment.qrExpiresAt,
        qrValidityMs: this.deps.qrValiditySec() * 1000,
        queryCount: payment.queryCount,
        closeRequested: payment.closeRequestedAt !== null,
        unknown: payment.status === 'unknown',
      });
    this.clock.set(k, next === 'backoff' ? this.clock.nextBackoff(k) : next, () => void this.tick(payment.id));
  }

  /**
   * One scheduled step: close when the QR's time is up (or a close could not be sent yet), otherwise
   * query. Never rejects: it runs from timers, where a rejection would be unhandled.
   */
  private async tick(id: number): Promise<void> {
    try {
      const payment = getPayment(this.deps.db, id);
      const decision = decidePayment(this.stateOf(payment), { on: 'timer' });
      switch (decision.next) {
        case 'fail_unsent':
          // The create answer was never recorded (the ledger refused it): no QR was shown, nothing can be charged.
          await this.resumeUnsent(payment);
          return;
        case 'follow_pushed':
          // A pushed order whose answer was never recorded: it may be on the card POS — follow it, never fail it unseen.
          this.resumePushed(payment);
          return;
        case 'close':
          await this.closeAndConfirm(id, decision.why, null);
          return;
        case 'query':
          await this.queryPayment(id, false);
          return;
        default:
          return;
      }
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
    if (this.clock.isStopped || this.clock.busy(k) || this.creating.has(id)) return;
    try {
      if (isFinal(getPayment(this.deps.db, id).status)) return;
    } catch (error) {
      if (error instanceof AppError && error.code === 'NOT_FOUND') return;
    }
    this.clock.set(k, this.clock.nextBackoff(k), () => void this.tick(id));
  }

  private async queryPayment(id: number, immediate: boolean): Promise<void> {
    const k = key('p', id);
    if (this.clock.coalesce(k)) return; // one more query after the one under way
    const payment = getPayment(this.deps.db, id);
    if (payment.status === 'paid' || payment.sysTrace === null) return;
    if (isFinal(payment.status) && !immediate) return;
    this.clock.cancel(k);
    const end = this.clock.claim(k);
    let threw = false;
    try {
      const result = await this.gatewayOf(payment).query({ reference: payment.sysTrace, amountFen: payment.amountFen, tradeNo: payment.tradeNo });
      this.journal.batch(() => {
        this.journal.exchange('payment', id, result.exchange, null);
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
      if (this.clock.takeAgain(k)) {
        await this.queryPayment(id, true);
        return;
      }
      const current = getPayment(this.deps.db, id);
      this.scheduleQuery(current, threw && !isFinal(current.status) ? this.clock.nextBackoff(k) : undefined);
    } finally {
      this.ensureNextStep(id);
    }
  }

  private applyQueryResult(id: number, answered: GatewayResult, afterClose?: { closeConfirmed: boolean }): PaymentRecord {
    const payment = getPayment(this.deps.db, id);
    const result = this.unlessPaidElsewhere(answered, payment);
    const at = this.deps.now();
    const since = this.unclearSince.get(id) ?? at;
    const stimulus: PaymentStimulus = {
      on: 'answer',
      outcome: result,
      unclearForMs: at - since,
      unknownAfterMs: this.deps.unknownAfterMs?.(payment.gateway) ?? this.deps.schedule().unknownAfterMs,
    };
    const caps = this.deps.gateways.capabilities(payment.gateway);
    if (caps.payableWithoutAnswer === true && !caps.qrExpires) stimulus.waitingForMs = at - payment.createdAt;
    if (afterClose !== undefined) stimulus.afterClose = afterClose;
    const decision = decidePayment(this.stateOf(payment), stimulus);
    if (decision.next !== 'record') throw new Error(`unexpected decision ${decision.next} for a query answer`);
    const patch: PaymentPatch = { queryCountIncrement: true };
    if (decision.respCode !== undefined) patch.respCode = decision.respCode;
    if (decision.respMsg !== undefined) patch.respMsg = decision.respMsg;
    if (decision.status !== undefined) patch.status = decision.status;
    if (decision.status === 'paid' && result.kind !== 'transport_unknown') {
      patch.paidAt = at;
      patch.payType = result.answer.payType ?? payment.payType;
      if (result.answer.walletTradeNo !== undefined) patch.walletTradeNo = result.answer.walletTradeNo;
      if (result.answer.detail !== undefined) patch.gatewayDetail = result.answer.detail;
    }
    if (decision.latePayment === true) {
      this.journal.event(
        'payment',
        id,
        'late_payment',
        { previous: payment.status, note: 'the gateway reports this order paid after it was ended; it is recorded as paid' },
        undefined,
        at,
      );
    }
    if (decision.unclear === 'start') this.unclearSince.set(id, since);
    else if (decision.unclear === 'clear') this.unclearSince.delete(id);
    if (patch.status !== undefined && isFinal(patch.status)) this.journal.onCommit(() => this.unclearSince.delete(id));
    return this.journal.patchPayment(id, patch);
  }

  /**
   * Close then query. Used by cancel and by QR expiry. When the close cannot be sent at all (no key,
   * no gateway), it is retried later with backoff and the error goes to the caller.
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
    this.clock.cancel(k);
    let payment = getPayment(this.deps.db, id);
    if (payment.closeRequestedAt === null) {
      const at = this.deps.now();
      // The close request and its event in one commit.
      payment = this.journal.batch(() => {
        const updated = this.journal.patchPayment(id, { closeRequestedAt: at });
        this.journal.event('payment', id, 'close_requested', { why }, actor, at);
        return updated;
      });
    }
    if (isFinal(payment.status)) return payment;
    this.closePending.add(id);
    if (payment.sysTrace === null) return payment; // create still in flight: applyCreateResult closes it when the reference arrives.
    for (let flight = this.clock.inFlightFor(k); flight !== undefined; flight = this.clock.inFlightFor(k)) await flight;
    // The query we waited for may have ended the sale (paid, or 77).
    payment = getPayment(this.deps.db, id);
    if (isFinal(payment.status) || payment.sysTrace === null) return payment;
    const order = { reference: payment.sysTrace, amountFen: payment.amountFen, tradeNo: payment.tradeNo };
    const end = this.clock.claim(k);
    try {
      const gateway = this.gatewayOf(payment);
      let closeConfirmed = false;
      let closeOutcome: GatewayOutcome | null = null;
      if (gateway.capabilities.canClose && gateway.close !== undefined) {
        const s = await gateway.close(order);
        this.journal.exchange('payment', id, s.exchange, actor);
        closeConfirmed = s.kind === 'success';
        closeOutcome = s;
      }
      // The close went out (or the gateway cannot close). An unclear one is sent again on the next step
      // (decideCloseAnswer); otherwise this close never sends it again.
      const resent = this.closeResends.get(id) ?? 0;
      if (decideCloseAnswer(closeOutcome, resent) === 'resend') this.closeResends.set(id, resent + 1);
      else this.closePending.delete(id);
      const g = await gateway.query(order);
      payment = this.journal.batch(() => {
        this.journal.exchange('payment', id, g.exchange, actor);
        return this.applyQueryResult(id, g, { closeConfirmed });
      });
    } finally {
      end();
    }
    this.clock.takeAgain(k);
    this.scheduleQuery(payment);
    return payment;
  }

  // ---------------------------------------------------------------- helpers

  /**
   * A "paid" naming the gateway's own order id (Yima's order_id) already recorded on another sale is not
   * this sale's payment: one card payment settles one sale (a supervisor's re-check may have put it on
   * the other one). It counts as no usable answer, so the sale keeps being asked and shows 状态未明 for a
   * supervisor, instead of one payment being booked twice.
   */
  private unlessPaidElsewhere(result: GatewayResult, payment: PaymentRecord): GatewayResult {
    if (result.kind !== 'success') return result;
    const orderId = result.answer.detail?.orderId;
    if (typeof orderId !== 'string' || orderId === '') return result;
    const other = findOtherPaymentByGatewayOrderId(this.deps.db, payment.gateway, orderId, payment.id);
    if (other === undefined) return result;
    this.deps.logger.warn('a paid answer names a payment already recorded on another sale: not taken', { gateway: payment.gateway, sale: other.tradeNo });
    return {
      kind: 'transport_unknown',
      reason: 'unbound',
      detail: `the answer reports order ${orderId.slice(0, 40)} paid, which is recorded on sale ${other.tradeNo}`,
      delivered: true,
      exchange: result.exchange,
    };
  }

  /**
   * A create or refund answer naming a reference the ledger already holds for another payment or
   * refund of this gateway is not the answer to this request: it is a replayed (genuinely signed)
   * answer of an earlier one, which a bank whose answers carry no amount or order number cannot be
   * bound by otherwise. It counts as no usable answer from a request that did leave — resolved as any
   * unclear answer is, never by sending again — and it is still recorded as evidence.
   */
  private unlessHeldElsewhere(result: GatewayResult, gateway: string, own: { payment: number } | { refund: number }): GatewayResult {
    if (result.kind === 'transport_unknown' || result.answer.reference === undefined) return result;
    const ref = result.answer.reference;
    const payment = findPaymentByGatewayRef(this.deps.db, gateway, ref);
    const refund = findRefundByGatewayRef(this.deps.db, gateway, ref);
    const holder =
      payment !== undefined && !('payment' in own && own.payment === payment.id)
        ? `payment ${payment.tradeNo}`
        : refund !== undefined && !('refund' in own && own.refund === refund.id)
          ? `refund ${refund.refundNo}`
          : null;
    if (holder === null) return result;
    this.deps.logger.warn('answer names the reference of another sale or refund: not taken', { gateway, holder });
    return {
      kind: 'transport_unknown',
      reason: 'unbound',
      detail: `the answer names ${ref.slice(0, 40)}, the reference of ${holder} (a replayed answer, not this request's)`,
      delivered: true,
      exchange: result.exchange,
    };
  }

  private gatewayOf(payment: PaymentRecord, mode: AppMode = payment.mode): PaymentGateway {
    return this.deps.gateways.get(payment.gateway, mode);
  }

  private stateOf(payment: PaymentRecord): PaymentState {
    return {
      status: payment.status,
      hasReference: payment.sysTrace !== null,
      creating: this.creating.has(payment.id),
      closeRequested: payment.closeRequestedAt !== null,
      closePending: this.closePending.has(payment.id),
      expired: payment.qrExpiresAt !== null && this.deps.now() >= payment.qrExpiresAt,
      payableWithoutAnswer: this.deps.gateways.capabilities(payment.gateway).payableWithoutAnswer === true,
      createUnsent: this.createUnsent.has(payment.id),
    };
  }
}

function refundStateOf(refund: RefundRecord): { status: RefundRecord['status']; hasReference: boolean; sentAt: number | null } {
  return { status: refund.status, hasReference: refund.sysTrace !== null, sentAt: refund.sentAt };
}

/** The gateway's refund operations; a gateway that declares canRefund must have them. */
function refundVia(gateway: PaymentGateway): Required<Pick<PaymentGateway, 'refund' | 'queryRefund'>> {
  if (gateway.refund === undefined || gateway.queryRefund === undefined)
    throw new AppError('INVALID_STATE', "this payment's gateway takes no refunds from the app");
  return gateway as Required<Pick<PaymentGateway, 'refund' | 'queryRefund'>>;
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

export type { RefundView };
