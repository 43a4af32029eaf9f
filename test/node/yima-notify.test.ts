/**
 * Issue 11.6 in the composed app: a Yima card order carries Yima's own notification receiver as
 * notify_url (in training: a loopback receiver for the Yima simulator — not the BPC listener, which
 * cannot read a Yima body), and the simulator's notifications (the trainer's "duplicate notifications":
 * three, as Yima-family platforms retry) trigger immediate result queries that settle the sale while
 * scheduled polling is far away. A notification for no sale of ours is counted, not stored.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ledgerRows, startCounter, SUPERVISOR, waitUntil, type TestCounter } from '../support/counter';
import { tempDir } from '../support/temp';

const SETTINGS = {
  url: 'https://yima.invalid/ipos-sa/gateway',
  isspid: '39493002',
  systemId: '8888',
  storeId: '1511300001',
  posId: '1511300001',
  terminalId: '0001045907',
  cardRoute: 'yima',
};
/** Polling a minute apart: whatever settles the sale in these tests is a notification's query. */
const SLOW = { firstQueryMs: 60_000, fastIntervalMs: 60_000, slowIntervalMs: 60_000, backoffStartMs: 60_000, backoffMaxMs: 60_000 };

describe('Yima notifications in the composed app (training)', () => {
  let counter: TestCounter | null = null;
  let cleanup: (() => void) | null = null;
  afterEach(async () => {
    await counter?.close();
    counter = null;
    cleanup?.();
    cleanup = null;
  });

  it("the push names Yima's receiver as notify_url; the trainer's duplicate notifications settle the sale through queries", async () => {
    const t = tempDir('yima-notify-');
    cleanup = t.cleanup;
    counter = await startCounter(t.dir, { schedule: SLOW });
    await counter.invoke('settings:save', { section: 'yima', value: SETTINGS, approval: SUPERVISOR });
    const sim = counter.core.trainingYima;
    sim.reset();
    await counter.invoke('training:script', { script: 'manual' });
    const sale = await counter.invoke('payment:create', { amountFen: 880, tender: 'card' });
    expect(sale.status).toBe('waiting');
    const order = sim.order(sale.tradeNo)!;
    expect(order.notifyUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/yima\/notify$/);
    // Paid on the card POS: the simulator notifies (three times, as Yima retries).
    expect(sim.pay(sale.tradeNo)).toBe(true);
    expect(await sim.notify(sale.tradeNo, { count: 3 })).toEqual([200, 200, 200]);
    const paid = await waitUntil(
      () => counter!.invoke('payment:get', { id: sale.id }),
      (p) => p.status === 'paid',
      'paid through the notifications',
    );
    expect(paid.gatewayDetail.orderId).toBe(order.orderId);
    expect(sim.countRequests('bcm_ordercreate_request')).toBe(1);
    const polls = sim.countRequests('bcm_resultquery_request');
    expect(polls).toBeGreaterThanOrEqual(1);
    expect(polls).toBeLessThanOrEqual(3);
    const notes = ledgerRows<{ data: string }>(t.dir, "SELECT data FROM events WHERE entity = 'app' AND type = 'notification'");
    expect(notes.length).toBeGreaterThanOrEqual(1);
    expect(JSON.parse(notes[0]!.data)).toMatchObject({ gateway: 'yima', orders: [sale.tradeNo] });
  });

  it("the trainer's 'duplicate notifications' choice makes the simulated Yima notify three times by itself", async () => {
    const t = tempDir('yima-notify-dup-');
    cleanup = t.cleanup;
    // Polled as usual: the simulator pays after two polls, then notifies (3×) by itself.
    counter = await startCounter(t.dir);
    await counter.invoke('settings:save', { section: 'yima', value: SETTINGS, approval: SUPERVISOR });
    counter.core.trainingYima.reset();
    await counter.invoke('training:script', { script: 'duplicate_notify' });
    const sale = await counter.invoke('payment:create', { amountFen: 990, tender: 'card' });
    await waitUntil(
      () => counter!.invoke('payment:get', { id: sale.id }),
      (p) => p.status === 'paid',
      'paid',
    );
    await waitUntil(
      async () => ledgerRows<{ n: number }>(t.dir, "SELECT count(*) AS n FROM events WHERE entity = 'app' AND type = 'notification'")[0]!.n,
      (n) => n === 3,
      'three notifications recorded',
    );
    expect(counter.core.trainingYima.countRequests('bcm_ordercreate_request')).toBe(1);
  });
});
