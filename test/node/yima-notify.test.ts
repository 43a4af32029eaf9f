/**
 * Issue 11.6 in the composed app: a Yima card order carries Yima's own notification receiver as
 * notify_url (in training: a loopback receiver for the Yima simulator — not the BPC listener, which
 * cannot read a Yima body), and the simulator's notifications (the trainer's "duplicate notifications":
 * three, as Yima-family platforms retry) trigger immediate result queries that settle the sale while
 * scheduled polling is far away. A notification for no sale of ours is counted, not stored.
 */
import { writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCore } from '../../src/core/app/core';
import { YIMA_GATEWAY_ID } from '../../src/core/gateways/yima/adapter';
import { encodeRequest } from '../../src/core/gateways/yima/codec';
import { getPayment } from '../../src/core/ledger/payments';
import { createFileKeyCipher } from '../../src/core/secrets/cipher';
import { startBpcSimulator } from '../../src/core/simulators/bpc/index';
import { startYimaSimulator } from '../../src/core/simulators/yima';
import { silentLogger } from '../../src/core/util/logger';
import { ledgerRows, startCounter, startProvisionedCore, SUPERVISOR, waitUntil, type TestCounter } from '../support/counter';
import { tempDir } from '../support/temp';
import { YIMA_TEST_SETTINGS as SETTINGS } from '../support/yima';

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

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((ok) => server.close(() => ok()));
  return port;
}

describe('Yima notifications in live mode', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('a counter with a Yima notification port listens there; a signed notification settles the sale through its query, a forged one is refused', async () => {
    const bank = await startBpcSimulator({ key: '01AC$@!BGT98aw#C', mid: '104320170118888', defaultScript: { kind: 'manual' } });
    cleanups.push(() => bank.close());
    const yimaKey = 'yima-live-key-0123';
    const yima = await startYimaSimulator({ isspid: SETTINGS.isspid, key: yimaKey, signRule: 'sorted_kv_key', defaultScript: { kind: 'manual' } });
    cleanups.push(() => yima.close());
    const t = tempDir('yima-live-notify-');
    cleanups.push(t.cleanup);
    const port = await freePort();
    const notifyUrl = `http://127.0.0.1:${port}/yima/notify`;
    const core = await startProvisionedCore(
      t.dir,
      {
        bpc: { url: bank.url, mid: '104320170118888', posNo: '37381542', tellerNo: '001', key: '01AC$@!BGT98aw#C', profile: { requireSignedResponses: true } },
        yima: { ...SETTINGS, url: yima.url, key: yimaKey, requireSignedResponses: true, notifyUrl, notifyHost: '127.0.0.1', notifyPort: port },
      },
      // Only a notification can make a query happen within the test.
      { schedule: SLOW },
    );
    cleanups.push(() => core.close());
    expect(core.info()).toMatchObject({ mode: 'live', configError: null });

    const sale = await core.engine.createPayment({ amountFen: 1688, operator: '001', gateway: YIMA_GATEWAY_ID });
    expect(sale.status).toBe('waiting');
    expect(yima.order(sale.tradeNo)?.notifyUrl).toBe(notifyUrl);
    const polls = yima.countRequests('bcm_resultquery_request');

    // A notification naming the sale but not signed with our key is refused (in Yima's envelope) and
    // asks nothing: the sale stays waiting.
    const forged = await fetch(notifyUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ request_type: 'bcm_notify_request', isspid: SETTINGS.isspid, org_pos_seq: sale.tradeNo, sign: '0'.repeat(32) }),
    });
    expect(forged.status).toBe(200);
    expect(JSON.parse(await forged.text())).toMatchObject({ result: { id: '6100' } });
    await new Promise((r) => setTimeout(r, 300));
    expect(yima.countRequests('bcm_resultquery_request')).toBe(polls);
    expect(getPayment(core.db, sale.id).status).toBe('waiting');

    // Paid on the card POS: Yima notifies the live receiver (signed), which only triggers the result
    // query; the query finds it paid.
    expect(yima.pay(sale.tradeNo)).toBe(true);
    await waitUntil(
      async () => getPayment(core.db, sale.id),
      (p) => p.status === 'paid',
      'paid through the notification',
    );
    expect(yima.countRequests('bcm_ordercreate_request')).toBe(1);
    expect(yima.countRequests('bcm_resultquery_request')).toBeGreaterThan(polls);
  });
  it("a replayed signed notification, 200 times over, is recorded and acted on a few times only (the ledger is not the sender's to fill)", async () => {
    const bank = await startBpcSimulator({ key: '01AC$@!BGT98aw#C', mid: '104320170118888', defaultScript: { kind: 'manual' } });
    cleanups.push(() => bank.close());
    const yimaKey = 'yima-live-key-0123';
    const yima = await startYimaSimulator({ isspid: SETTINGS.isspid, key: yimaKey, signRule: 'sorted_kv_key', defaultScript: { kind: 'manual' } });
    cleanups.push(() => yima.close());
    const t = tempDir('yima-live-flood-');
    cleanups.push(t.cleanup);
    const port = await freePort();
    const notifyUrl = `http://127.0.0.1:${port}/yima/notify`;
    const file = join(t.dir, 'provisioning.json');
    writeFileSync(
      file,
      JSON.stringify({
        bpc: { url: bank.url, mid: '104320170118888', posNo: '37381542', tellerNo: '001', key: '01AC$@!BGT98aw#C' },
        yima: { ...SETTINGS, url: yima.url, key: yimaKey, requireSignedResponses: true, notifyUrl, notifyHost: '127.0.0.1', notifyPort: port },
        operators: [
          { code: '001', pin: '246801' },
          { code: '800', pin: '813579' },
          { code: '900', pin: '902468' },
        ],
      }),
    );
    const core = await startCore({
      dataDir: t.dir,
      version: '0',
      platform: 'web',
      cipher: createFileKeyCipher(t.dir),
      logger: silentLogger,
      provisioningFile: file,
      provisioningRequired: true,
      schedule: SLOW,
    });
    cleanups.push(() => core.close());
    const sale = await core.engine.createPayment({ amountFen: 1688, operator: '001', gateway: YIMA_GATEWAY_ID });
    expect(sale.status).toBe('waiting');
    // Yima's genuine signed notification for the sale (signed here with the shared key), captured and replayed.
    const note = encodeRequest(
      {
        response_type: 'bcm_resultquery_response',
        isspid: SETTINGS.isspid,
        pos_seq: '9'.repeat(20),
        org_pos_seq: sale.tradeNo,
        result: { id: '0000', comment: '成功' },
      },
      { format: 'json', xmlTransport: 'raw', signRule: 'sorted_kv_key' },
      yimaKey,
    ).body;
    const polls = yima.countRequests('bcm_resultquery_request');
    const eventsBefore = ledgerRows<{ n: number }>(t.dir, 'SELECT count(*) AS n FROM events')[0]!.n;
    for (let i = 0; i < 200; i += 1) {
      const res = await fetch(notifyUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: note });
      expect(res.status).toBe(200);
      expect(JSON.parse(await res.text())).toMatchObject({ result: { id: '0000' } });
    }
    await new Promise((r) => setTimeout(r, 300));
    const recorded = ledgerRows<{ n: number }>(t.dir, "SELECT count(*) AS n FROM events WHERE entity = 'app' AND type = 'notification'")[0]!.n;
    expect(recorded).toBeGreaterThanOrEqual(1);
    expect(recorded).toBeLessThanOrEqual(5);
    expect(yima.countRequests('bcm_resultquery_request') - polls).toBeLessThanOrEqual(6);
    expect(ledgerRows<{ n: number }>(t.dir, 'SELECT count(*) AS n FROM events')[0]!.n - eventsBefore).toBeLessThanOrEqual(20);
    expect(yima.countRequests('bcm_ordercreate_request')).toBe(1);
  });
});
