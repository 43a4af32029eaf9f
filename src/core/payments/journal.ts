/**
 * Ledger writes of payments, refunds and card sales, one rule for all: a patch, its status event and
 * whatever else belongs to the step are one commit; windows (onPayment / onRefund) and in-memory
 * bookkeeping (onCommit hooks) follow only after that commit, never ahead of it.
 */
import { AppError } from '../../shared/errors';
import type { Db } from '../ledger/db';
import { asLedgerError } from '../ledger/errors';
import { appendEvent } from '../ledger/events';
import { newOrderNumber } from '../ledger/order-numbers';
import { getPayment, updatePayment, type PaymentPatch, type PaymentRecord } from '../ledger/payments';
import { getRefund, insertRefundIntent, updateRefund, type RefundIntent, type RefundPatch, type RefundRecord } from '../ledger/refunds';
import type { Timers } from '../util/time';
import { isFinalPayment, isFinalRefund } from './decide';
import type { GatewayExchangeRecord } from './port';

export interface JournalDeps {
  db: Db;
  now: () => number;
  timers: Timers;
  onPayment: (payment: PaymentRecord) => void;
  onRefund: (refund: RefundRecord) => void;
  /** After the commit that made a payment or refund final. */
  onFinal?: (entity: 'payment' | 'refund', id: number) => void;
  /** Retrying a locked ledger stops once this says so (shutdown). */
  stopped?: () => boolean;
}

interface Pending {
  payments: PaymentRecord[];
  refunds: RefundRecord[];
  hooks: (() => void)[];
}

export class Journal {
  /** What waits for the open batch's commit (null outside a batch). */
  private pending: Pending | null = null;

  constructor(private readonly deps: JournalDeps) {}

  /**
   * Runs ledger writes in one transaction (one fsync) and tells the windows only after the commit, so
   * nothing is shown that the ledger could still lose. Nested calls join the outer batch.
   */
  batch<T>(fn: () => T, immediate = false): T {
    if (this.pending !== null) return fn();
    const pending: Pending = { payments: [], refunds: [], hooks: [] };
    this.pending = pending;
    let committed = false;
    try {
      const run = this.deps.db.transaction(fn);
      const result = immediate ? run.immediate() : run();
      committed = true;
      return result;
    } catch (error) {
      // A locked, full or damaged ledger gets its stable code (LEDGER_BUSY / DISK_FULL / LEDGER_CORRUPT).
      throw asLedgerError(error);
    } finally {
      this.pending = null;
      // In-memory bookkeeping (timers, backoff, forget) follows the ledger, never runs ahead of it:
      // after a failed commit none of it happened.
      if (committed) {
        for (const hook of pending.hooks) hook();
        for (const payment of pending.payments) this.deps.onPayment(payment);
        for (const refund of pending.refunds) this.deps.onRefund(refund);
      }
    }
  }

  /**
   * Commits `fn` as one batch, retrying for a short while (≤ ~1.5 s) when another program holds the
   * ledger's lock. Other errors, and a lock that lasts, are thrown (mapped to stable codes).
   */
  async commitRetrying<T>(fn: () => T): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return this.batch(fn);
      } catch (error) {
        if (!(error instanceof AppError) || error.code !== 'LEDGER_BUSY' || attempt >= 4 || this.deps.stopped?.() === true) throw error;
        await new Promise<void>((resolve) => this.deps.timers.setTimeout(resolve, 100 * 2 ** attempt));
      }
    }
  }

  /** Work to do once the current batch has committed (at once outside a batch). */
  onCommit(fn: () => void): void {
    if (this.pending !== null) this.pending.hooks.push(fn);
    else fn();
  }

  emitPayment(payment: PaymentRecord): void {
    if (this.pending !== null) this.pending.payments.push(payment);
    else this.deps.onPayment(payment);
  }

  emitRefund(refund: RefundRecord): void {
    if (this.pending !== null) this.pending.refunds.push(refund);
    else this.deps.onRefund(refund);
  }

  /** Patch + status event in one commit (or the caller's); timers and windows follow after the commit. */
  patchPayment(id: number, patch: PaymentPatch): PaymentRecord {
    return this.batch(() => {
      const { db, now } = this.deps;
      const before = getPayment(db, id);
      const updated = updatePayment(db, id, patch, now());
      this.statusEvent('payment', id, before.status, updated);
      if (isFinalPayment(updated.status)) this.onCommit(() => this.deps.onFinal?.('payment', id));
      this.emitPayment(updated);
      return updated;
    });
  }

  /** As patchPayment, for refunds. */
  patchRefund(id: number, patch: RefundPatch): RefundRecord {
    return this.batch(() => {
      const { db, now } = this.deps;
      const before = getRefund(db, id);
      const updated = updateRefund(db, id, patch, now());
      this.statusEvent('refund', id, before.status, updated);
      if (isFinalRefund(updated.status)) this.onCommit(() => this.deps.onFinal?.('refund', id));
      this.emitRefund(updated);
      return updated;
    });
  }

  /** One gateway exchange (request, raw answer, outcome) as the adapter recorded it. */
  exchange(entity: 'payment' | 'refund', id: number, record: GatewayExchangeRecord, actor: string | null): void {
    appendEvent(this.deps.db, { at: record.at, entity, entityId: id, type: record.type, actor, data: record.data });
  }

  /**
   * A refund's intent (its refund number allocated inside), one immediate commit for gateway refunds and recorded ones alike: the capped
   * insert (insertRefundIntent), its `intent` event (with `extra` facts), the payment's
   * `refund_requested`, and the windows told after the commit.
   */
  refundIntent(intent: Omit<RefundIntent, 'refundNo'>, extra: Record<string, unknown> = {}): RefundRecord {
    return this.batch(() => {
      const inserted = insertRefundIntent(this.deps.db, { ...intent, refundNo: newOrderNumber(this.deps.db, 'R', intent.now) });
      this.event(
        'refund',
        inserted.id,
        'intent',
        {
          refundNo: inserted.refundNo,
          paymentId: intent.paymentId,
          amountFen: inserted.amountFen,
          reason: intent.reason,
          approvedBy: intent.approvedBy,
          ...extra,
        },
        intent.operator,
        intent.now,
      );
      this.event('payment', intent.paymentId, 'refund_requested', { refundId: inserted.id, amountFen: inserted.amountFen }, intent.operator, intent.now);
      this.emitRefund(inserted);
      return inserted;
    }, true);
  }

  /** An event of a payment or refund (intent, close_requested, manual_resolution, …), in the current batch. */
  event(entity: 'payment' | 'refund', id: number, type: string, data: Record<string, unknown>, actor?: string | null, at = this.deps.now()): void {
    appendEvent(this.deps.db, { at, entity, entityId: id, type, ...(actor === undefined ? {} : { actor }), data });
  }

  private statusEvent(
    entity: 'payment' | 'refund',
    id: number,
    from: string,
    updated: { status: string; respCode: string | null; respMsg: string | null },
  ): void {
    if (from === updated.status) return;
    appendEvent(this.deps.db, {
      at: this.deps.now(),
      entity,
      entityId: id,
      type: 'status',
      data: { from, to: updated.status, respCode: updated.respCode, respMsg: updated.respMsg },
    });
  }
}
