import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '../../src/shared/errors';
import type { PaymentStatus } from '../../src/shared/domain';
import { startNotifyListener } from '../../src/core/gateways/bpc/notify-listener';
import type { LedgerEvent } from '../../src/core/ledger/events';
import { CLOSE_RESENDS } from '../../src/core/payments/decide';
import { getPayment, insertPaymentIntent, updatePayment, type PaymentRecord } from '../../src/core/ledger/payments';
import { getRefund } from '../../src/core/ledger/refunds';
import type { RecordedRequest } from '../../src/core/simulators/bpc/index';
import { silentLogger } from '../../src/core/util/logger';
import { HARNESS_KEY, startEngineHarness, type EngineHarness, type HarnessOptions } from '../support/engine-harness';

const harnesses: EngineHarness[] = [];
const extraCleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of extraCleanups.splice(0)) await c();
  await Promise.all(harnesses.splice(0).map((h) => h.close()));
});

async function harness(options: HarnessOptions = {}): Promise<EngineHarness> {
  const h = await startEngineHarness(options);
  harnesses.push(h);
  return h;
}

const WAIT = { timeout: 5000, interval: 10 };

async function until(h: EngineHarness, id: number, status: PaymentStatus): Promise<PaymentRecord> {
  await vi.waitFor(() => expect(getPayment(h.db, id).status).toBe(status), WAIT);
  return getPayment(h.db, id);
}

/** Real time passes so that any wrongly scheduled request would have been sent. */
const settle = (ms = 150): Promise<void> => new Promise((r) => setTimeout(r, ms));

function statusMoves(h: EngineHarness, id: number): string[] {
  return h
    .events('payment', id)
    .filter((e) => e.type === 'status')
    .map((e) => {
      const d = e.data as { from: string; to: string };
      return `${d.from}>${d.to}`;
    });
}

const ops = (h: EngineHarness): string[] => h.sim.requests().map((r) => r.tranType);
const sale = (h: EngineHarness, amountFen = 1234): Promise<PaymentRecord> => h.engine.createPayment({ amountFen, operator: '001' });

describe('payment engine: happy paths', () => {
  it('paid after N queries (88 … 88 then 00), one F only', async () => {
    const h = await harness();
    h.sim.scriptNext({ kind: 'pay_after_queries', queries: 3, payType: 'ZFBA' });
    const p = await sale(h, 12850);
    expect(p).toMatchObject({ status: 'qr_issued', amountFen: 12850, mode: 'training' });
    expect(p.sysTrace).toMatch(/^\d{28}$/);
    expect(p.scanCode).toMatch(/^https:\/\//);
    const paid = await until(h, p.id, 'paid');
    expect(paid).toMatchObject({ payType: 'ZFBA', respCode: '00', queryCount: 4 });
    expect(paid.paidAt).not.toBeNull();
    expect(paid.finalAt).not.toBeNull();
    expect(h.sim.countRequests('F')).toBe(1);
    expect(h.sim.countRequests('G')).toBe(4);
    expect(statusMoves(h, p.id)).toEqual(['created>qr_issued', 'qr_issued>waiting', 'waiting>paid']);
    expect(h.paymentUpdates.map((u) => u.status)).toContain('waiting');
    expect(h.sim.order(p.sysTrace ?? '')?.state).toBe('paid');
    // Polling stops once paid.
    await settle();
    expect(h.sim.countRequests('G')).toBe(4);
  });

  it('sends the F the bank expects: 12-digit amount, our unique order number, merOrderNo, payType, retUrl', async () => {
    const h = await harness({ retUrl: 'http://127.0.0.1:9/notify', qrValidTimeField: '300' });
    h.sim.scriptNext({ kind: 'pay_after_queries', queries: 0 });
    const p = await h.engine.createPayment({ amountFen: 1, merOrderNo: ' M-7 ', memo: '', payType: 'UPAY', operator: '042' });
    const f = h.sim.requests()[0]?.body;
    expect(f).toEqual({
      tranType: 'F',
      posNo: '37381542',
      mid: '104320170118888',
      txnAmt: '000000000001',
      tradeNo: p.tradeNo,
      qrValidTime: '300',
      payType: 'UPAY',
      tellerNo: '042',
      merOrderNo: 'M-7',
      retUrl: 'http://127.0.0.1:9/notify',
    });
    expect(p.tradeNo).toMatch(/^P\d{19}$/);
    expect(p).toMatchObject({ merOrderNo: 'M-7', memo: null, operator: '042' });
    await until(h, p.id, 'paid');
  });

  it('refuses bad amounts and a second open sale before anything is sent', async () => {
    const h = await harness();
    h.sim.scriptNext({ kind: 'manual' });
    await expect(sale(h, 0)).rejects.toMatchObject({ code: 'AMOUNT_INVALID' });
    await expect(sale(h, 5_000_001)).rejects.toMatchObject({ code: 'AMOUNT_TOO_LARGE' });
    const first = await sale(h);
    await expect(sale(h)).rejects.toMatchObject({ code: 'INVALID_STATE' });
    expect(h.sim.countRequests('F')).toBe(1);
    await h.engine.cancelPayment(first.id, '001');
    expect(getPayment(h.db, first.id).status).toBe('closed');
  });
});

describe('payment engine: unclear and failed answers', () => {
  it('99 for a while → 状态未明 (unknown) after unknownAfterMs → later 00 → paid', async () => {
    const h = await harness();
    h.sim.scriptNext({ kind: 'unknown_then', queries: 100_000, then: 'paid' });
    const p = await sale(h);
    await until(h, p.id, 'unknown');
    const g = h.sim.countRequests('G');
    // It is never treated as a failure and keeps being queried.
    await vi.waitFor(() => expect(h.sim.countRequests('G')).toBeGreaterThan(g + 1), WAIT);
    expect(getPayment(h.db, p.id).status).toBe('unknown');
    // A new sale may start while one is 状态未明.
    expect(h.sim.pay(p.sysTrace ?? '')).toBe(true);
    const paid = await until(h, p.id, 'paid');
    expect(paid.respCode).toBe('00');
    expect(statusMoves(h, p.id)).toEqual(['created>qr_issued', 'qr_issued>unknown', 'unknown>paid']);
    expect(h.sim.countRequests('F')).toBe(1);
  });

  it('77 on G → failed, and querying stops', async () => {
    const h = await harness();
    h.sim.scriptNext({ kind: 'fail' });
    const p = await sale(h);
    const failed = await until(h, p.id, 'failed');
    expect(failed.respCode).toBe('77');
    await settle();
    expect(h.sim.countRequests('G')).toBe(1);
  });

  it('F rejected → failed with the bank’s code, nothing queried', async () => {
    const h = await harness();
    h.sim.scriptNext({ kind: 'reject_create', respCode: '13', respMsg: '金额无效' });
    const p = await sale(h);
    expect(p).toMatchObject({ status: 'failed', respCode: '13', sysTrace: null });
    expect(p.respMsg).toContain('金额无效');
    await settle();
    expect(ops(h)).toEqual(['F']);
  });

  it.each(['reset', 'garbage', 'html', 'http_500', 'missing_resp_code', 'bad_sign'] as const)(
    'F fault %s before processing → failed, and NO second F',
    async (kind) => {
      const h = await harness();
      h.sim.injectFault('F', { kind });
      const p = await sale(h);
      expect(p.status).toBe('failed');
      expect(p.sysTrace).toBeNull();
      expect(p.respMsg).toMatch(/nothing was charged/);
      await settle();
      expect(ops(h)).toEqual(['F']);
      expect(h.sim.orders()).toHaveLength(0);
      // The cashier can start the next sale at once.
      h.sim.scriptNext({ kind: 'pay_after_queries', queries: 0 });
      const next = await sale(h);
      expect(next.tradeNo).not.toBe(p.tradeNo);
      await until(h, next.id, 'paid');
    },
  );

  it('F answer lost after the bank created the order → failed locally, exactly one F', async () => {
    const h = await harness();
    h.sim.injectFault('F', { kind: 'reset' }, { after: true });
    const p = await sale(h);
    expect(p.status).toBe('failed');
    await settle();
    expect(h.sim.countRequests('F')).toBe(1);
    // The order exists at the bank, but its QR was never shown to anyone: it cannot be paid.
    expect(h.sim.orders().map((o) => [o.tradeNo, o.state])).toEqual([[p.tradeNo, 'waiting']]);
  });

  it('F timeout → failed, exactly one F even though the bank processed it late', async () => {
    const h = await harness({ timeouts: { responseMs: 200 } });
    h.sim.injectFault('F', { kind: 'delay', ms: 2500 });
    const p = await sale(h);
    expect(p.status).toBe('failed');
    expect(p.respMsg).toMatch(/timeout/);
    expect(h.sim.countRequests('F')).toBe(1);
  });

  it('G faults (reset, garbage, html, 500) keep querying and never send F again', async () => {
    const h = await harness();
    h.sim.scriptNext({ kind: 'pay_after_queries', queries: 0 });
    h.sim.injectFault('G', { kind: 'reset' }, { count: 2 });
    h.sim.injectFault('G', { kind: 'garbage' }, { count: 2 });
    h.sim.injectFault('G', { kind: 'html' });
    h.sim.injectFault('G', { kind: 'http_500' });
    const p = await sale(h);
    await until(h, p.id, 'paid');
    expect(h.sim.countRequests('F')).toBe(1);
    expect(h.sim.requests().filter((r) => r.tranType === 'G' && r.fault !== null)).toHaveLength(6);
    const faults = h.events('payment', p.id).filter((e) => e.type === 'bpc.G' && (e.data as { outcome: string }).outcome === 'transport_unknown');
    expect(faults.map((e) => (e.data as { reason: string }).reason)).toEqual(['reset', 'reset', 'not_json', 'not_json', 'not_json', 'http_status']);
  });

  it('a G answer lost after the payment landed is recovered by the next G', async () => {
    const h = await harness();
    h.sim.scriptNext({ kind: 'pay_after_queries', queries: 0 });
    h.sim.injectFault('G', { kind: 'reset' }, { after: true });
    const p = await sale(h);
    await until(h, p.id, 'paid');
    expect(h.sim.countRequests('G')).toBe(2);
    expect(h.sim.countRequests('F')).toBe(1);
  });

  it('G timeouts keep querying and never send F again', async () => {
    const h = await harness({ timeouts: { responseMs: 200 } });
    h.sim.scriptNext({ kind: 'pay_after_queries', queries: 0 });
    h.sim.injectFault('G', { kind: 'delay', ms: 2500 });
    const p = await sale(h);
    await until(h, p.id, 'paid');
    expect(h.sim.countRequests('F')).toBe(1);
    const first = h.events('payment', p.id).find((e) => e.type === 'bpc.G');
    expect(first?.data).toMatchObject({ outcome: 'transport_unknown', reason: 'timeout' });
  });

  it('transport failures lasting past unknownAfterMs show 状态未明, then recover', async () => {
    const h = await harness();
    h.sim.scriptNext({ kind: 'pay_after_queries', queries: 0 });
    h.sim.injectFault('G', { kind: 'reset' }, { count: 1000 });
    const p = await sale(h);
    await until(h, p.id, 'unknown');
    h.sim.reset();
    await until(h, p.id, 'paid');
    expect(h.sim.countRequests('F')).toBe(1);
  });
});

describe('payment engine: cancel and expiry', () => {
  it('cancel of an unpaid order → S then G → closed, and the bank’s order is closed', async () => {
    const h = await harness({ schedule: { firstQueryMs: 60_000 } });
    h.sim.scriptNext({ kind: 'manual' });
    const p = await sale(h);
    const closed = await h.engine.cancelPayment(p.id, '001');
    expect(closed.status).toBe('closed');
    expect(closed.closeRequested).toBe(true);
    expect(ops(h)).toEqual(['F', 'S', 'G']);
    expect(h.sim.order(p.sysTrace ?? '')?.state).toBe('closed');
    const requested = h.events('payment', p.id).find((e) => e.type === 'close_requested');
    expect(requested).toMatchObject({ actor: '001', data: { why: 'cancel' } });
    await expect(h.engine.cancelPayment(p.id, '001')).rejects.toMatchObject({ code: 'INVALID_STATE' });
    await settle();
    expect(ops(h)).toEqual(['F', 'S', 'G']);
  });

  it('the close/pay race: the payment lands as S arrives → paid, not closed', async () => {
    const h = await harness({ schedule: { firstQueryMs: 60_000 } });
    h.sim.scriptNext({ kind: 'manual' });
    const p = await sale(h);
    h.sim.payOnClose(p.sysTrace ?? '');
    const after = await h.engine.cancelPayment(p.id, '001');
    expect(after.status).toBe('paid');
    expect(ops(h)).toEqual(['F', 'S', 'G']);
    const s = h.events('payment', p.id).find((e) => e.type === 'bpc.S');
    expect(JSON.parse((s?.data as { response: string }).response)).toMatchObject({ respCode: '12' });
  });

  it('cancel while F is still in flight closes the order as soon as its trace arrives', async () => {
    const h = await harness();
    h.sim.scriptNext({ kind: 'manual' });
    h.sim.injectFault('F', { kind: 'delay', ms: 300 });
    const creating = sale(h);
    await vi.waitFor(() => expect(h.paymentUpdates.length).toBeGreaterThan(0), WAIT);
    const id = h.paymentUpdates[0]?.id ?? 0;
    const early = await h.engine.cancelPayment(id, '001');
    expect(early).toMatchObject({ status: 'created', closeRequested: true });
    await creating;
    await until(h, id, 'closed');
    expect(ops(h)).toEqual(['F', 'S', 'G']);
  });

  it('a cancel whose S fails and whose G still says 88 stays 状态未明 (not waiting) and does not block the next sale', async () => {
    const h = await harness();
    h.sim.scriptNext({ kind: 'manual' });
    const p = await sale(h);
    // Every close is lost: it is sent again at most CLOSE_RESENDS times (closing is not a money request).
    h.sim.injectFault('S', { kind: 'reset' }, { count: 100 });
    const after = await h.engine.cancelPayment(p.id, '001');
    expect(after.status).toBe('unknown');
    await vi.waitFor(() => expect(h.sim.countRequests('S')).toBe(1 + CLOSE_RESENDS), WAIT);
    const g = h.sim.countRequests('G');
    // Later queries (with backoff) still answer 88: the close was asked for, so the sale stays 状态未明.
    await vi.waitFor(() => expect(h.sim.countRequests('G')).toBeGreaterThan(g + 1), WAIT);
    expect(getPayment(h.db, p.id).status).toBe('unknown');
    h.sim.scriptNext({ kind: 'manual' });
    const next = await sale(h);
    expect(next.status).toBe('qr_issued');
    // If the customer still pays the first QR, it is found and recorded.
    expect(h.sim.pay(p.sysTrace ?? '')).toBe(true);
    await until(h, p.id, 'paid');
    expect(h.sim.countRequests('S')).toBe(1 + CLOSE_RESENDS);
  });

  it('with S disabled by the bank profile, cancel only queries: the open order is 状态未明, never closed by guess', async () => {
    const h = await harness({ profile: { closeEnabled: false }, schedule: { firstQueryMs: 60_000 } });
    h.sim.scriptNext({ kind: 'manual' });
    const p = await sale(h);
    const after = await h.engine.cancelPayment(p.id, '001');
    expect(after.status).toBe('unknown');
    expect(ops(h)).toEqual(['F', 'G']);
    expect(h.sim.order(p.sysTrace ?? '')?.state).toBe('waiting');
    // Still followed: the customer pays the QR anyway → paid.
    h.sim.pay(p.sysTrace ?? '');
    await until(h, p.id, 'paid');
    expect(h.sim.countRequests('S')).toBe(0);
  });

  it('QR expiry → S + G → closed', async () => {
    const h = await harness({ qrValiditySec: 1 });
    h.sim.scriptNext({ kind: 'waiting' });
    const p = await sale(h);
    // The engine's own validity (1 s), not the bank's default of 10 minutes.
    expect(p.qrExpiresAt ?? 0).toBeGreaterThanOrEqual(p.createdAt + 1000);
    expect(p.qrExpiresAt ?? 0).toBeLessThan(p.createdAt + 600_000);
    const closed = await until(h, p.id, 'closed');
    expect(closed.closeRequestedAt).not.toBeNull();
    const seq = ops(h);
    expect(seq[0]).toBe('F');
    expect(seq.slice(-2)).toEqual(['S', 'G']);
    expect(seq.filter((t) => t === 'S')).toHaveLength(1);
    expect(h.events('payment', p.id).find((e) => e.type === 'close_requested')?.data).toEqual({ why: 'expiry' });
    expect(h.sim.order(p.sysTrace ?? '')?.state).toBe('closed');
  });
});

describe('payment engine: resume after a restart', () => {
  it('created-without-trace → failed; issued and paid at the bank → paid; still waiting → queried; past expiry → closed', async () => {
    const h = await harness({ schedule: { firstQueryMs: 60_000, fastIntervalMs: 60_000, slowIntervalMs: 60_000 } });
    const now = Date.now();
    const seed = (tradeNo: string): PaymentRecord =>
      insertPaymentIntent(h.db, {
        tradeNo,
        merOrderNo: null,
        memo: null,
        mode: 'training',
        tender: 'qr',
        gateway: 'bpc',
        amountFen: 500,
        operator: '001',
        businessDay: '2026-01-02',
        now,
      });
    const issue = async (tradeNo: string, script: 'manual' | 'paid'): Promise<string> => {
      h.sim.scriptNext(script === 'manual' ? { kind: 'manual' } : { kind: 'pay_after_queries', queries: 0 });
      const f = await h.client.createQr({ tradeNo, amountFen: 500 });
      if (f.kind !== 'success' || f.response.sysTrace === undefined) throw new Error('F failed');
      if (script === 'paid') h.sim.pay(f.response.sysTrace);
      return f.response.sysTrace;
    };

    const unsent = seed('PX-unsent');
    const paidRow = seed('PX-paid');
    const paidTrace = await issue('PX-paid', 'paid');
    updatePayment(h.db, paidRow.id, { status: 'qr_issued', sysTrace: paidTrace, scanCode: 'x', qrExpiresAt: now + 600_000 }, now);
    const waitingRow = seed('PX-waiting');
    const waitingTrace = await issue('PX-waiting', 'manual');
    updatePayment(h.db, waitingRow.id, { status: 'qr_issued', sysTrace: waitingTrace, scanCode: 'x', qrExpiresAt: now + 600_000 }, now);
    updatePayment(h.db, waitingRow.id, { status: 'waiting', queryCountIncrement: true }, now);
    const expiredRow = seed('PX-expired');
    const expiredTrace = await issue('PX-expired', 'manual');
    updatePayment(h.db, expiredRow.id, { status: 'qr_issued', sysTrace: expiredTrace, scanCode: 'x', qrExpiresAt: now - 1 }, now);
    const unknownRow = seed('PX-unknown');
    const unknownTrace = await issue('PX-unknown', 'paid');
    updatePayment(h.db, unknownRow.id, { status: 'qr_issued', sysTrace: unknownTrace, scanCode: 'x', qrExpiresAt: now + 600_000 }, now);
    updatePayment(h.db, unknownRow.id, { status: 'unknown', closeRequestedAt: now }, now);
    const before = h.sim.requests().length;

    const engine = h.restart();
    expect(engine.resume()).toEqual({ payments: 5, refunds: 0 });
    await until(h, unsent.id, 'failed');
    expect(getPayment(h.db, unsent.id).respMsg).toMatch(/nothing was charged/);
    await until(h, paidRow.id, 'paid');
    await until(h, expiredRow.id, 'closed');
    await until(h, unknownRow.id, 'paid');
    await vi.waitFor(() => expect(h.sim.countRequests('G', (b) => b.orgSysTrace === waitingTrace)).toBe(1), WAIT);
    expect(getPayment(h.db, waitingRow.id).status).toBe('waiting');

    const after = h.sim.requests().slice(before);
    expect(after.filter((r) => r.tranType === 'F')).toHaveLength(0);
    // Only the expired one is closed; the one with a close already requested is only queried.
    expect(after.filter((r) => r.tranType === 'S').map((r) => r.body?.orgSysTrace)).toEqual([expiredTrace]);
    for (const id of [unsent.id, paidRow.id, waitingRow.id, expiredRow.id, unknownRow.id]) {
      expect(h.events('payment', id).filter((e) => e.type === 'resumed')).toHaveLength(1);
    }
  });
});

describe('payment engine: notifications', () => {
  it('notified(sysTrace) triggers an immediate G', async () => {
    const h = await harness({ schedule: { firstQueryMs: 60_000 } });
    h.sim.scriptNext({ kind: 'manual' });
    const p = await sale(h);
    h.sim.pay(p.sysTrace ?? '', 'WEIX');
    expect(h.engine.notified(p.sysTrace ?? '')).toBe(true);
    const paid = await until(h, p.id, 'paid');
    expect(paid.payType).toBe('WEIX');
    expect(h.sim.countRequests('G')).toBe(1);
  });

  it('duplicate notifications (through the real listener) do not duplicate state changes', async () => {
    const h = await harness({ schedule: { firstQueryMs: 60_000 } });
    const listener = await startNotifyListener({
      host: '127.0.0.1',
      port: 0,
      getKey: () => HARNESS_KEY,
      requireSigned: true,
      onNotification: (n) => {
        if (n.orgSysTrace !== undefined) h.engine.notified(n.orgSysTrace);
      },
      logger: silentLogger,
    });
    extraCleanups.push(() => listener.close());
    h.sim.scriptNext({ kind: 'manual' });
    const p = await sale(h);
    h.sim.pay(p.sysTrace ?? '');
    const results = await h.sim.notify(p.sysTrace ?? '', { url: `http://127.0.0.1:${listener.port}/`, count: 4 });
    expect(results.every((r) => r.ok)).toBe(true);
    await until(h, p.id, 'paid');
    for (let i = 0; i < 3; i += 1) h.engine.notified(p.sysTrace ?? '');
    await settle();
    expect(statusMoves(h, p.id)).toEqual(['created>qr_issued', 'qr_issued>paid']);
    expect(h.paymentUpdates.filter((u) => u.id === p.id && u.status === 'paid').length).toBe(1);
    // A paid payment is not queried again by later notifications.
    const gAfter = h.sim.countRequests('G');
    h.engine.notified(p.sysTrace ?? '');
    await settle(50);
    expect(h.sim.countRequests('G')).toBe(gAfter);
  });

  it('concurrent notifications while a G is in flight coalesce', async () => {
    const h = await harness({ schedule: { firstQueryMs: 60_000, fastIntervalMs: 60_000, slowIntervalMs: 60_000 } });
    h.sim.scriptNext({ kind: 'manual' });
    const p = await sale(h);
    h.sim.injectFault('G', { kind: 'delay', ms: 100 });
    for (let i = 0; i < 5; i += 1) expect(h.engine.notified(p.sysTrace ?? '')).toBe(true);
    await vi.waitFor(() => expect(h.sim.countRequests('G')).toBe(2), WAIT);
    await settle();
    expect(h.sim.countRequests('G')).toBe(2);
    expect(getPayment(h.db, p.id).status).toBe('waiting');
  });

  it('a notification for an unknown trace returns false and changes nothing', async () => {
    const h = await harness({ schedule: { firstQueryMs: 60_000 } });
    h.sim.scriptNext({ kind: 'manual' });
    const p = await sale(h);
    const events = h.db.prepare('SELECT count(*) AS n FROM events').get() as { n: number };
    const updates = h.paymentUpdates.length;
    expect(h.engine.notified('000000000000000000000000000')).toBe(false);
    await settle(50);
    expect(h.db.prepare('SELECT count(*) AS n FROM events').get()).toEqual(events);
    expect(h.paymentUpdates.length).toBe(updates);
    expect(h.sim.countRequests('G')).toBe(0);
    expect(getPayment(h.db, p.id).status).toBe('qr_issued');
  });

  it('a payment that lands after the sale was ended is recorded as paid when notified (late payment)', async () => {
    const h = await harness();
    h.sim.scriptNext({ kind: 'unknown_then', queries: 100_000, then: 'paid' });
    const p = await sale(h);
    await until(h, p.id, 'unknown');
    h.engine.resolvePayment(p.id, 'failed', 'customer says they gave up', 'S01');
    const g = h.sim.countRequests('G');
    // The customer pays after all; the bank notifies us.
    expect(h.sim.pay(p.sysTrace ?? '')).toBe(true);
    expect(h.engine.notified(p.sysTrace ?? '')).toBe(true);
    const paid = await until(h, p.id, 'paid');
    expect(paid.paidAt).not.toBeNull();
    expect(h.sim.countRequests('G')).toBe(g + 1);
    const late = h.events('payment', p.id).find((e) => e.type === 'late_payment');
    expect(late?.data).toMatchObject({ previous: 'failed' });
  });
});

describe('payment engine: manual resolution', () => {
  it('only from 状态未明, with a reason, recorded with who and why; querying stops', async () => {
    const h = await harness();
    h.sim.scriptNext({ kind: 'unknown_then', queries: 100_000, then: 'paid' });
    const p = await sale(h);
    expect(() => h.engine.resolvePayment(p.id, 'paid', 'seen in portal', 'S01')).toThrow(expect.objectContaining({ code: 'INVALID_STATE' }) as Error);
    await until(h, p.id, 'unknown');
    expect(() => h.engine.resolvePayment(p.id, 'paid', '   ', 'S01')).toThrow(expect.objectContaining({ code: 'BAD_INPUT' }) as Error);
    const resolved = h.engine.resolvePayment(p.id, 'failed', 'customer left; bank portal shows nothing', 'S01');
    expect(resolved).toMatchObject({ status: 'failed', resolution: 'customer left; bank portal shows nothing', resolvedBy: 'S01' });
    const ev = h.events('payment', p.id).find((e) => e.type === 'manual_resolution');
    expect(ev).toMatchObject({ actor: 'S01', data: { outcome: 'failed', reason: 'customer left; bank portal shows nothing' } });
    expect(() => h.engine.resolvePayment(p.id, 'paid', 'again', 'S01')).toThrow(expect.objectContaining({ code: 'INVALID_STATE' }) as Error);
    await settle(80);
    const g = h.sim.countRequests('G');
    await settle();
    expect(h.sim.countRequests('G')).toBe(g);
  });

  it('resolving as paid stamps paidAt', async () => {
    const h = await harness();
    h.sim.scriptNext({ kind: 'unknown_then', queries: 100_000, then: 'paid' });
    const p = await sale(h);
    await until(h, p.id, 'unknown');
    const r = h.engine.resolvePayment(p.id, 'paid', 'receipt seen', 'S02');
    expect(r.status).toBe('paid');
    expect(r.paidAt).not.toBeNull();
    expect(r.resolvedBy).toBe('S02');
  });
});

describe('payment engine: robustness', () => {
  it('a gateway that cannot sign (key missing) fails the sale cleanly, and the next sale can start', async () => {
    let key: string | null = null;
    const h = await harness({
      getKey: () => {
        if (key === null) throw new AppError('NOT_CONFIGURED', 'the BPC key is not set');
        return key;
      },
    });
    await expect(sale(h)).rejects.toMatchObject({ code: 'NOT_CONFIGURED' });
    expect(h.sim.requests()).toHaveLength(0);
    const stuck = h.paymentUpdates[0];
    expect(stuck).toBeDefined();
    expect(getPayment(h.db, stuck?.id ?? 0).status).toBe('failed');
    key = HARNESS_KEY;
    h.sim.scriptNext({ kind: 'pay_after_queries', queries: 0 });
    const next = await sale(h);
    await until(h, next.id, 'paid');
  });

  it('a key that disappears mid-sale does not crash the engine; it recovers when the key is back', async () => {
    let keyOk = true;
    const h = await harness({
      qrValiditySec: 1,
      getKey: () => {
        if (!keyOk) throw new AppError('NOT_CONFIGURED', 'the BPC key is not set');
        return HARNESS_KEY;
      },
    });
    h.sim.scriptNext({ kind: 'waiting' });
    const p = await sale(h);
    keyOk = false;
    // Past the QR's life, with no key: the close cannot be sent; nothing may throw out of a timer.
    await settle(1300);
    expect(getPayment(h.db, p.id).status).not.toBe('closed');
    keyOk = true;
    await until(h, p.id, 'closed');
  });

  it('requery while F is in flight does not end the sale', async () => {
    const h = await harness();
    h.sim.scriptNext({ kind: 'pay_after_queries', queries: 0 });
    h.sim.injectFault('F', { kind: 'delay', ms: 300 });
    const creating = sale(h);
    await vi.waitFor(() => expect(h.paymentUpdates.length).toBeGreaterThan(0), WAIT);
    const id = h.paymentUpdates[0]?.id ?? 0;
    expect((await h.engine.requeryPayment(id)).status).toBe('created');
    const issued = await creating;
    expect(issued.status).toBe('qr_issued');
    await until(h, id, 'paid');
  });
});

describe('events: every exchange is logged, the key never is', () => {
  it('F/G/R/J/S each have an event with request and raw response; the ledger file never contains the key', async () => {
    const h = await harness({ schedule: { firstQueryMs: 20 } });
    h.sim.scriptNext({ kind: 'pay_after_queries', queries: 1 });
    const paid = await sale(h, 1000);
    await until(h, paid.id, 'paid');
    h.sim.scriptNextRefund({ kind: 'unknown_then', queries: 1, then: 'success' });
    const refund = await h.engine.createRefund({ paymentId: paid.id, amountFen: 300, reason: 'r', operator: '001', approvedBy: 'S01' });
    await vi.waitFor(() => expect(getRefund(h.db, refund.id).status).toBe('succeeded'), WAIT);
    h.sim.scriptNext({ kind: 'manual' });
    const cancelled = await sale(h, 2000);
    await h.engine.cancelPayment(cancelled.id, '001');

    const requests: RecordedRequest[] = h.sim.requests();
    const logged: LedgerEvent[] = [...h.events('payment', paid.id), ...h.events('refund', refund.id), ...h.events('payment', cancelled.id)]
      .filter((e) => e.type.startsWith('bpc.'))
      .sort((a, b) => a.id - b.id);
    for (const op of ['F', 'G', 'R', 'J', 'S']) {
      expect(logged.filter((e) => e.type === `bpc.${op}`).length, op).toBe(h.sim.countRequests(op));
      expect(h.sim.countRequests(op), op).toBeGreaterThan(0);
    }
    // One request at a time in this flow, so the log and the bank's record line up one to one.
    expect(logged).toHaveLength(requests.length);
    logged.forEach((e, i) => {
      const received = requests[i];
      const data = e.data as { request: unknown; response: string; httpStatus: number; outcome: string };
      expect(e.type).toBe(`bpc.${received?.tranType ?? '?'}`);
      expect(JSON.stringify(data.request)).toBe(received?.rawBody);
      expect(data.httpStatus).toBe(200);
      expect(JSON.parse(data.response)).toMatchObject({ respCode: received?.answeredCode });
      expect(data.outcome).not.toBe('transport_unknown');
    });

    // Every byte the ledger keeps on disk (main file, WAL, shm): no key.
    h.db.pragma('wal_checkpoint(FULL)');
    const files = readdirSync(h.dir).filter((f) => f.startsWith('ledger.sqlite'));
    expect(files).toContain('ledger.sqlite');
    for (const f of files) {
      const bytes = readFileSync(join(h.dir, f));
      expect(bytes.includes(Buffer.from(HARNESS_KEY, 'utf8')), f).toBe(false);
      expect(bytes.includes(Buffer.from('BGT98aw', 'utf8')), f).toBe(false);
    }
    // The simulator did see a signed request, so the key was in use all along.
    expect(requests.every((r) => r.signOk)).toBe(true);
  });
});
