/**
 * Training and live share one ledger: a supervisor's money action in one mode must not reach a record of
 * the other. In training mode the training PINs (800/8888 …) are valid; without this, a trainee could
 * refund or settle a LIVE sale by its id — a real refund through the live gateway, approved with a
 * published PIN. Each action on a record of the other mode is NOT_FOUND and changes nothing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ledgerRows, startCounter, SUPERVISOR, type TestCounter } from '../support/counter';
import { tempDir } from '../support/temp';

describe('money actions stay in their own mode', () => {
  let counter: TestCounter | null = null;
  let cleanup: (() => void) | null = null;
  afterEach(async () => {
    await counter?.close();
    counter = null;
    cleanup?.();
    cleanup = null;
  });

  it('in training mode, with a training PIN: refunding, settling or cancelling a live sale, or settling a live refund, is NOT_FOUND and writes nothing', async () => {
    const t = tempDir('mode-money-');
    cleanup = t.cleanup;
    counter = await startCounter(t.dir);
    const db = counter.core.db;
    const now = Date.now();
    const insert = db.prepare(
      `INSERT INTO payments (trade_no, mode, tender, gateway, amount_fen, status, business_day, created_at, updated_at, gateway_ref, paid_at)
       VALUES (?, 'live', 'qr', 'bpc', 5000, ?, '2026-12-02', ?, ?, ?, ?)`,
    );
    const paid = Number(insert.run('P-LIVE-PAID', 'paid', now, now, '3738154220261202100000000001', now).lastInsertRowid);
    const unknown = Number(insert.run('P-LIVE-UNKNOWN', 'unknown', now, now, '3738154220261202100000000002', null).lastInsertRowid);
    const refund = Number(
      db
        .prepare(
          `INSERT INTO refunds (refund_no, payment_id, mode, gateway, amount_fen, status, business_day, created_at, updated_at)
           VALUES ('R-LIVE', ?, 'live', 'bpc', 100, 'unknown', '2026-12-02', ?, ?)`,
        )
        .run(paid, now, now).lastInsertRowid,
    );
    const before = JSON.stringify([ledgerRows(t.dir, 'SELECT * FROM payments ORDER BY id'), ledgerRows(t.dir, 'SELECT * FROM refunds ORDER BY id')]);
    const refused = async (p: Promise<unknown>): Promise<string> =>
      p.then(
        () => 'accepted',
        (e: unknown) => (e as { code?: string; info?: { code?: string } }).info?.code ?? (e as { code?: string }).code ?? 'error',
      );
    expect(await refused(counter.invoke('refund:create', { paymentId: paid, amountFen: 100, reason: '培训', approval: SUPERVISOR }))).toBe('NOT_FOUND');
    expect(await refused(counter.invoke('refund:resolve', { id: refund, outcome: 'failed', reason: '培训', approval: SUPERVISOR }))).toBe('NOT_FOUND');
    expect(await refused(counter.invoke('payment:resolve', { id: unknown, outcome: 'failed', reason: '培训', supervisor: SUPERVISOR }))).toBe('NOT_FOUND');
    expect(await refused(counter.invoke('payment:cancel', { id: unknown }))).toBe('NOT_FOUND');
    const after = JSON.stringify([ledgerRows(t.dir, 'SELECT * FROM payments ORDER BY id'), ledgerRows(t.dir, 'SELECT * FROM refunds ORDER BY id')]);
    expect(after).toBe(before);
  });
});
