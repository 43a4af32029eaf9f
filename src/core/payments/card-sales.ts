import { AppError } from '../../shared/errors';
import type { AppMode } from '../../shared/ipc/contract';
import { assertAmountWithin } from '../config/gateway-limits';
import type { Db } from '../ledger/db';
import { appendEvent } from '../ledger/events';
import { findPaymentByGatewayRef, getPayment, insertPaymentIntent, listOpenPayments, type PaymentPatch, type PaymentRecord } from '../ledger/payments';
import type { Logger } from '../util/logger';
import { businessDay, realTimers } from '../util/time';
import { decideCardSale, isFinalPayment, type CardSaleDecision } from './decide';
import { Journal } from './journal';
import { newOrderNumber } from '../ledger/order-numbers';
import type { GatewayResult, PaymentGateway } from './port';
import type { GatewayRegistry } from './registry';

export interface CardSalesDeps {
  db: Db;
  /** The card gateway (the connected terminal) throws NOT_CONFIGURED / DEVICE_DISCONNECTED before any intent is written. */
  gateways: GatewayRegistry;
  mode: () => AppMode;
  now: () => number;
  maxAmountFen: () => number;
  onPayment: (payment: PaymentRecord) => void;
  logger: Logger;
  timeZone?: string;
  /** The business day a sale booked at `at` goes to (the next open day once a day is closed). */
  bookingDay?: (at: number, mode: AppMode) => string;
}

/**
 * Card sales through a card gateway (the terminal's serial link, 收银机联动), with the payment engine's
 * discipline: intent (and its event) in one commit → "sent" journaled before the first byte → the
 * answer (exchange, state, status event) in one commit → windows told after it. Money rules (serial
 * digest §2c), decided in ./decide.ts (decideCardSale):
 * - no final answer → 状态未明; the terminal is asked for its last transaction; a sale is never sent
 *   again automatically;
 * - only a positive match (the terminal's last transaction is this sale: approved, same amount, not
 *   older than our request) settles an unknown sale as paid; anything else stays 状态未明 for a
 *   supervisor who reads the terminal's own record. The app never guesses a card sale failed.
 */
export class CardSales {
  /** The payment whose request is about to go out (the journal hook files "sent" under it). */
  private current: number | null = null;
  private readonly journal: Journal;
  private stopped = false;
  private readonly retries = new Set<ReturnType<typeof setTimeout>>();

  constructor(private readonly deps: CardSalesDeps) {
    this.journal = new Journal({ db: deps.db, now: deps.now, timers: realTimers, onPayment: deps.onPayment, onRefund: () => undefined });
  }

  /**
   * Starts a card sale and returns at once (status created) while the customer is at the terminal;
   * the outcome arrives as payment updates. Throws before anything is written when no terminal is
   * connected, the amount is invalid, or another sale is open.
   */
  create(input: { amountFen: number; operator: string; merOrderNo?: string | undefined; memo?: string | undefined }): PaymentRecord {
    const { db, gateways } = this.deps;
    const gatewayId = gateways.idFor('card', 'device');
    assertAmountWithin(gatewayId, input.amountFen, gateways.capabilities(gatewayId).maxAmountFen, this.deps.maxAmountFen());
    const gateway = gateways.get(gatewayId, this.deps.mode());
    gateway.assertReady?.();
    const open = listOpenPayments(db).find((p) => p.mode === this.deps.mode() && p.status !== 'unknown');
    if (open !== undefined) throw new AppError('INVALID_STATE', `sale ${open.tradeNo} is still open; finish or cancel it first`, { paymentId: open.id });
    const at = this.deps.now();
    const payment = this.journal.batch(() => {
      const inserted = insertPaymentIntent(db, {
        tradeNo: newOrderNumber(db, 'P', at),
        merOrderNo: input.merOrderNo?.trim() === '' || input.merOrderNo === undefined ? null : input.merOrderNo.trim(),
        memo: input.memo?.trim() === '' || input.memo === undefined ? null : input.memo.trim(),
        mode: this.deps.mode(),
        tender: 'card',
        gateway: gatewayId,
        amountFen: input.amountFen,
        operator: input.operator,
        businessDay: this.deps.bookingDay?.(at, this.deps.mode()) ?? businessDay(at, this.deps.timeZone),
        now: at,
      });
      this.journal.event('payment', inserted.id, 'intent', { tradeNo: inserted.tradeNo, amountFen: inserted.amountFen, tender: 'card' }, input.operator, at);
      this.journal.emitPayment(inserted);
      return inserted;
    });
    void this.run(payment, gateway);
    return payment;
  }

  /** Journal hook of the gateway: "sent" is committed before the first byte of a money request. */
  markSent(record: { type: string; data: Record<string, unknown> }): void {
    appendEvent(this.deps.db, {
      at: this.deps.now(),
      entity: this.current === null ? 'device' : 'payment',
      entityId: this.current,
      type: record.type,
      data: record.data,
    });
  }

  /** Asks the terminal for its last transaction to settle a card sale left 状态未明. */
  async requery(id: number): Promise<PaymentRecord> {
    return (await this.ask(id)).payment;
  }

  /** Stops the resumed sales' retries (the core is closing). */
  stop(): void {
    this.stopped = true;
    for (const timer of this.retries) clearTimeout(timer);
    this.retries.clear();
  }

  /** One last-transaction query; `reached` is false when the terminal could not be asked or gave no usable answer. */
  private async ask(id: number): Promise<{ payment: PaymentRecord; reached: boolean }> {
    const payment = getPayment(this.deps.db, id);
    if (payment.tender !== 'card' || isFinalPayment(payment.status)) return { payment, reached: true };
    const answered = await this.gatewayOf(payment).query({
      reference: payment.sysTrace ?? '',
      amountFen: payment.amountFen,
      tradeNo: payment.tradeNo,
      sentAt: payment.sentAt ?? payment.createdAt,
    });
    const result = this.unlessHeldElsewhere(id, answered);
    const recorded = this.record(id, result, decideCardSale(getPayment(this.deps.db, id).status, { on: 'answer', outcome: result }));
    return { payment: recorded, reached: result.kind !== 'transport_unknown' };
  }

  /**
   * A resumed sale is asked until the terminal answers: right after a start its port may not be open
   * yet (DEVICE_DISCONNECTED), it may be busy, or switched off. Each failed ask schedules the next one
   * (1 s, doubling to 60 s) until the terminal gives an answer or the sale is final — so an approved sale
   * that is the terminal's last transaction is settled paid once the terminal is back, not left
   * 状态未明 (the 500-cycle chaos run found one left so).
   */
  private async askUntilAnswered(id: number, attempt = 0): Promise<void> {
    if (this.stopped) return;
    let done = false;
    try {
      const { payment, reached } = await this.ask(id);
      done = reached || isFinalPayment(payment.status);
    } catch (error) {
      this.deps.logger.warn(`card sale ${id} stays unknown until the terminal answers`, error);
    }
    if (done || this.stopped) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(
        () => {
          this.retries.delete(timer);
          resolve();
        },
        Math.min(60_000, 1000 * 2 ** Math.min(attempt, 6)),
      );
      this.retries.add(timer);
    });
    return this.askUntilAnswered(id, attempt + 1);
  }

  /** After a restart: a card sale that had no final answer is 状态未明 and the terminal is asked once. */
  resume(): number {
    const open = listOpenPayments(this.deps.db).filter((p) => p.tender === 'card' && !this.deps.gateways.isPolled(p.gateway));
    for (const payment of open) {
      const decision = decideCardSale(payment.status, { on: 'resume' });
      // The resume note and the new state in one commit. One the ledger refuses does not stop the start or
      // the others; the terminal is still asked about it below, and its answer is recorded when it can be.
      try {
        this.journal.batch(() => {
          this.journal.event('payment', payment.id, 'resumed', { status: payment.status });
          if (decision.next === 'record') this.journal.patchPayment(payment.id, patchOf(decision, null, this.deps.now()));
        });
      } catch (error) {
        this.deps.logger.error(`card sale ${payment.id} could not be marked resumed; the terminal is asked about it anyway`, error);
      }
    }
    // One at a time: the terminal takes one request at a time (a second is DEVICE_BUSY), and only the
    // newest sale can be its last transaction — fired at once, only the first (oldest) query got out.
    void (async () => {
      for (const payment of open) await this.askUntilAnswered(payment.id);
    })();
    return open.length;
  }

  private async run(payment: PaymentRecord, gateway: PaymentGateway): Promise<void> {
    let result: GatewayResult;
    this.current = payment.id;
    try {
      result = this.unlessHeldElsewhere(payment.id, await gateway.create({ tradeNo: payment.tradeNo, amountFen: payment.amountFen }));
    } catch (error) {
      // Thrown only before anything was written to the line (bad amount, journal failure).
      this.journal.patchPayment(payment.id, { status: 'failed', respMsg: `not sent: ${error instanceof Error ? error.message : String(error)}` });
      return;
    } finally {
      this.current = null;
    }
    const decision = decideCardSale(payment.status, { on: 'created', outcome: result });
    this.record(payment.id, result, decision);
    if (decision.next === 'record' && decision.then === 'query') {
      await this.requery(payment.id).catch((error: unknown) => this.deps.logger.warn('last-transaction query failed', error));
    }
  }

  /** The exchange, the new state and its status event in one commit; windows hear of it after the commit. */
  private record(id: number, result: GatewayResult, decision: CardSaleDecision): PaymentRecord {
    return this.journal.batch(() => {
      this.journal.exchange('payment', id, result.exchange, null);
      return decision.next === 'record' ? this.journal.patchPayment(id, patchOf(decision, result, this.deps.now())) : getPayment(this.deps.db, id);
    });
  }

  /**
   * An approval naming a terminal reference the ledger already holds for another sale is that sale's
   * answer (the terminal's last transaction is still the previous sale of the same amount, or an old
   * frame replayed): not this sale's. It counts as no usable answer — 状态未明 for a supervisor — instead
   * of a write the UNIQUE index refuses, which left the sale "asking" with no answer recorded.
   */
  private unlessHeldElsewhere(id: number, result: GatewayResult): GatewayResult {
    if (result.kind !== 'success' || result.answer.reference === undefined) return result;
    const payment = getPayment(this.deps.db, id);
    const holder = findPaymentByGatewayRef(this.deps.db, payment.gateway, result.answer.reference);
    if (holder === undefined || holder.id === id) return result;
    this.deps.logger.warn('terminal answer names the reference of another sale: not taken', { sale: holder.tradeNo });
    return {
      kind: 'unknown',
      answer: {
        code: result.answer.code,
        message: `the terminal's answer is sale ${holder.tradeNo} (reference ${result.answer.reference.slice(0, 40)}), not this one: check the terminal's record; a supervisor settles it`,
      },
      exchange: result.exchange,
    };
  }

  private gatewayOf(payment: PaymentRecord): PaymentGateway {
    return this.deps.gateways.get(payment.gateway, payment.mode);
  }
}

function patchOf(decision: Extract<CardSaleDecision, { next: 'record' }>, result: GatewayResult | null, now: number): PaymentPatch {
  const patch: PaymentPatch = { status: decision.status };
  if (decision.respCode !== undefined) patch.respCode = decision.respCode;
  if (decision.respMsg !== undefined) patch.respMsg = decision.respMsg;
  if (decision.reference !== undefined) patch.gatewayRef = decision.reference;
  if (result?.kind === 'success' && result.answer.detail !== undefined) patch.gatewayDetail = result.answer.detail;
  if (decision.status === 'paid') patch.paidAt = now;
  return patch;
}
