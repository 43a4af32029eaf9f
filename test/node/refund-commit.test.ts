import { afterEach, describe, expect, it, vi } from 'vitest';
import { getPayment, type PaymentRecord } from '../../src/core/ledger/payments';
import { getRefund, listRefundsForPayment, refundTotals } from '../../src/core/ledger/refunds';
import { startEngineHarness, type EngineHarness } from '../support/engine-harness';

/**
 * The refund's commit rule, proven by making the last write of a step fail: every write of that step
 * is rolled back with it (one commit per step), the window hears nothing of it, and no R is sent twice.
 */
const harnesses: EngineHarness[] = [];
afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.close()));
});

const WAIT = { timeout: 5000, interval: 10 };

async function paidSale(h: EngineHarness): Promise<PaymentRecord> {
  h.sim.scriptNext({ kind: 'pay_after_queries', queries: 0 });
  const p = await h.engine.createPayment({ amountFen: 1000, operator: '001' });
  await vi.waitFor(() => expect(getPayment(h.db, p.id).status).toBe('paid'), WAIT);
  return getPayment(h.db, p.id);
}

/** Makes the ledger refuse one kind of event of refunds (a temp trigger on the engine's own connection). */
function refuseRefundEvent(h: EngineHarness, type: string): () => void {
  h.db.exec(
    `CREATE TEMP TRIGGER refuse_${type.replace(/\W/g, '_')} BEFORE INSERT ON events WHEN NEW.entity = 'refund' AND NEW.type = '${type}' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`,
  );
  return () => h.db.exec(`DROP TRIGGER temp.refuse_${type.replace(/\W/g, '_')}`);
}

describe('refunds: one commit per step', () => {
  it('the intent, its two events and the cap check are one commit: a refused event leaves no refund and nothing sent', async () => {
    const h = await startEngineHarness();
    harnesses.push(h);
    const p = await paidSale(h);
    const heard = h.refundUpdates.length;
    refuseRefundEvent(h, 'intent');
    await expect(h.engine.createRefund({ paymentId: p.id, amountFen: 300, reason: 'x', operator: '001', approvedBy: 'S01' })).rejects.toThrow();
    expect(listRefundsForPayment(h.db, p.id)).toEqual([]);
    expect(h.db.prepare("SELECT count(*) AS n FROM events WHERE entity = 'payment' AND type = 'refund_requested'").get()).toEqual({ n: 0 });
    expect(h.refundUpdates.length).toBe(heard);
    expect(h.sim.countRequests('R')).toBe(0);
  });

  it("R's answer (exchange, state, trace, status event) is one commit: when its last write fails none of it is kept, and R is not resent", async () => {
    const h = await startEngineHarness();
    harnesses.push(h);
    const p = await paidSale(h);
    const allow = refuseRefundEvent(h, 'status');
    // The "R sent" marker changes no status, so it is written; the answer's status event is refused.
    await expect(h.engine.createRefund({ paymentId: p.id, amountFen: 300, reason: 'x', operator: '001', approvedBy: 'S01' })).rejects.toThrow();
    const [r] = listRefundsForPayment(h.db, p.id);
    expect(r).toMatchObject({ status: 'created', sysTrace: null });
    expect(r?.sentAt).not.toBeNull();
    const types = (h.db.prepare("SELECT type FROM events WHERE entity = 'refund' AND entity_id = ? ORDER BY id").all(r!.id) as { type: string }[]).map(
      (e) => e.type,
    );
    expect(types).toEqual(['intent']);
    expect(h.refundUpdates.filter((u) => u.id === r!.id).map((u) => u.status)).toEqual(['created', 'created']);
    expect(h.sim.countRequests('R')).toBe(1);
    // The refund is still counted against the cap (R may have taken effect), and the supervisor path applies.
    expect(refundTotals(h.db, p.id).remainingFen).toBe(700);
    allow();
    await expect(h.engine.requeryRefund(r!.id)).rejects.toMatchObject({ code: 'REFUND_NEEDS_SUPERVISOR' });
    expect(getRefund(h.db, r!.id).status).toBe('unknown');
    expect(h.sim.countRequests('R')).toBe(1);
  });
});
