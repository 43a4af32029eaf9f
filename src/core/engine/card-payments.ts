import type { GatewayDetail } from '../../shared/domain';
import { AppError } from '../../shared/errors';
import type { AppMode } from '../../shared/ipc/contract';
import { assertSaleAmount } from '../config/gateway-limits';
import type { CardOperationRecord, CardResult, CardTerminalClient } from '../devices/card-terminal';
import type { MisResponse } from '../devices/mis';
import type { Db } from '../ledger/db';
import { appendEvent } from '../ledger/events';
import { getPayment, insertPaymentIntent, isFinal, listOpenPayments, updatePayment, type PaymentPatch, type PaymentRecord } from '../ledger/payments';
import { maskPanText, type Logger } from '../util/logger';
import { businessDay } from '../util/time';
import { newOrderNumber } from '../ledger/order-numbers';

export interface CardPaymentDeps {
  db: Db;
  /** The connected terminal; throws NOT_CONFIGURED / DEVICE_DISCONNECTED (before any intent is written). */
  terminal: () => CardTerminalClient;
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
 * Card sales through the terminal's serial link (收银机联动). Money rules (serial digest §2c):
 * - the intent is in the ledger, and "sent" is journaled (awaited) before the first byte goes out;
 * - no final answer → 状态未明; the terminal is asked for its last transaction; a sale is never sent
 *   again automatically;
 * - only a positive match (the terminal's last transaction is this sale: approved, same amount, not
 *   older than our request) settles an unknown sale as paid; anything else stays 状态未明 for a
 *   supervisor who reads the terminal's own record. The app never guesses a card sale failed.
 */
export class CardPayments {
  /** The payment whose request is about to go out (the journal hook files "sent" under it). */
  private current: number | null = null;

  constructor(private readonly deps: CardPaymentDeps) {}

  /**
   * Starts a card sale and returns at once (status created) while the customer is at the terminal;
   * the outcome arrives as payment updates. Throws before anything is written when no terminal is
   * connected, the amount is invalid, or another sale is open.
   */
  create(input: { amountFen: number; operator: string; merOrderNo?: string | undefined; memo?: string | undefined }): PaymentRecord {
    const { db } = this.deps;
    assertSaleAmount('terminal', input.amountFen, this.deps.maxAmountFen());
    const terminal = this.deps.terminal();
    if (terminal.busy) throw new AppError('DEVICE_BUSY', 'the card terminal is still busy with another request');
    const open = listOpenPayments(db).find((p) => p.mode === this.deps.mode() && p.status !== 'unknown');
    if (open !== undefined) throw new AppError('INVALID_STATE', `sale ${open.tradeNo} is still open; finish or cancel it first`, { paymentId: open.id });
    const at = this.deps.now();
    const payment = db.transaction(() => {
      const inserted = insertPaymentIntent(db, {
        tradeNo: newOrderNumber(db, 'P', at),
        merOrderNo: input.merOrderNo?.trim() === '' || input.merOrderNo === undefined ? null : input.merOrderNo.trim(),
        memo: input.memo?.trim() === '' || input.memo === undefined ? null : input.memo.trim(),
        mode: this.deps.mode(),
        tender: 'card',
        gateway: 'terminal',
        amountFen: input.amountFen,
        operator: input.operator,
        businessDay: this.deps.bookingDay?.(at, this.deps.mode()) ?? businessDay(at, this.deps.timeZone),
        now: at,
      });
      appendEvent(db, { at, entity: 'payment', entityId: inserted.id, type: 'intent', actor: input.operator, data: { tradeNo: inserted.tradeNo, amountFen: inserted.amountFen, tender: 'card' } });
      return inserted;
    })();
    this.deps.onPayment(payment);
    void this.run(payment, terminal);
    return payment;
  }

  /** Journal hook of the terminal client: "sent" is committed before the first byte of a money request. */
  markSent(op: CardOperationRecord): void {
    appendEvent(this.deps.db, {
      at: this.deps.now(),
      entity: this.current === null ? 'device' : 'payment',
      entityId: this.current,
      type: 'card.sent',
      data: { kind: op.kind, payloadHex: op.payloadHex, path: op.path },
    });
  }

  /** Asks the terminal for its last transaction to settle a card sale left 状态未明. */
  async requery(id: number): Promise<PaymentRecord> {
    const payment = getPayment(this.deps.db, id);
    if (payment.tender !== 'card' || isFinal(payment.status)) return payment;
    const terminal = this.deps.terminal();
    const result = await terminal.queryLast();
    this.log(id, 'card.queryLast', result);
    if (result.kind === 'approved' && this.isThisSale(payment, result.response)) return this.settlePaid(payment, result.response, 'the terminal\'s last transaction is this sale');
    const why =
      result.kind === 'unknown'
        ? `terminal did not answer the last-transaction query (${result.reason})`
        : result.kind === 'approved'
          ? 'the terminal\'s last transaction is not this sale: check the terminal\'s record; a supervisor settles it'
          : `last-transaction query declined: ${result.code} ${result.message}`;
    return this.patch(id, { status: 'unknown', respMsg: why });
  }

  /** After a restart: a card sale that had no final answer is 状态未明 and the terminal is asked once. */
  resume(): number {
    const open = listOpenPayments(this.deps.db).filter((p) => p.tender === 'card');
    for (const payment of open) {
      appendEvent(this.deps.db, { at: this.deps.now(), entity: 'payment', entityId: payment.id, type: 'resumed', data: { status: payment.status } });
      if (payment.status === 'created') this.patch(payment.id, { status: 'unknown', respMsg: 'the app stopped during the card sale; asking the terminal' });
      this.requery(payment.id).catch((error: unknown) => this.deps.logger.warn(`card sale ${payment.id} stays unknown until the terminal answers`, error));
    }
    return open.length;
  }

  private async run(payment: PaymentRecord, terminal: CardTerminalClient): Promise<void> {
    let result: CardResult;
    this.current = payment.id;
    try {
      result = await terminal.sale({ amountFen: payment.amountFen });
    } catch (error) {
      // Thrown only before anything was written to the line (bad amount, journal failure).
      this.patch(payment.id, { status: 'failed', respMsg: `not sent: ${error instanceof Error ? error.message : String(error)}` });
      return;
    } finally {
      this.current = null;
    }
    this.log(payment.id, 'card.sale', result);
    switch (result.kind) {
      case 'approved':
        this.settlePaid(payment, result.response, result.response.message);
        return;
      case 'declined':
        this.patch(payment.id, { status: 'failed', respCode: result.code, respMsg: result.message });
        return;
      case 'unknown':
        this.patch(payment.id, { status: 'unknown', respMsg: `no final answer from the terminal (${result.reason}); asking for its last transaction` });
        if (result.sent) await this.requery(payment.id).catch((error: unknown) => this.deps.logger.warn('last-transaction query failed', error));
        else this.patch(payment.id, { status: 'failed', respMsg: `not sent to the terminal (${result.reason}); nothing was charged` });
    }
  }

  /** The terminal's answer is this sale: approved, same amount, today, not older than our request (±2 min clock drift). */
  private isThisSale(payment: PaymentRecord, response: MisResponse): boolean {
    if (response.returnCode !== '00' || response.amountFen !== payment.amountFen) return false;
    const sent = new Date((payment.sentAt ?? payment.createdAt) - 120_000);
    const pad = (n: number): string => String(n).padStart(2, '0');
    const sentDate = `${pad(sent.getMonth() + 1)}${pad(sent.getDate())}`;
    const sentTime = `${pad(sent.getHours())}${pad(sent.getMinutes())}${pad(sent.getSeconds())}`;
    return response.date > sentDate || (response.date === sentDate && response.time >= sentTime);
  }

  private settlePaid(payment: PaymentRecord, response: MisResponse, message: string): PaymentRecord {
    return this.patch(payment.id, {
      status: 'paid',
      paidAt: this.deps.now(),
      respCode: response.returnCode,
      respMsg: message,
      // Terminal + batch + voucher + reference: unique per terminal, and what the receipt shows.
      gatewayRef: `${response.terminalNo.trim()}-${response.batchNo.trim()}-${response.voucherNo.trim()}-${response.referenceNo.trim()}`,
      gatewayDetail: terminalDetail(response),
    });
  }

  private patch(id: number, patch: PaymentPatch): PaymentRecord {
    const { db } = this.deps;
    const updated = db.transaction(() => {
      const before = getPayment(db, id);
      const after = updatePayment(db, id, patch, this.deps.now());
      if (before.status !== after.status) {
        appendEvent(db, { at: this.deps.now(), entity: 'payment', entityId: id, type: 'status', data: { from: before.status, to: after.status, respCode: after.respCode, respMsg: after.respMsg } });
      }
      return after;
    })();
    this.deps.onPayment(updated);
    return updated;
  }

  private log(id: number, type: string, result: CardResult): void {
    appendEvent(this.deps.db, {
      at: this.deps.now(),
      entity: 'payment',
      entityId: id,
      type,
      data:
        result.kind === 'unknown'
          ? { outcome: 'unknown', reason: result.reason, detail: result.detail, sent: result.sent }
          : { outcome: result.kind, response: { ...result.response, cardNo: maskPanText(result.response.cardNo) } },
    });
  }
}

/** The terminal's answer as the ledger keeps it (gateway_detail): the card number masked, never whole. */
function terminalDetail(r: MisResponse): GatewayDetail {
  return {
    terminalNo: r.terminalNo.trim(),
    merchantNo: r.merchantNo.trim(),
    batchNo: r.batchNo.trim(),
    voucherNo: r.voucherNo.trim(),
    referenceNo: r.referenceNo.trim(),
    authCode: r.authCode.trim(),
    bankCode: r.bankCode.trim(),
    cardNo: maskPanText(r.cardNo.trim()),
    date: r.date,
    time: r.time,
  };
}
