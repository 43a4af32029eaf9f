/**
 * Issue 11: card sales pushed to the card POS through Yima, driven by the payment engine behind the
 * gateway port — the intent first, one create per sale (never pushed again), result queries with a
 * fresh pos_seq each (reserved in the ledger before it leaves), a lost create answer resolved by
 * querying, a restart resuming the wait, a cancel at the counter never claiming the terminal cancelled.
 * A real core (training mode) and the real Yima simulator over loopback HTTP.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { maskCardNumbersInWireText } from '../../src/core/gateways/yima/adapter';
import { ledgerRows, startCounter, SUPERVISOR, waitUntil, type TestCounter } from '../support/counter';
import { tempDir } from '../support/temp';
import { YIMA_TEST_SETTINGS as SETTINGS, FAST_YIMA_SCHEDULE as FAST } from '../support/yima';

describe('card sales through Yima (training simulator)', () => {
  let counter: TestCounter | null = null;
  let cleanup: (() => void) | null = null;
  afterEach(async () => {
    await counter?.close();
    counter = null;
    cleanup?.();
    cleanup = null;
  });

  const start = async (dir: string): Promise<TestCounter> => {
    const c = await startCounter(dir, { schedule: FAST });
    await c.invoke('settings:save', { section: 'yima', value: SETTINGS, approval: SUPERVISOR });
    return c;
  };
  it('F9 pushes one order; result queries with fresh, reserved pos_seqs until paid; the ledger keeps the masked detail', async () => {
    const t = tempDir('yima-sale-');
    cleanup = t.cleanup;
    counter = await start(t.dir);
    const sim = counter.core.trainingYima;
    sim.reset();
    const sale = await counter.invoke('payment:create', { amountFen: 2580, tender: 'card' });
    expect(sale).toMatchObject({ tender: 'card', gateway: 'yima', amountFen: 2580 });
    const paid = await waitUntil(
      () => counter!.invoke('payment:get', { id: sale.id }),
      (p) => p.status === 'paid',
      'paid',
    );
    expect(paid.gatewayRef).toBe(sale.tradeNo);
    expect(paid.gatewayDetail).toMatchObject({ orderId: expect.any(String) });
    expect(paid.gatewayDetail.cardNo).toMatch(/^\d{6}\*+\d{4}$/);

    const creates = sim.requests().filter((r) => r.requestType === 'bcm_ordercreate_request');
    const polls = sim.requests().filter((r) => r.requestType === 'bcm_resultquery_request');
    expect(creates.map((r) => r.posSeq)).toEqual([sale.tradeNo]);
    expect(polls.length).toBeGreaterThanOrEqual(3); // two 9998, then paid
    expect(new Set(polls.map((r) => r.posSeq)).size).toBe(polls.length);
    // Each poll's serial was in the ledger before it left.
    const reserved = new Set(ledgerRows<{ seq: string }>(t.dir, "SELECT seq FROM gateway_requests WHERE gateway = 'yima'").map((r) => r.seq));
    for (const p of polls) expect(reserved.has(p.posSeq), p.posSeq).toBe(true);
    const events = ledgerRows<{ type: string }>(t.dir, "SELECT type FROM events WHERE entity = 'payment' AND entity_id = ? ORDER BY id", sale.id).map(
      (e) => e.type,
    );
    expect(events[0]).toBe('intent');
    expect(events.filter((e) => e === 'yima.create')).toHaveLength(1);
    // The exchanges stay readable evidence (order numbers exact), only the card number masked.
    const exchanges = ledgerRows<{ type: string; data: string }>(
      t.dir,
      "SELECT type, data FROM events WHERE entity = 'payment' AND entity_id = ? AND type LIKE 'yima.%' ORDER BY id",
      sale.id,
    ).map((e) => ({ type: e.type, ...(JSON.parse(e.data) as { request: string; response: string | null }) }));
    expect(exchanges[0]!.request).toContain(`"pos_seq":"${sale.tradeNo}"`);
    expect(exchanges[0]!.request).toContain('"request_type":"bcm_ordercreate_request"');
    const last = exchanges.at(-1)!;
    expect(last.response).toContain(`"org_pos_seq":"${sale.tradeNo}"`);
    expect(last.response).toContain(`"card_no":"${String(paid.gatewayDetail.cardNo)}"`);
  });

  it("the counter's split plan goes with every create as extend_params; a sale the plan cannot split is refused with the rule named, nothing pushed", async () => {
    const t = tempDir('yima-split-');
    cleanup = t.cleanup;
    counter = await startCounter(t.dir, { schedule: FAST });
    const splitPlan = { flag: 'R', receivers: [{ merchantId: '10000000000001', divAmtFen: 150 }] };
    await counter.invoke('settings:save', { section: 'yima', value: { ...SETTINGS, splitPlan }, approval: SUPERVISOR });
    const sim = counter.core.trainingYima;
    sim.reset();
    // 1.00 yuan cannot give the receiver its fixed 1.50: refused before anything leaves.
    const refused = await counter.invoke('payment:create', { amountFen: 100, tender: 'card' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(refused).toMatchObject({ code: 'BAD_INPUT' });
    expect(String((refused as Error).message)).toContain('split.amount_sum');
    expect(sim.countRequests()).toBe(0);
    const failed = ledgerRows<{ status: string; resp_msg: string }>(t.dir, 'SELECT status, resp_msg FROM payments ORDER BY id DESC LIMIT 1')[0]!;
    expect(failed.status).toBe('failed');
    expect(failed.resp_msg).toContain('card order not pushed');
    expect(failed.resp_msg).toContain('nothing was sent');

    const sale = await counter.invoke('payment:create', { amountFen: 2580, tender: 'card' });
    await waitUntil(
      () => counter!.invoke('payment:get', { id: sale.id }),
      (p) => p.status === 'paid',
      'paid',
    );
    const create = sim.requests().find((r) => r.requestType === 'bcm_ordercreate_request')!;
    const body = JSON.parse(create.raw.toString('utf8')) as { bcm_ordercreate_request: { extend_params: unknown } };
    expect(body.bcm_ordercreate_request.extend_params).toEqual({
      split_flag: 'R',
      split_info: { keep_amt: '2430', split_list: [{ merchant_id: '10000000000001', div_amt: '150' }] },
    });
  });

  it('no sale is pushed twice under any fault on the create (timeout, reset, HTML, garbage, HTTP 500, bad sign) nor under 9998 forever', async () => {
    const t = tempDir('yima-faults-');
    cleanup = t.cleanup;
    counter = await start(t.dir);
    const sim = counter.core.trainingYima;
    sim.reset();
    const faults = [{ kind: 'hang' }, { kind: 'reset' }, { kind: 'html' }, { kind: 'garbage' }, { kind: 'http_500' }, { kind: 'bad_sign' }] as const;
    for (const fault of faults) {
      // Yima takes the push (the card POS shows it), then the answer is lost or unreadable.
      sim.injectFault('bcm_ordercreate_request', fault, { count: 1, after: true });
      const sale = await counter.invoke('payment:create', { amountFen: 300, tender: 'card' });
      const paid = await waitUntil(
        () => counter!.invoke('payment:get', { id: sale.id }),
        (p) => p.status === 'paid',
        `paid after ${fault.kind}`,
        20_000,
      );
      expect(paid.amountFen, fault.kind).toBe(300);
      expect(
        sim.requests().filter((r) => r.requestType === 'bcm_ordercreate_request' && r.posSeq === sale.tradeNo),
        fault.kind,
      ).toHaveLength(1);
    }
    expect(sim.countRequests('bcm_ordercreate_request')).toBe(faults.length);

    // 9998 forever: queried past the give-up time (状态未明 for a supervisor), still one push.
    await counter.invoke('training:script', { script: 'hang' });
    const waiting = await counter.invoke('payment:create', { amountFen: 400, tender: 'card' });
    await waitUntil(
      () => counter!.invoke('payment:get', { id: waiting.id }),
      (p) => p.status === 'unknown',
      '状态未明',
    );
    const polls = sim.countRequests('bcm_resultquery_request');
    await waitUntil(
      async () => sim.countRequests('bcm_resultquery_request'),
      (n: number) => n > polls + 2,
      'still queried',
    );
    expect(sim.requests().filter((r) => r.requestType === 'bcm_ordercreate_request' && r.posSeq === waiting.tradeNo)).toHaveLength(1);
  }, 60_000);

  it('test connection: one harmless result query about an order that cannot exist; a dead link says why', async () => {
    const t = tempDir('yima-test-');
    cleanup = t.cleanup;
    counter = await start(t.dir);
    const sim = counter.core.trainingYima;
    sim.reset();
    const ok = await counter.invoke('settings:testConnection', { gateway: 'yima' });
    expect(ok.ok).toBe(true);
    expect(ok.detail).toMatch(/^training Yima answered \S+/);
    expect(sim.requests().map((r) => r.requestType)).toEqual(['bcm_resultquery_request']);
    sim.injectFault('bcm_resultquery_request', { kind: 'reset' }, { count: 1 });
    const dead = await counter.invoke('settings:testConnection', { gateway: 'yima' });
    expect(dead.ok).toBe(false);
    expect(dead.detail).toContain('training Yima:');
    expect(sim.countRequests('bcm_ordercreate_request')).toBe(0);
  });

  it('the ledger copy of a wire text masks card_no (JSON and XML) and card-like digit runs, nothing else', () => {
    expect(maskCardNumbersInWireText('{"pos_seq":"2026120200000000012","card_no":"6225881234567890","ref_no":"123456789012"}')).toBe(
      '{"pos_seq":"2026120200000000012","card_no":"622588******7890","ref_no":"123456789012"}',
    );
    expect(maskCardNumbersInWireText('<bcm_res_info><card_no>6225881234567890</card_no><trace_no>000123</trace_no></bcm_res_info>')).toBe(
      '<bcm_res_info><card_no>622588******7890</card_no><trace_no>000123</trace_no></bcm_res_info>',
    );
    expect(maskCardNumbersInWireText('<card_no><![CDATA[6225881234567890]]></card_no>')).toBe('<card_no><![CDATA[622588******7890]]></card_no>');
    // A Luhn-valid card number quoted elsewhere (e.g. in a comment) is masked too.
    expect(maskCardNumbersInWireText('{"comment":"卡 4111111111111111 余额不足"}')).toBe('{"comment":"卡 411111******1111 余额不足"}');
  });

  it('a create whose answer is lost is queried (the card POS may have it), never pushed again, and ends paid', async () => {
    const t = tempDir('yima-lost-');
    cleanup = t.cleanup;
    counter = await start(t.dir);
    const sim = counter.core.trainingYima;
    sim.reset();
    // Yima processes the push, then the connection drops before the answer.
    sim.injectFault('bcm_ordercreate_request', { kind: 'reset' }, { count: 1, after: true });
    const sale = await counter.invoke('payment:create', { amountFen: 1200, tender: 'card' });
    expect(sale.status).toBe('waiting');
    const paid = await waitUntil(
      () => counter!.invoke('payment:get', { id: sale.id }),
      (p) => p.status === 'paid',
      'paid',
    );
    expect(paid.amountFen).toBe(1200);
    expect(sim.countRequests('bcm_ordercreate_request')).toBe(1);
  });

  it('a declined card ends failed; a cancel at the counter never claims a cancel: the sale goes 状态未明 and is still followed', async () => {
    const t = tempDir('yima-decline-');
    cleanup = t.cleanup;
    counter = await start(t.dir);
    await counter.invoke('training:script', { script: 'fail' });
    const declined = await counter.invoke('payment:create', { amountFen: 500, tender: 'card' });
    const failed = await waitUntil(
      () => counter!.invoke('payment:get', { id: declined.id }),
      (p) => p.status === 'failed',
      'declined',
    );
    expect(failed.respMsg).toContain('余额不足');

    await counter.invoke('training:script', { script: 'manual' });
    const open = await counter.invoke('payment:create', { amountFen: 700, tender: 'card' });
    await waitUntil(
      () => counter!.invoke('payment:get', { id: open.id }),
      (p) => p.status === 'waiting',
      'waiting',
    );
    const cancelled = await counter.invoke('payment:cancel', { id: open.id });
    expect(cancelled.status).toBe('unknown');
    // The counter is free for the next sale while this one is followed.
    const next = await counter.invoke('payment:create', { amountFen: 100, tender: 'qr' });
    expect(next.id).toBeGreaterThan(open.id);
    // The customer paid on the terminal after all: recorded paid.
    expect(counter.core.trainingYima.pay(open.tradeNo)).toBe(true);
    await waitUntil(
      () => counter!.invoke('payment:get', { id: open.id }),
      (p) => p.status === 'paid',
      'paid after the cancel',
    );
    expect(counter.core.trainingYima.countRequests('bcm_ordercreate_request')).toBe(2); // the declined one and this one
  });

  it('a sale waiting on the card POS resumes after a restart: queried, never pushed again, 状态未明 when the POS cannot say', async () => {
    const t = tempDir('yima-restart-');
    cleanup = t.cleanup;
    counter = await start(t.dir);
    await counter.invoke('training:script', { script: 'manual' });
    const sale = await counter.invoke('payment:create', { amountFen: 900, tender: 'card' });
    await waitUntil(
      () => counter!.invoke('payment:get', { id: sale.id }),
      (p) => p.status === 'waiting',
      'waiting',
    );
    const creates = counter.core.trainingYima.countRequests('bcm_ordercreate_request');
    await counter.close();
    counter = await startCounter(t.dir, { schedule: FAST });
    // A new process has a new training simulator; the order it never saw is "never paid" there, so
    // the resumed sale keeps being queried (no second push) and ends 状态未明 for a supervisor.
    const after = await waitUntil(
      () => counter!.invoke('payment:get', { id: sale.id }),
      (p) => p.status === 'unknown',
      '状态未明 after the restart',
    );
    expect(after.tender).toBe('card');
    expect(counter.core.trainingYima.countRequests('bcm_ordercreate_request')).toBe(0);
    expect(counter.core.trainingYima.countRequests('bcm_resultquery_request')).toBeGreaterThan(0);
    expect(creates).toBe(1);
  });
});
