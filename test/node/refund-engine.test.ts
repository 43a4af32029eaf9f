import Database from 'better-sqlite3';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '../../src/shared/errors';
import type { RefundStatus } from '../../src/shared/domain';
import { PaymentEngine } from '../../src/core/payments/engine';
import { BpcClient } from '../../src/core/gateways/bpc/client';
import { signBpcBody } from '../../src/core/gateways/bpc/sign';
import { getPayment, insertPaymentIntent, updatePayment, type PaymentRecord } from '../../src/core/ledger/payments';
import { getRefund, insertRefundIntent, listRefundsForPayment, refundTotals, updateRefund, type RefundRecord } from '../../src/core/ledger/refunds';
import { bpcGateways, HARNESS_KEY, HARNESS_MID, HARNESS_POS, startEngineHarness, type EngineHarness, type HarnessOptions } from '../support/engine-harness';

const harnesses: EngineHarness[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
  await Promise.all(harnesses.splice(0).map((h) => h.close()));
});

const WAIT = { timeout: 5000, interval: 10 };
const settle = (ms = 150): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function harness(options: HarnessOptions = {}): Promise<EngineHarness> {
  const h = await startEngineHarness(options);
  harnesses.push(h);
  return h;
}

/** A real sale, paid at the simulator through the engine. */
async function paidSale(h: EngineHarness, amountFen: number): Promise<PaymentRecord> {
  h.sim.scriptNext({ kind: 'pay_after_queries', queries: 0 });
  const p = await h.engine.createPayment({ amountFen, operator: '001' });
  await vi.waitFor(() => expect(getPayment(h.db, p.id).status).toBe('paid'), WAIT);
  return getPayment(h.db, p.id);
}

const refund = (h: EngineHarness, paymentId: number, amountFen: number): Promise<RefundRecord> =>
  h.engine.createRefund({ paymentId, amountFen, reason: '顾客退货', operator: '001', approvedBy: 'S01' });

async function untilRefund(h: EngineHarness, id: number, status: RefundStatus): Promise<RefundRecord> {
  await vi.waitFor(() => expect(getRefund(h.db, id).status).toBe(status), WAIT);
  return getRefund(h.db, id);
}

describe('refunds: the cap is ours', () => {
  it('two partial refunds succeed; a third above the remainder is refused before any R is sent', async () => {
    const h = await harness();
    const p = await paidSale(h, 1000);
    const a = await refund(h, p.id, 300);
    const b = await refund(h, p.id, 500);
    expect([a.status, b.status]).toEqual(['succeeded', 'succeeded']);
    expect(a.sysTrace).toMatch(/^\d{28}$/);
    expect(h.sim.countRequests('R')).toBe(2);
    expect(refundTotals(h.db, p.id)).toEqual({ paidFen: 1000, refundedFen: 800, inFlightFen: 0, remainingFen: 200 });
    await expect(refund(h, p.id, 201)).rejects.toMatchObject({ code: 'REFUND_EXCEEDS_PAID', details: { remainingFen: 200 } });
    expect(h.sim.countRequests('R')).toBe(2);
    expect(listRefundsForPayment(h.db, p.id)).toHaveLength(2);
    // The bank agrees with our ledger.
    expect(h.sim.order(p.sysTrace ?? '')?.refundedFen).toBe(800);
    const last = await refund(h, p.id, 200);
    expect(last.status).toBe('succeeded');
    expect(refundTotals(h.db, p.id).remainingFen).toBe(0);
  });

  it('R carries the payment trace, a unique refund number and the plain amount', async () => {
    const h = await harness();
    const p = await paidSale(h, 1000);
    const r = await refund(h, p.id, 150);
    const sent = h.sim.requests().find((q) => q.tranType === 'R')?.body;
    expect(sent).toEqual({
      tranType: 'R',
      posNo: HARNESS_POS,
      mid: HARNESS_MID,
      txnAmt: '150',
      orgSysTrace: p.sysTrace,
      tradeNo: r.refundNo,
      tellerNo: '001',
    });
    expect(r.refundNo).toMatch(/^R\d{19}$/);
    const intent = h.events('refund', r.id).find((e) => e.type === 'intent');
    expect(intent).toMatchObject({ actor: '001', data: { amountFen: 150, reason: '顾客退货', approvedBy: 'S01', paymentId: p.id } });
    expect(h.events('payment', p.id).some((e) => e.type === 'refund_requested')).toBe(true);
    // The intent, the "R sent" marker (the window learns sentAt), the answer.
    expect(h.refundUpdates.filter((u) => u.id === r.id).map((u) => [u.status, u.sentAt !== null])).toEqual([
      ['created', false],
      ['created', true],
      ['succeeded', true],
    ]);
  });

  it('concurrent refunds on one payment cannot jointly exceed it — refused by our ledger, not by the bank', async () => {
    const h = await harness();
    const p = await paidSale(h, 1000);
    // Each R is slow, so all five are in flight together.
    h.sim.injectFault('R', { kind: 'delay', ms: 100 }, { count: 5 });
    const results = await Promise.allSettled([1, 2, 3, 4, 5].map(() => refund(h, p.id, 300)));
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(ok).toHaveLength(3);
    expect(refused).toHaveLength(2);
    for (const r of refused) expect(r.reason).toMatchObject({ code: 'REFUND_EXCEEDS_PAID' });
    // Only three R ever left, and the bank never had to apply its own cap (61).
    expect(h.sim.countRequests('R')).toBe(3);
    expect(
      h.sim
        .requests()
        .filter((q) => q.tranType === 'R')
        .map((q) => q.answeredCode),
    ).toEqual(['00', '00', '00']);
    expect(refundTotals(h.db, p.id)).toMatchObject({ refundedFen: 900, remainingFen: 100 });
    expect(h.sim.order(p.sysTrace ?? '')?.refundedFen).toBe(900);
  });

  it('the bank’s own cap answers a failure when our check is bypassed', async () => {
    const h = await harness();
    const p = await paidSale(h, 1000);
    await refund(h, p.id, 800);
    const direct = await h.client.refund({ tradeNo: 'R-bypass-1', orgSysTrace: p.sysTrace ?? '', amountFen: 300 });
    expect(direct.kind).toBe('rejected');
    expect(direct.kind === 'rejected' ? direct.response.respCode : '').toBe('61');
    expect(h.sim.order(p.sysTrace ?? '')?.refundedFen).toBe(800);
  });

  it('refunds of an unpaid payment are refused with INVALID_STATE, nothing sent', async () => {
    const h = await harness({ schedule: { firstQueryMs: 60_000 } });
    h.sim.scriptNext({ kind: 'manual' });
    const open = await h.engine.createPayment({ amountFen: 1000, operator: '001' });
    await expect(refund(h, open.id, 100)).rejects.toMatchObject({ code: 'INVALID_STATE' });
    await h.engine.cancelPayment(open.id, '001');
    await expect(refund(h, open.id, 100)).rejects.toMatchObject({ code: 'INVALID_STATE' });
    h.sim.injectFault('F', { kind: 'reset' });
    const failed = await h.engine.createPayment({ amountFen: 1000, operator: '001' });
    expect(failed.status).toBe('failed');
    await expect(refund(h, failed.id, 100)).rejects.toMatchObject({ code: 'INVALID_STATE' });
    expect(h.sim.countRequests('R')).toBe(0);
    expect(listRefundsForPayment(h.db, open.id)).toHaveLength(0);
  });

  it('bad refund amounts are refused before anything is sent', async () => {
    const h = await harness();
    const p = await paidSale(h, 1000);
    await expect(refund(h, p.id, 0)).rejects.toMatchObject({ code: 'AMOUNT_INVALID' });
    await expect(refund(h, p.id, 10.5)).rejects.toMatchObject({ code: 'AMOUNT_INVALID' });
    expect(h.sim.countRequests('R')).toBe(0);
  });
});

describe('refunds: unclear outcomes', () => {
  it('R answers 99 → J polling → succeeded', async () => {
    const h = await harness();
    const p = await paidSale(h, 1000);
    h.sim.scriptNextRefund({ kind: 'unknown_then', queries: 2, then: 'success' });
    const r = await refund(h, p.id, 400);
    expect(r.status).toBe('unknown');
    expect(r.sysTrace).not.toBeNull();
    expect(refundTotals(h.db, p.id)).toMatchObject({ inFlightFen: 400, remainingFen: 600 });
    const done = await untilRefund(h, r.id, 'succeeded');
    expect(done.queryCount).toBe(3);
    expect(h.sim.countRequests('J')).toBe(3);
    expect(h.sim.countRequests('R')).toBe(1);
    expect(refundTotals(h.db, p.id)).toEqual({ paidFen: 1000, refundedFen: 400, inFlightFen: 0, remainingFen: 600 });
    await settle();
    expect(h.sim.countRequests('J')).toBe(3);
  });

  it('R answers 99 → J polling → failed, and the amount is refundable again', async () => {
    const h = await harness();
    const p = await paidSale(h, 1000);
    h.sim.scriptNextRefund({ kind: 'unknown_then', queries: 1, then: 'failed' });
    const r = await refund(h, p.id, 1000);
    await expect(refund(h, p.id, 1)).rejects.toMatchObject({ code: 'REFUND_EXCEEDS_PAID' });
    const failed = await untilRefund(h, r.id, 'failed');
    expect(failed.respCode).toBe('77');
    expect(failed.finalAt).not.toBeNull();
    expect(refundTotals(h.db, p.id).remainingFen).toBe(1000);
    expect((await refund(h, p.id, 1000)).status).toBe('succeeded');
    expect(h.sim.countRequests('R')).toBe(2);
  });

  it('R answers 77 → failed at once, nothing queried, nothing held', async () => {
    const h = await harness();
    const p = await paidSale(h, 1000);
    h.sim.scriptNextRefund({ kind: 'fail' });
    const r = await refund(h, p.id, 500);
    expect(r).toMatchObject({ status: 'failed', respCode: '77' });
    await settle();
    expect(h.sim.countRequests('J')).toBe(0);
    expect(refundTotals(h.db, p.id).remainingFen).toBe(1000);
  });

  it('R answer lost → 状态未明, still counted against the cap, and NO second R is ever sent', async () => {
    const h = await harness();
    const p = await paidSale(h, 1000);
    h.sim.injectFault('R', { kind: 'reset' }, { after: true });
    const r = await refund(h, p.id, 700);
    expect(r).toMatchObject({ status: 'unknown', sysTrace: null });
    // The bank did refund it.
    expect(h.sim.order(p.sysTrace ?? '')?.refundedFen).toBe(700);
    expect(refundTotals(h.db, p.id)).toMatchObject({ inFlightFen: 700, remainingFen: 300 });
    await expect(refund(h, p.id, 301)).rejects.toMatchObject({ code: 'REFUND_EXCEEDS_PAID' });
    // R left (its marker is on disk) and no answer came back: the supervisor settles it, and 重新查询
    // says so with the evidence instead of doing nothing.
    expect(r.sentAt).not.toBeNull();
    expect(r.needsSupervisor).toBe(true);
    expect(r.respMsg).toMatch(/R left at .* answer was lost/);
    await expect(h.engine.requeryRefund(r.id)).rejects.toMatchObject({ code: 'REFUND_NEEDS_SUPERVISOR', details: { refundId: r.id, sentAt: r.sentAt } });
    expect(getRefund(h.db, r.id).status).toBe('unknown');
    // A restart picks it up again and still never re-sends R.
    const engine = h.restart();
    expect(engine.resume()).toEqual({ payments: 0, refunds: 1 });
    await settle();
    expect(getRefund(h.db, r.id).status).toBe('unknown');
    expect(h.sim.countRequests('R')).toBe(1);
    expect(h.sim.countRequests('J')).toBe(0);
  });

  it('R timeout → 状态未明, one R only', async () => {
    const h = await harness({ timeouts: { responseMs: 200 } });
    const p = await paidSale(h, 1000);
    h.sim.injectFault('R', { kind: 'delay', ms: 2500 });
    const r = await refund(h, p.id, 100);
    expect(r.status).toBe('unknown');
    expect(r.respMsg).toMatch(/timeout/);
    expect(h.sim.countRequests('R')).toBe(1);
  });

  it('J transport faults do not end the refund; it is queried until final', async () => {
    const h = await harness();
    const p = await paidSale(h, 1000);
    h.sim.scriptNextRefund({ kind: 'unknown_then', queries: 0, then: 'success' });
    h.sim.injectFault('J', { kind: 'reset' }, { count: 2 });
    h.sim.injectFault('J', { kind: 'garbage' });
    const r = await refund(h, p.id, 100);
    await untilRefund(h, r.id, 'succeeded');
    expect(h.sim.countRequests('J')).toBe(4);
    expect(h.sim.countRequests('R')).toBe(1);
  });

  it('resume: a refund whose R left unanswered stays 状态未明 (no R); one that never left is failed and frees the cap; one with a trace is followed by J', async () => {
    const h = await harness();
    const p = await paidSale(h, 1000);
    h.sim.scriptNextRefund({ kind: 'unknown_then', queries: 0, then: 'success' });
    const sent = await h.client.refund({ tradeNo: 'R-resume-1', orgSysTrace: p.sysTrace ?? '', amountFen: 200 });
    const base = { paymentId: p.id, reason: 'x', operator: '001', approvedBy: 'S01', businessDay: '2026-01-02', now: Date.now() };
    const withTrace = insertRefundIntent(h.db, { ...base, refundNo: 'R-resume-1', amountFen: 200 });
    updateRefund(h.db, withTrace.id, { status: 'unknown', sysTrace: (sent.kind === 'unknown' ? sent.response.sysTrace : undefined) ?? 'x' }, Date.now());
    const unanswered = insertRefundIntent(h.db, { ...base, refundNo: 'R-resume-2', amountFen: 300 });
    updateRefund(h.db, unanswered.id, { sentAt: Date.now() }, Date.now());
    // Written, but the "R sent" marker never committed: R provably never left.
    const neverSent = insertRefundIntent(h.db, { ...base, refundNo: 'R-resume-3', amountFen: 400 });
    expect(neverSent.sentAt).toBeNull();
    const rBefore = h.sim.countRequests('R');

    const engine = h.restart();
    expect(engine.resume()).toEqual({ payments: 0, refunds: 3 });
    await untilRefund(h, withTrace.id, 'succeeded');
    await untilRefund(h, unanswered.id, 'unknown');
    expect(getRefund(h.db, unanswered.id)).toMatchObject({ needsSupervisor: true });
    expect(getRefund(h.db, unanswered.id).respMsg).toMatch(/answer was lost/);
    await untilRefund(h, neverSent.id, 'failed');
    expect(getRefund(h.db, neverSent.id)).toMatchObject({
      needsSupervisor: false,
      respMsg: expect.stringMatching(/before the refund was sent; nothing was refunded/),
    });
    expect(h.sim.countRequests('R')).toBe(rBefore);
    expect(refundTotals(h.db, p.id)).toMatchObject({ refundedFen: 200, inFlightFen: 300, remainingFen: 500 });
  });
});

describe('refunds: the sent marker and the commit rule', () => {
  it('the "R sent" marker is committed before R\'s first byte, and is absent before it', async () => {
    const h = await harness();
    const p = await paidSale(h, 1000);
    const other = new Database(h.dbFile, { readonly: true });
    cleanups.push(async () => {
      other.close();
    });
    const seen: (number | null)[] = [];
    h.deps.faultPoint = (name) => {
      if (name === 'refund-before-send')
        seen.push((other.prepare('SELECT sent_at FROM refunds ORDER BY id DESC LIMIT 1').get() as { sent_at: number | null }).sent_at);
    };
    h.restart();
    h.sim.injectFault('R', { kind: 'delay', ms: 300 });
    const pending = refund(h, p.id, 100);
    await vi.waitFor(() => expect(h.sim.countRequests('R')).toBe(1), WAIT);
    // R is at the bank now: another connection already sees the marker on disk.
    const row = other.prepare('SELECT status, sent_at FROM refunds ORDER BY id DESC LIMIT 1').get() as { status: string; sent_at: number | null };
    expect(row.status).toBe('created');
    expect(row.sent_at).not.toBeNull();
    expect(seen).toEqual([null]);
    expect((await pending).status).toBe('succeeded');
  });

  it('an R that provably never left (no connection) is failed automatically and frees the cap', async () => {
    const h = await harness();
    const p = await paidSale(h, 1000);
    const dead = new BpcClient({ merchant: { url: 'http://127.0.0.1:9/', mid: HARNESS_MID, posNo: HARNESS_POS, tellerNo: '001' }, getKey: () => HARNESS_KEY });
    cleanups.push(() => dead.destroy());
    h.deps.gateways = bpcGateways(dead);
    h.restart();
    const r = await refund(h, p.id, 1000);
    expect(r).toMatchObject({ status: 'failed', needsSupervisor: false });
    expect(r.respMsg).toMatch(/not delivered \(connect/);
    expect(refundTotals(h.db, p.id).remainingFen).toBe(1000);
  });

  it('intent + its events are one commit, each answer one commit, and windows hear only what is committed (also resolveRefund)', async () => {
    const h = await harness();
    const p = await paidSale(h, 1000);
    const other = new Database(h.dbFile, { readonly: true });
    cleanups.push(async () => {
      other.close();
    });
    const told: { status: string; committed: string; events: string[] }[] = [];
    h.deps.onRefund = (r) => {
      const row = other.prepare('SELECT status FROM refunds WHERE id = ?').get(r.id) as { status: string } | undefined;
      const events = (other.prepare("SELECT type FROM events WHERE entity = 'refund' AND entity_id = ? ORDER BY id").all(r.id) as { type: string }[]).map(
        (e) => e.type,
      );
      const requested = other
        .prepare("SELECT count(*) AS n FROM events WHERE entity = 'payment' AND type = 'refund_requested' AND json_extract(data, '$.refundId') = ?")
        .get(r.id) as { n: number };
      told.push({ status: r.status, committed: row?.status ?? 'absent', events: requested.n > 0 ? [...events, 'payment:refund_requested'] : events });
    };
    h.restart();
    const ok = await refund(h, p.id, 300);
    expect(ok.status).toBe('succeeded');
    const forOk = told.filter((t) => t.status !== 'x');
    expect(forOk[0]).toEqual({ status: 'created', committed: 'created', events: ['intent', 'payment:refund_requested'] });
    const last = forOk[forOk.length - 1];
    expect(last).toMatchObject({ status: 'succeeded', committed: 'succeeded' });
    expect(last?.events).toEqual(expect.arrayContaining(['bpc.R', 'status']));
    // R answer lost → a supervisor settles it; the window hears it after the commit.
    h.sim.injectFault('R', { kind: 'reset' }, { after: true });
    const lost = await refund(h, p.id, 200);
    told.length = 0;
    h.engine.resolveRefund(lost.id, 'succeeded', '银行核实已退款', '800');
    expect(told).toEqual([expect.objectContaining({ status: 'succeeded', committed: 'succeeded' })]);
    expect(told[0]?.events).toEqual(expect.arrayContaining(['manual_resolution', 'status']));
    for (const t of told) expect(t.committed).toBe(t.status);
  });
});

describe('refunds: robustness', () => {
  it('a refund that cannot be sent (no key) fails at once and does not hold the amount', async () => {
    let keyOk = true;
    const h = await harness({
      getKey: () => {
        if (!keyOk) throw new AppError('NOT_CONFIGURED', 'the BPC key is not set');
        return HARNESS_KEY;
      },
    });
    const p = await paidSale(h, 1000);
    keyOk = false;
    await expect(refund(h, p.id, 600)).rejects.toMatchObject({ code: 'NOT_CONFIGURED' });
    const [r] = listRefundsForPayment(h.db, p.id);
    expect(r?.status).toBe('failed');
    expect(refundTotals(h.db, p.id).remainingFen).toBe(1000);
    expect(h.sim.countRequests('R')).toBe(0);
    keyOk = true;
    expect((await refund(h, p.id, 1000)).status).toBe('succeeded');
  });

  it('a J that answers another failure code (e.g. 96 busy) is a failed query, not a failed refund', async () => {
    // A bank that answers R with 99 and J with 96 twice, then 00.
    let j = 0;
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, string>;
        const answer =
          body.tranType === 'R'
            ? { mid: HARNESS_MID, sysTrace: '37381542202601020000000001', respCode: '99', respMsg: '交易状态未明' }
            : {
                mid: HARNESS_MID,
                sysTrace: `9${(j += 1)}`,
                orgSysTrace: body.orgSysTrace,
                ...(j <= 2 ? { respCode: '96', respMsg: '系统繁忙' } : { respCode: '00', respMsg: '成功' }),
              };
        const text = JSON.stringify(answer);
        res.writeHead(200, { 'content-type': 'application/json', sign: signBpcBody(text, HARNESS_KEY) });
        res.end(text);
      });
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
    cleanups.push(() => new Promise<void>((ok) => server.close(() => ok())));
    const h = await harness();
    const bank = new BpcClient({
      merchant: { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, mid: HARNESS_MID, posNo: HARNESS_POS, tellerNo: '001' },
      getKey: () => HARNESS_KEY,
    });
    cleanups.push(() => bank.destroy());
    const engine = new PaymentEngine({ ...h.deps, gateways: bpcGateways(bank) });
    cleanups.push(() => Promise.resolve(engine.stop()));
    const now = Date.now();
    const p = insertPaymentIntent(h.db, {
      tradeNo: 'P-j96',
      merOrderNo: null,
      memo: null,
      mode: 'training',
      tender: 'qr',
      gateway: 'bpc',
      amountFen: 1000,
      operator: '001',
      businessDay: '2026-01-02',
      now,
    });
    updatePayment(h.db, p.id, { status: 'qr_issued', sysTrace: '37381542202601020000000000', scanCode: 'x' }, now);
    updatePayment(h.db, p.id, { status: 'paid', paidAt: now }, now);

    const r = await engine.createRefund({ paymentId: p.id, amountFen: 1000, reason: 'x', operator: '001', approvedBy: 'S01' });
    expect(r.status).toBe('unknown');
    await vi.waitFor(() => expect(j).toBeGreaterThanOrEqual(2), WAIT);
    expect(getRefund(h.db, r.id).status).not.toBe('failed');
    await expect(engine.createRefund({ paymentId: p.id, amountFen: 1, reason: 'x', operator: '001', approvedBy: 'S01' })).rejects.toMatchObject({
      code: 'REFUND_EXCEEDS_PAID',
    });
    await untilRefund(h, r.id, 'succeeded');
    const statuses = h.refundUpdates.filter((u) => u.id === r.id).map((u) => u.status);
    expect(statuses).not.toContain('failed');
  });
});

describe('refund settled by a supervisor', () => {
  it('an unknown refund (answer lost) is settled by hand, recorded, and frees or keeps the cap accordingly', async () => {
    const { startEngineHarness } = await import('../support/engine-harness');
    const h = await startEngineHarness();
    try {
      const payment = await h.engine.createPayment({ amountFen: 1000, operator: '001' });
      h.sim.pay(payment.sysTrace!);
      await vi.waitFor(() => expect(getPaymentStatus(h, payment.id)).toBe('paid'));
      // The R never reached the bank, but its answer is missing: to us the outcome is unknown.
      h.sim.injectFault('R', { kind: 'reset' }, { after: false });
      const lost = await h.engine.createRefund({ paymentId: payment.id, amountFen: 600, reason: 'r', operator: '001', approvedBy: '800' });
      expect(lost.status).toBe('unknown');
      await expect(h.engine.createRefund({ paymentId: payment.id, amountFen: 500, reason: 'r', operator: '001', approvedBy: '800' })).rejects.toMatchObject({
        code: 'REFUND_EXCEEDS_PAID',
      });
      expect(() => h.engine.resolveRefund(lost.id, 'failed', '  ', '800')).toThrow(expect.objectContaining({ code: 'BAD_INPUT' }));
      const settled = h.engine.resolveRefund(lost.id, 'failed', '银行核实未退款', '800');
      expect(settled.status).toBe('failed');
      const ok = await h.engine.createRefund({ paymentId: payment.id, amountFen: 500, reason: 'r', operator: '001', approvedBy: '800' });
      expect(ok.status).toBe('succeeded');
      expect(() => h.engine.resolveRefund(ok.id, 'failed', 'x y', '800')).toThrow(expect.objectContaining({ code: 'INVALID_STATE' }));
      const row = h.db.prepare("SELECT actor, data FROM events WHERE entity = 'refund' AND entity_id = ? AND type = 'manual_resolution'").get(lost.id) as {
        actor: string;
        data: string;
      };
      expect(row.actor).toBe('800');
      expect(JSON.parse(row.data)).toEqual({ outcome: 'failed', reason: '银行核实未退款' });
    } finally {
      await h.close();
    }
  });
});

function getPaymentStatus(h: { db: { prepare(sql: string): { get(id: number): unknown } } }, id: number): string {
  return (h.db.prepare('SELECT status FROM payments WHERE id = ?').get(id) as { status: string }).status;
}
