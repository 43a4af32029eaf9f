/**
 * Issue 8.6: an answer counts only when it is bound to the question. A man in the middle on loopback
 * replays another order's signed 00, or rewrites (and re-signs) one with a foreign mid or another
 * amount; none of them may book a sale paid. The sale keeps being queried and ends paid when the true
 * answer comes.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { checkBinding } from '../../src/core/gateways/bpc/binding';
import { BpcClient, type BpcSecurityEvent } from '../../src/core/gateways/bpc/client';
import { signBpcBody } from '../../src/core/gateways/bpc/sign';
import type { BpcOutcome, BpcResponse } from '../../src/core/gateways/bpc/wire';
import { PaymentEngine } from '../../src/core/payments/engine';
import { getPayment, type PaymentRecord } from '../../src/core/ledger/payments';
import { getRefund } from '../../src/core/ledger/refunds';
import { bpcGateways, HARNESS_KEY, HARNESS_MID, HARNESS_POS, startEngineHarness, type EngineHarness } from '../support/engine-harness';
import { startMitm, type Mitm, type MitmExchange } from '../support/mitm';

const WAIT = { timeout: 8000, interval: 10 };
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Rig {
  h: EngineHarness;
  mitm: Mitm;
  engine: PaymentEngine;
  security: BpcSecurityEvent[];
}

/** The engine harness, but the engine's client talks to the bank through the man in the middle. */
async function rig(): Promise<Rig> {
  const h = await startEngineHarness();
  cleanups.push(() => h.close());
  h.engine.stop();
  const mitm = await startMitm(h.sim.url);
  cleanups.push(() => mitm.close());
  const security: BpcSecurityEvent[] = [];
  const client = new BpcClient({
    merchant: { url: mitm.url, mid: HARNESS_MID, posNo: HARNESS_POS, tellerNo: '001' },
    getKey: () => HARNESS_KEY,
    timeouts: { connectMs: 2000, responseMs: 3000 },
    onSecurityEvent: (e) => security.push(e),
  });
  cleanups.push(() => client.destroy());
  const engine = new PaymentEngine({ ...h.deps, gateways: bpcGateways(client) });
  cleanups.push(() => engine.stop());
  return { h, mitm, engine, security };
}

const isG = (x: MitmExchange, trace: string | null): boolean => x.request.tranType === 'G' && x.request.orgSysTrace === trace;
const gCount = (mitm: Mitm, trace: string | null): number => mitm.seen.filter((x) => isG(x, trace)).length;

async function paidSale(r: Rig, amountFen: number): Promise<PaymentRecord> {
  r.h.sim.scriptNext({ kind: 'pay_after_queries', queries: 0 });
  const p = await r.engine.createPayment({ amountFen, operator: '001' });
  await vi.waitFor(() => expect(getPayment(r.h.db, p.id).status).toBe('paid'), WAIT);
  return getPayment(r.h.db, p.id);
}

function unboundG(r: Rig, id: number): number {
  return r.h.events('payment', id).filter((e) => e.type === 'bpc.G' && (e.data as { reason?: string }).reason === 'unbound').length;
}

/** Rewrites the answer JSON and signs it with the real key: the signature verifies, the content is wrong. */
function resigned(x: MitmExchange, patch: Record<string, string>): { text: string; sign: string } {
  const text = JSON.stringify({ ...(JSON.parse(x.answerText) as Record<string, unknown>), ...patch });
  return { text, sign: signBpcBody(text, HARNESS_KEY) };
}

describe('BPC answers are bound to the question (issue 8.6)', () => {
  it('a G answered with an exact copy (body + valid sign) of another order’s signed 00 is not paid; the true 00 later is', async () => {
    const r = await rig();
    const a = await paidSale(r, 11579);
    const aPaid = r.mitm.seen.find((x) => isG(x, a.sysTrace) && (JSON.parse(x.answerText) as BpcResponse).respCode === '00');
    expect(aPaid?.sign).toMatch(/^[0-9a-f]{32}$/);

    r.h.sim.scriptNext({ kind: 'manual' });
    const b = await r.engine.createPayment({ amountFen: 500, operator: '001' });
    r.mitm.rewrite = (x) =>
      isG(x, b.sysTrace) && aPaid !== undefined ? { text: aPaid.answerText, ...(aPaid.sign === undefined ? {} : { sign: aPaid.sign }) } : null;
    await vi.waitFor(() => expect(gCount(r.mitm, b.sysTrace)).toBeGreaterThanOrEqual(4), WAIT);
    expect(getPayment(r.h.db, b.id).status).not.toBe('paid');
    expect(unboundG(r, b.id)).toBeGreaterThanOrEqual(3);
    expect(r.security[0]).toMatchObject({ op: 'G', field: 'orgSysTrace', expected: b.sysTrace, received: a.sysTrace, reason: 'unbound' });
    expect(JSON.stringify(r.security)).not.toContain(HARNESS_KEY);

    // The attacker goes away and the customer really pays: the next G books it.
    r.mitm.rewrite = null;
    expect(r.h.sim.pay(b.sysTrace ?? '')).toBe(true);
    await vi.waitFor(() => expect(getPayment(r.h.db, b.id).status).toBe('paid'), WAIT);
    expect(getPayment(r.h.db, b.id).amountFen).toBe(500);
  });

  it.each([
    ['a signed 00 with another merchant’s mid', 'mid', (): Record<string, string> => ({ mid: '104320179999999' })],
    ['a signed 00 naming another amount', 'txnAmt', (): Record<string, string> => ({ txnAmt: '000000011579' })],
    ['a signed 00 naming another order number', 'tradeNo', (): Record<string, string> => ({ tradeNo: 'P2612020000000000001' })],
  ])('%s is unclear, queried again, and paid only by the true answer', async (_name, field, patch) => {
    const r = await rig();
    r.h.sim.scriptNext({ kind: 'pay_after_queries', queries: 0 });
    let attack = true;
    r.mitm.rewrite = (x) => (attack && x.request.tranType === 'G' ? resigned(x, patch()) : null);
    const p = await r.engine.createPayment({ amountFen: 1234, operator: '001' });
    await vi.waitFor(() => expect(unboundG(r, p.id)).toBeGreaterThanOrEqual(3), WAIT);
    expect(getPayment(r.h.db, p.id).status).not.toBe('paid');
    expect(r.security.every((e) => e.field === field && e.op === 'G')).toBe(true);
    attack = false;
    await vi.waitFor(() => expect(getPayment(r.h.db, p.id).status).toBe('paid'), WAIT);
  });

  it('a refund whose J answer names another merchant is not succeeded until the true answer comes', async () => {
    const r = await rig();
    const p = await paidSale(r, 900);
    r.h.sim.scriptNextRefund({ kind: 'unknown_then', queries: 0, then: 'success' });
    let attack = true;
    r.mitm.rewrite = (x) => (attack && x.request.tranType === 'J' ? resigned(x, { mid: '104320179999999' }) : null);
    const refund = await r.engine.createRefund({ paymentId: p.id, amountFen: 300, reason: 'test', operator: '001', approvedBy: '800' });
    await vi.waitFor(() => expect(r.security.filter((e) => e.op === 'J').length).toBeGreaterThanOrEqual(2), WAIT);
    expect(getRefund(r.h.db, refund.id).status).not.toBe('succeeded');
    attack = false;
    await vi.waitFor(() => expect(getRefund(r.h.db, refund.id).status).toBe('succeeded'), WAIT);
  });
});

/** An answer as a bank that sends only the seed's fields would sign it: no amount, no order number to bind it by. */
function seedFieldsOnly(x: MitmExchange): { text: string; sign: string } {
  const { txnAmt: _a, tradeNo: _t, ...rest } = JSON.parse(x.answerText) as Record<string, string>;
  const text = JSON.stringify(rest);
  return { text, sign: signBpcBody(text, HARNESS_KEY) };
}

describe('a replayed create or refund answer (the bank’s answers name only the seed’s fields)', () => {
  it('sale 2’s F answered with sale 1’s signed F answer: no QR is issued on sale 1’s trace, the answer is kept, sale 1 untouched', async () => {
    const r = await rig();
    let first: { text: string; sign: string } | null = null;
    r.mitm.rewrite = (x) => {
      if (x.request.tranType !== 'F') return null;
      first ??= seedFieldsOnly(x);
      return first;
    };
    const a = await paidSale(r, 700);
    r.h.sim.scriptNext({ kind: 'manual' });
    const b = await r.engine.createPayment({ amountFen: 700, operator: '001' }).catch((e: unknown) => e);
    expect(b).not.toBeInstanceOf(Error);
    const after = getPayment(r.h.db, (b as { id: number }).id);
    expect(after.status).toBe('failed');
    expect(after.sysTrace).toBeNull();
    expect(r.h.events('payment', after.id).filter((e) => e.type === 'bpc.F')).toHaveLength(1);
    expect(getPayment(r.h.db, a.id)).toMatchObject({ status: 'paid', sysTrace: a.sysTrace });
    expect(r.mitm.seen.filter((x) => x.request.tranType === 'F')).toHaveLength(2);
  });

  it('refund 2 answered with refund 1’s signed 00 is not succeeded: the answer is kept as evidence and the refund waits for a supervisor', async () => {
    const r = await rig();
    const p = await paidSale(r, 1000);
    // A bank whose R answers carry only mid, sysTrace, respCode, respMsg (seed §R). (The MITM strips the
    // rest and signs with the real key, standing in for such a bank.)
    let first: { text: string; sign: string } | null = null;
    r.mitm.rewrite = (x) => {
      if (x.request.tranType !== 'R') return null;
      if (first === null) {
        first = seedFieldsOnly(x);
        return first;
      }
      // Refund 2: the attacker answers with refund 1's genuine signed answer.
      return first;
    };
    const a = await r.engine.createRefund({ paymentId: p.id, amountFen: 300, reason: 'test', operator: '001', approvedBy: '800' });
    expect(a.status).toBe('succeeded');
    const b = await r.engine.createRefund({ paymentId: p.id, amountFen: 300, reason: 'test', operator: '001', approvedBy: '800' }).catch((e: unknown) => e);
    expect(b).not.toBeInstanceOf(Error);
    const after = getRefund(r.h.db, (b as { id: number }).id);
    expect(after.status).toBe('unknown');
    expect(after.sysTrace).toBeNull();
    expect(getRefund(r.h.db, a.id).sysTrace).toBe(a.sysTrace);
    // The replayed answer is recorded on refund 2 (evidence), and no second R was sent.
    expect(r.h.events('refund', after.id).filter((e) => e.type === 'bpc.R')).toHaveLength(1);
    expect(r.mitm.seen.filter((x) => x.request.tranType === 'R')).toHaveLength(2);
    await new Promise((res) => setTimeout(res, 300));
    expect(r.mitm.seen.filter((x) => x.request.tranType === 'R')).toHaveLength(2);
    expect(getRefund(r.h.db, after.id).status).toBe('unknown');
  });
});

describe('checkBinding (pure)', () => {
  const ok = (response: Partial<BpcResponse>): BpcOutcome => ({ kind: 'success', response: { respCode: '00', respMsg: '', extra: {}, ...response }, raw: '' });
  const g = { tranType: 'G', mid: 'M1', posNo: 'P', orgSysTrace: 'T1' };
  it('passes a bound answer, with or without the optional fields', () => {
    expect(
      checkBinding('G', g, ok({ mid: 'M1', orgSysTrace: 'T1', extra: { txnAmt: '000000000500', tradeNo: 'P1' } }), { amountFen: 500, tradeNo: 'P1' }),
    ).toBeNull();
    expect(checkBinding('G', g, ok({ mid: 'M1' }), { amountFen: 500 })).toBeNull();
    const f = { tranType: 'F', mid: 'M1', txnAmt: '000000000500', tradeNo: 'P1' };
    expect(checkBinding('F', f, ok({ mid: 'M1', sysTrace: 'T9', extra: { txnAmt: '500' } }))).toBeNull();
  });
  it('refuses a success without mid, a foreign mid on any code, a foreign trace, amount or number', () => {
    expect(checkBinding('G', g, ok({}))?.field).toBe('mid');
    const failed: BpcOutcome = { kind: 'failed', response: { respCode: '77', respMsg: '', mid: 'M2', extra: {} }, raw: '' };
    expect(checkBinding('G', g, failed)?.field).toBe('mid');
    expect(checkBinding('G', g, ok({ mid: 'M1', orgSysTrace: 'T2' }))?.field).toBe('orgSysTrace');
    expect(checkBinding('G', g, ok({ mid: 'M1', extra: { txnAmt: '501' } }), { amountFen: 500 })?.field).toBe('txnAmt');
    expect(checkBinding('G', g, ok({ mid: 'M1', extra: { txnAmt: '5e2' } }), { amountFen: 500 })?.field).toBe('txnAmt');
    const rq = { tranType: 'R', mid: 'M1', txnAmt: '100', orgSysTrace: 'T1', tradeNo: 'R1' };
    expect(checkBinding('R', rq, ok({ mid: 'M1', extra: { tradeNo: 'R2' } }))?.field).toBe('tradeNo');
    expect(checkBinding('R', rq, ok({ mid: 'M1', extra: { txnAmt: '101' } }))?.field).toBe('txnAmt');
    expect(checkBinding('S', { ...g, tranType: 'S' }, ok({ mid: 'M1', orgSysTrace: 'T0' }))?.field).toBe('orgSysTrace');
  });
});
