/**
 * Issue 11 items 4/5: the supervisor's re-check of a Yima card sale left 状态未明 or abandoned, with
 * `bcm_orderquery_request` by Yima's order_id. A real core (training mode, its own SQLite ledger) and the
 * real Yima simulator over loopback HTTP. The answer is evidence only: a bound "paid" settles the sale
 * through the engine's query path; "not paid", an answer about another order / merchant / amount, or a
 * payment older than the sale change nothing; each ask is in the event log with who asked.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ledgerRows, startCounter, SUPERVISOR, waitUntil, type TestCounter } from '../support/counter';
import { tempDir } from '../support/temp';
import { YIMA_TEST_SETTINGS as SETTINGS, FAST_YIMA_SCHEDULE as FAST } from '../support/yima';

describe('supervisor re-check of a Yima card sale by order_id (bcm_orderquery_request)', () => {
  let counter: TestCounter | null = null;
  let cleanup: (() => void) | null = null;
  afterEach(async () => {
    await counter?.close();
    counter = null;
    cleanup?.();
    cleanup = null;
  });

  /** A Yima sale the cashier abandoned (Esc): 状态未明, still followed. */
  const abandoned = async (amountFen: number): Promise<{ id: number; tradeNo: string }> => {
    await counter!.invoke('training:script', { script: 'manual' });
    const sale = await counter!.invoke('payment:create', { amountFen, tender: 'card' });
    await waitUntil(
      () => counter!.invoke('payment:get', { id: sale.id }),
      (p) => p.status === 'waiting',
      'waiting',
    );
    const cancelled = await counter!.invoke('payment:cancel', { id: sale.id });
    expect(cancelled.status).toBe('unknown');
    return sale;
  };
  const events = (dir: string, id: number): { type: string; actor: string | null; data: string }[] =>
    ledgerRows(dir, "SELECT type, actor, data FROM events WHERE entity = 'payment' AND entity_id = ? ORDER BY id", id);

  it('paid on the terminal while the polls get nothing usable: the order query settles it through the engine, with the masked card and references', async () => {
    const t = tempDir('yima-recheck-paid-');
    cleanup = t.cleanup;
    counter = await startCounter(t.dir, { schedule: FAST });
    await counter.invoke('settings:save', { section: 'yima', value: SETTINGS, approval: SUPERVISOR });
    const sim = counter.core.trainingYima;
    sim.reset();
    const sale = await abandoned(4321);
    // From now on every result query gets an HTTP 500: only the supervisor's order query can learn the truth.
    sim.injectFault('bcm_resultquery_request', { kind: 'http_500' }, { count: 1_000_000 });
    expect(sim.pay(sale.tradeNo)).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect((await counter.invoke('payment:get', { id: sale.id })).status).toBe('unknown');
    const orderId = sim.order(sale.tradeNo)!.orderId;

    const out = await counter.invoke('payment:recheck', { id: sale.id, orderId, approval: SUPERVISOR });
    expect(out.verdict).toBe('paid');
    expect(out.payment.status).toBe('paid');
    expect(out.payment.gatewayDetail).toMatchObject({ orderId, traceNo: expect.any(String), refNo: expect.any(String), batchNo: '000001' });
    expect(String(out.payment.gatewayDetail.cardNo)).toMatch(/^622588\*+\d{4}$/);
    expect(sim.countRequests('bcm_orderquery_request')).toBe(1);
    expect(sim.countRequests('bcm_ordercreate_request')).toBe(1);
    const log = events(t.dir, sale.id);
    const recheck = log.find((e) => e.type === 'supervisor_recheck')!;
    expect(recheck.actor).toBe(SUPERVISOR.code);
    expect(JSON.parse(recheck.data)).toMatchObject({ gatewayOrderId: orderId, outcome: 'success' });
    const exchange = log.find((e) => e.type === 'yima.orderquery')!;
    expect(exchange.actor).toBe(SUPERVISOR.code);
    expect(exchange.data).toContain('bcm_orderquery_request');
    expect(exchange.data).not.toMatch(/622588\d{6}/);
    // Settled by the query path: no hand resolution, the amount in the day's card totals.
    expect(out.payment.resolvedBy).toBeNull();
    // The same order_id cannot settle a second sale (one terminal payment, one sale).
    const other = await abandoned(4321);
    const before = sim.countRequests('bcm_orderquery_request');
    await expect(counter.invoke('payment:recheck', { id: other.id, orderId, approval: SUPERVISOR })).rejects.toMatchObject({ code: 'INVALID_STATE' });
    expect(sim.countRequests('bcm_orderquery_request')).toBe(before);
  });

  it('not paid, another order, another merchant, another or no amount, an older payment: recorded, the sale unchanged and still followed', async () => {
    const t = tempDir('yima-recheck-bind-');
    cleanup = t.cleanup;
    counter = await startCounter(t.dir, { schedule: FAST });
    await counter.invoke('settings:save', { section: 'yima', value: SETTINGS, approval: SUPERVISOR });
    const sim = counter.core.trainingYima;
    sim.reset();
    const sale = await abandoned(2500);
    const orderId = sim.order(sale.tradeNo)!.orderId;

    // Not paid yet (status_trans 0): evidence only.
    const notPaid = await counter.invoke('payment:recheck', { id: sale.id, orderId, approval: SUPERVISOR });
    expect(notPaid).toMatchObject({ verdict: 'not_paid', code: '0000' });
    expect(notPaid.payment.status).toBe('unknown');

    // Now it is paid on the terminal, but polls get nothing: each doctored answer below is refused.
    sim.injectFault('bcm_resultquery_request', { kind: 'http_500' }, { count: 1_000_000 });
    expect(sim.pay(sale.tradeNo)).toBe(true);
    const doctored: [string, Record<string, unknown>][] = [
      ['another order_id', { order_id: 'YM20261202000000999999' }],
      ['another pos_seq', { org_pos_seq: 'P0126120212000000099' }],
      ['another merchant', { isspid: '99999999' }],
      ['another amount', { trade_amount: '2499' }],
      ['no amount', { trade_amount: '', tx_amt: '' }],
      ['paid before the sale', { trade_time: '20200101120000' }],
      ['no trade time', { trade_time: '' }],
      ['an unreadable trade time', { trade_time: 'yesterday' }],
    ];
    for (const [what, fields] of doctored) {
      sim.injectFault('bcm_orderquery_request', { kind: 'rewrite', fields: fields as Record<string, string> }, { count: 1 });
      const out = await counter.invoke('payment:recheck', { id: sale.id, orderId, approval: SUPERVISOR });
      expect(out.verdict, what).toBe('rejected');
      expect(out.payment.status, what).toBe('unknown');
    }
    // A replayed genuine answer of another question, a forged signature: not used either.
    sim.injectFault('bcm_orderquery_request', { kind: 'bad_sign' }, { count: 1 });
    expect((await counter.invoke('payment:recheck', { id: sale.id, orderId, approval: SUPERVISOR })).verdict).toBe('unclear');
    // An order_id Yima does not know: its answer id is shown, nothing changes.
    const unknownId = await counter.invoke('payment:recheck', { id: sale.id, orderId: 'YM2026120200000000', approval: SUPERVISOR });
    expect(unknownId).toMatchObject({ verdict: 'not_found', code: '7001' });
    expect(unknownId.payment.status).toBe('unknown');

    const rechecks = events(t.dir, sale.id).filter((e) => e.type === 'supervisor_recheck');
    expect(rechecks).toHaveLength(1 + doctored.length + 2);
    expect(events(t.dir, sale.id).filter((e) => e.type === 'yima.orderquery')).toHaveLength(rechecks.length);
    // Still followed: the genuine answer settles it.
    const paid = await counter.invoke('payment:recheck', { id: sale.id, orderId, approval: SUPERVISOR });
    expect(paid.verdict).toBe('paid');
    expect(sim.countRequests('bcm_ordercreate_request')).toBe(1);
  });

  it('one terminal payment settles one sale even when two re-checks name the same order_id at the same moment', async () => {
    const t = tempDir('yima-recheck-race-');
    cleanup = t.cleanup;
    counter = await startCounter(t.dir, { schedule: FAST });
    await counter.invoke('settings:save', { section: 'yima', value: SETTINGS, approval: SUPERVISOR });
    const sim = counter.core.trainingYima;
    sim.reset();
    const a = await abandoned(2500);
    const b = await abandoned(2500);
    sim.injectFault('bcm_resultquery_request', { kind: 'http_500' }, { count: 1_000_000 });
    expect(sim.pay(a.tradeNo)).toBe(true);
    const orderId = sim.order(a.tradeNo)!.orderId;
    // Yima's order query answer as the vendor documents it: order_id, amount, time, status — no order number of ours.
    sim.injectFault('bcm_orderquery_request', { kind: 'rewrite', fields: { org_pos_seq: '' } }, { count: 2 });
    const both = await Promise.allSettled([
      counter.invoke('payment:recheck', { id: a.id, orderId, approval: SUPERVISOR }),
      counter.invoke('payment:recheck', { id: b.id, orderId, approval: SUPERVISOR }),
    ]);
    const statuses = await Promise.all([a, b].map(async (s) => (await counter!.invoke('payment:get', { id: s.id })).status));
    expect(
      statuses.filter((s) => s === 'paid'),
      JSON.stringify(both.map((x) => x.status)),
    ).toHaveLength(1);
    expect(both.filter((x) => x.status === 'rejected')).toHaveLength(1);
  });

  it('a re-check whose order_id a poll records on another sale while it is asked: the verdict is not "paid" (the sale is not)', async () => {
    const t = tempDir('yima-recheck-verdict-');
    cleanup = t.cleanup;
    counter = await startCounter(t.dir, { schedule: FAST });
    await counter.invoke('settings:save', { section: 'yima', value: SETTINGS, approval: SUPERVISOR });
    const sim = counter.core.trainingYima;
    sim.reset();
    const a = await abandoned(2500);
    const b = await abandoned(2500);
    const orderId = sim.order(a.tradeNo)!.orderId;
    // The supervisor types A's order_id for B. While that question is on its way, A's own poll reports A
    // paid and records the order_id on A (played here in that order, to make the interleaving certain).
    const engine = counter.core.engine;
    const original = engine.recheckPayment.bind(engine);
    engine.recheckPayment = async (id, gatewayOrderId, actor) => {
      expect(sim.pay(a.tradeNo)).toBe(true);
      await engine.requeryPayment(a.id);
      return original(id, gatewayOrderId, actor);
    };
    sim.injectFault('bcm_orderquery_request', { kind: 'rewrite', fields: { org_pos_seq: '' } }, { count: 1 });
    const out = await counter.invoke('payment:recheck', { id: b.id, orderId, approval: SUPERVISOR });
    expect((await counter.invoke('payment:get', { id: a.id })).status).toBe('paid');
    expect(out.payment.status).toBe('unknown');
    expect(out.verdict).not.toBe('paid');
    expect(out.detail).toContain(a.tradeNo);
  });

  it('a card payment a re-check recorded on one sale does not settle a second sale when its own polls later report it', async () => {
    const t = tempDir('yima-recheck-twice-');
    cleanup = t.cleanup;
    counter = await startCounter(t.dir, { schedule: FAST });
    await counter.invoke('settings:save', { section: 'yima', value: SETTINGS, approval: SUPERVISOR });
    const sim = counter.core.trainingYima;
    sim.reset();
    const a = await abandoned(2500);
    const b = await abandoned(2500);
    const orderId = sim.order(a.tradeNo)!.orderId;
    // The supervisor types sale A's order_id for sale B, and Yima's answer says paid (the card was swiped
    // at that moment) naming no order number of ours, as its order query is documented.
    sim.injectFault('bcm_orderquery_request', { kind: 'rewrite', fields: { org_pos_seq: '', status_trans: '1' } }, { count: 1 });
    expect((await counter.invoke('payment:recheck', { id: b.id, orderId, approval: SUPERVISOR })).payment.status).toBe('paid');
    // A's own polls then genuinely report A paid — with the order_id already recorded on B.
    expect(sim.pay(a.tradeNo)).toBe(true);
    const before = sim.countRequests('bcm_resultquery_request');
    const seen = await waitUntil(
      async () => ({ polls: sim.countRequests('bcm_resultquery_request'), status: (await counter!.invoke('payment:get', { id: a.id })).status }),
      (x) => x.status === 'paid' || x.polls >= before + 2,
      'A paid, or asked twice more',
    );
    expect(seen.status).not.toBe('paid');
    expect(ledgerRows(t.dir, "SELECT count(*) AS n FROM payments WHERE status = 'paid' AND gateway = 'yima'")).toEqual([{ n: 1 }]);
  });

  it('refused before anything is sent: a cashier, a wrong PIN, a sale still waiting, a malformed order_id', async () => {
    const t = tempDir('yima-recheck-refuse-');
    cleanup = t.cleanup;
    counter = await startCounter(t.dir, { schedule: FAST });
    await counter.invoke('settings:save', { section: 'yima', value: SETTINGS, approval: SUPERVISOR });
    const sim = counter.core.trainingYima;
    sim.reset();
    await counter.invoke('training:script', { script: 'manual' });
    const waiting = await counter.invoke('payment:create', { amountFen: 800, tender: 'card' });
    await waitUntil(
      () => counter!.invoke('payment:get', { id: waiting.id }),
      (p) => p.status === 'waiting',
      'waiting',
    );
    const orderId = sim.order(waiting.tradeNo)!.orderId;
    await expect(counter.invoke('payment:recheck', { id: waiting.id, orderId, approval: SUPERVISOR })).rejects.toMatchObject({ code: 'INVALID_STATE' });
    await counter.invoke('payment:cancel', { id: waiting.id });
    await expect(counter.invoke('payment:recheck', { id: waiting.id, orderId, approval: { code: '001', pin: '1111' } })).rejects.toMatchObject({
      code: 'ROLE_REQUIRED',
    });
    await expect(counter.invoke('payment:recheck', { id: waiting.id, orderId, approval: { code: '800', pin: '0000' } })).rejects.toMatchObject({
      code: 'PIN_WRONG',
    });
    await expect(counter.invoke('payment:recheck', { id: waiting.id, orderId: 'short', approval: SUPERVISOR })).rejects.toMatchObject({ code: 'BAD_INPUT' });
    // A QR sale has no Yima order.
    const qr = await counter.invoke('payment:create', { amountFen: 100, tender: 'qr' });
    await expect(counter.invoke('payment:recheck', { id: qr.id, orderId, approval: SUPERVISOR })).rejects.toMatchObject({ code: 'INVALID_STATE' });
    expect(sim.countRequests('bcm_orderquery_request')).toBe(0);
  });
});
