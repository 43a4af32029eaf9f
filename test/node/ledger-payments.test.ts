import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PaymentStatusSchema, RefundStatusSchema, type PaymentStatus, type RefundStatus } from '../../src/shared/domain';
import { openLedger, type Db } from '../../src/core/ledger/db';
import {
  canTransition,
  findPaymentBySysTrace,
  getPayment,
  insertPaymentIntent,
  isFinal,
  latestPayment,
  listOpenPayments,
  updatePayment,
  type PaymentIntent,
} from '../../src/core/ledger/payments';
import { canRefundTransition, insertRefundIntent, listOpenRefunds, refundTotals, updateRefund, type RefundIntent } from '../../src/core/ledger/refunds';

const P: readonly PaymentStatus[] = PaymentStatusSchema.options;
const R: readonly RefundStatus[] = RefundStatusSchema.options;

/** The payment state machine, written out independently of the code (self-moves are always no-ops). */
const PAYMENT_MOVES: Record<PaymentStatus, PaymentStatus[]> = {
  // created → waiting: a gateway that answers "accepted, poll" (Yima's 9998), ledger migration 6.
  created: ['created', 'qr_issued', 'waiting', 'paid', 'failed', 'unknown'],
  qr_issued: ['qr_issued', 'waiting', 'paid', 'failed', 'closed', 'unknown'],
  waiting: ['waiting', 'paid', 'failed', 'closed', 'unknown'],
  unknown: ['unknown', 'waiting', 'paid', 'failed', 'closed'],
  paid: ['paid'],
  failed: ['failed', 'paid'],
  closed: ['closed', 'paid'],
};

const REFUND_MOVES: Record<RefundStatus, RefundStatus[]> = {
  created: ['created', 'pending', 'succeeded', 'failed', 'unknown'],
  pending: ['pending', 'succeeded', 'failed', 'unknown'],
  unknown: ['unknown', 'pending', 'succeeded', 'failed'],
  succeeded: ['succeeded'],
  failed: ['failed'],
};

let dir: string;
let db: Db;
let n = 0;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cashier-ledger-'));
  db = openLedger(join(dir, 'ledger.sqlite'));
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function intent(over: Partial<PaymentIntent> = {}): PaymentIntent {
  n += 1;
  return {
    tradeNo: `P${n}`,
    merOrderNo: null,
    memo: null,
    mode: 'training',
    tender: 'qr',
    gateway: 'bpc',
    amountFen: 1000,
    operator: '001',
    businessDay: '2026-01-02',
    now: 1000 + n,
    ...over,
  };
}

/** Drives a new payment into `status` through legal moves only. */
function paymentIn(status: PaymentStatus): number {
  const p = insertPaymentIntent(db, intent());
  const path: Record<PaymentStatus, PaymentStatus[]> = {
    created: [],
    qr_issued: ['qr_issued'],
    waiting: ['qr_issued', 'waiting'],
    unknown: ['qr_issued', 'unknown'],
    paid: ['qr_issued', 'paid'],
    failed: ['failed'],
    closed: ['qr_issued', 'closed'],
  };
  for (const s of path[status]) updatePayment(db, p.id, { status: s, ...(s === 'qr_issued' ? { sysTrace: `S${p.id}` } : {}) }, 2000);
  return p.id;
}

describe('payment state machine', () => {
  it.each(P.flatMap((from) => P.map((to) => [from, to] as const)))('%s → %s', (from, to) => {
    const allowed = PAYMENT_MOVES[from].includes(to);
    expect(canTransition(from, to)).toBe(allowed);
    const id = paymentIn(from);
    if (allowed) {
      expect(updatePayment(db, id, { status: to }, 3000).status).toBe(to);
    } else {
      expect(() => updatePayment(db, id, { status: to }, 3000)).toThrow(expect.objectContaining({ code: 'INVALID_STATE' }) as Error);
      expect(getPayment(db, id).status).toBe(from);
    }
  });

  it('paid is never left', () => {
    const id = paymentIn('paid');
    for (const to of P.filter((s) => s !== 'paid')) {
      expect(() => updatePayment(db, id, { status: to }, 3000)).toThrow(/paid → /);
    }
    expect(getPayment(db, id).status).toBe('paid');
  });

  it('a late payment after close or failure is recorded as paid, never lost', () => {
    for (const from of ['closed', 'failed'] as const) {
      const id = paymentIn(from);
      const finalAt = getPayment(db, id).finalAt;
      expect(finalAt).not.toBeNull();
      const paid = updatePayment(db, id, { status: 'paid', paidAt: 5000 }, 5000);
      expect(paid).toMatchObject({ status: 'paid', paidAt: 5000 });
      // final_at moves to the late payment: money that arrives after its day was closed is found by
      // final_at > closed_at (the addendum, the next day's late settlements), so it is never in no report.
      expect(paid.finalAt).toBe(5000);
      expect(paid.finalAt).not.toBe(finalAt);
    }
  });

  it('final states are paid, failed and closed', () => {
    expect(P.filter(isFinal)).toEqual(['paid', 'failed', 'closed']);
  });

  it('updatePayment sets final_at once, counts queries and keeps untouched columns', () => {
    const p = insertPaymentIntent(db, intent({ merOrderNo: 'M1', memo: 'x' }));
    expect(p).toMatchObject({ status: 'created', sentAt: p.createdAt, finalAt: null, queryCount: 0, merOrderNo: 'M1' });
    updatePayment(db, p.id, { status: 'qr_issued', sysTrace: 'T1', scanCode: 'https://qr/1', qrExpiresAt: 9000 }, 2000);
    updatePayment(db, p.id, { queryCountIncrement: true, status: 'waiting', respCode: '88' }, 2100);
    updatePayment(db, p.id, { queryCountIncrement: true }, 2200);
    const closed = updatePayment(db, p.id, { status: 'closed', closeRequestedAt: 2250 }, 2300);
    expect(closed).toMatchObject({
      status: 'closed',
      sysTrace: 'T1',
      scanCode: 'https://qr/1',
      qrExpiresAt: 9000,
      respCode: '88',
      queryCount: 2,
      finalAt: 2300,
      updatedAt: 2300,
      closeRequested: true,
      closeRequestedAt: 2250,
      merOrderNo: 'M1',
      memo: 'x',
    });
  });

  it('refuses a second intent with the same order number', () => {
    insertPaymentIntent(db, intent({ tradeNo: 'DUP' }));
    expect(() => insertPaymentIntent(db, intent({ tradeNo: 'DUP' }))).toThrow(expect.objectContaining({ code: 'INVALID_STATE' }) as Error);
  });

  it('finds payments by trace, lists the open ones and the latest per mode', () => {
    const open = [paymentIn('created'), paymentIn('qr_issued'), paymentIn('waiting'), paymentIn('unknown')];
    paymentIn('paid');
    paymentIn('failed');
    paymentIn('closed');
    const live = insertPaymentIntent(db, intent({ mode: 'live' }));
    expect(listOpenPayments(db).map((p) => p.id)).toEqual([...open, live.id]);
    expect(findPaymentBySysTrace(db, `S${open[1] ?? 0}`)?.id).toBe(open[1]);
    expect(findPaymentBySysTrace(db, 'nope')).toBeUndefined();
    expect(latestPayment(db, 'live')?.id).toBe(live.id);
    expect(latestPayment(db, 'training')?.id).toBe(live.id - 1);
    expect(() => getPayment(db, 999)).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }) as Error);
  });
});

describe('refund state machine and cap', () => {
  const refundIntent = (paymentId: number, amountFen: number, over: Partial<RefundIntent> = {}): RefundIntent => {
    n += 1;
    return { refundNo: `R${n}`, paymentId, amountFen, reason: 'test', operator: '001', approvedBy: 'S1', businessDay: '2026-01-02', now: 5000, ...over };
  };

  it.each(R.flatMap((from) => R.map((to) => [from, to] as const)))('%s → %s', (from, to) => {
    expect(canRefundTransition(from, to)).toBe(REFUND_MOVES[from].includes(to));
  });

  it('updateRefund refuses illegal moves and stamps final_at', () => {
    const paymentId = paymentIn('paid');
    const r = insertRefundIntent(db, refundIntent(paymentId, 100));
    expect(updateRefund(db, r.id, { status: 'pending', sysTrace: 'RT1' }, 6000).finalAt).toBeNull();
    const done = updateRefund(db, r.id, { status: 'succeeded', queryCountIncrement: true }, 7000);
    expect(done).toMatchObject({ status: 'succeeded', finalAt: 7000, queryCount: 1, sysTrace: 'RT1' });
    expect(() => updateRefund(db, r.id, { status: 'failed' }, 8000)).toThrow(expect.objectContaining({ code: 'INVALID_STATE' }) as Error);
  });

  it('counts succeeded and in-flight refunds against what was paid; failed ones free the cap', () => {
    const paymentId = paymentIn('paid');
    const a = insertRefundIntent(db, refundIntent(paymentId, 300));
    const b = insertRefundIntent(db, refundIntent(paymentId, 200));
    updateRefund(db, a.id, { status: 'succeeded' }, 6000);
    expect(refundTotals(db, paymentId)).toEqual({ paidFen: 1000, refundedFen: 300, inFlightFen: 200, remainingFen: 500 });
    updateRefund(db, b.id, { status: 'unknown' }, 6000);
    expect(refundTotals(db, paymentId).remainingFen).toBe(500);
    expect(() => insertRefundIntent(db, refundIntent(paymentId, 501))).toThrow(expect.objectContaining({ code: 'REFUND_EXCEEDS_PAID' }) as Error);
    updateRefund(db, b.id, { status: 'failed' }, 6000);
    expect(refundTotals(db, paymentId)).toEqual({ paidFen: 1000, refundedFen: 300, inFlightFen: 0, remainingFen: 700 });
    expect(insertRefundIntent(db, refundIntent(paymentId, 700)).status).toBe('created');
    expect(refundTotals(db, paymentId).remainingFen).toBe(0);
    expect(() => insertRefundIntent(db, refundIntent(paymentId, 1))).toThrow(expect.objectContaining({ code: 'REFUND_EXCEEDS_PAID' }) as Error);
    expect(listOpenRefunds(db).map((r) => r.amountFen)).toEqual([700]);
  });

  it('refuses refunds of a payment that is not paid, and bad amounts', () => {
    for (const s of ['created', 'qr_issued', 'waiting', 'unknown', 'failed', 'closed'] as const) {
      const id = paymentIn(s);
      expect(() => insertRefundIntent(db, refundIntent(id, 1))).toThrow(expect.objectContaining({ code: 'INVALID_STATE' }) as Error);
    }
    const paid = paymentIn('paid');
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(() => insertRefundIntent(db, refundIntent(paid, bad))).toThrow(expect.objectContaining({ code: 'AMOUNT_INVALID' }) as Error);
    }
    expect(listOpenRefunds(db)).toHaveLength(0);
  });

  it('a second connection to the same ledger file cannot slip past the cap', () => {
    const paymentId = paymentIn('paid');
    const other = openLedger(db.name);
    try {
      insertRefundIntent(db, refundIntent(paymentId, 600));
      expect(() => insertRefundIntent(other, refundIntent(paymentId, 600))).toThrow(expect.objectContaining({ code: 'REFUND_EXCEEDS_PAID' }) as Error);
      expect(insertRefundIntent(other, refundIntent(paymentId, 400)).amountFen).toBe(400);
    } finally {
      other.close();
    }
  });
});
