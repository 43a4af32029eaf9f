import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { formatOrderNumber } from '../src/core/ledger/order-numbers';
import { BpcClient } from '../src/core/gateways/bpc/client';
import { signBpcBody } from '../src/core/gateways/bpc/sign';
import { startNotifyListener, type NotifyListener } from '../src/core/gateways/bpc/notify-listener';
import { openLedger, type Db } from '../src/core/ledger/db';
import type { PaymentRecord } from '../src/core/ledger/payments';
import { startBpcSimulator, type BpcSimulator } from '../src/core/simulators/bpc';
import { silentLogger } from '../src/core/util/logger';
import { tempDir } from '../test/support/temp';
import type { PaymentEngine } from '../src/core/payments/engine';
import { liveBpcEngine } from './engine';
import { ms, percentile, writeTable } from './stats';

/**
 * Issue 3's benchmark, measured side by side in one run against the same loopback simulator:
 * 1. checkout overhead: the full engine path (intent write, sign, request, answer write; SQLite WAL
 *    with synchronous=FULL on a real file) vs a bare undici POST of the same kind of body;
 * 2. payment detection latency: simulator marks paid → ledger shows paid, with the default polling
 *    schedule and with notifications.
 */
const KEY = 'bench-key-0123456789abcdef';
const MID = '104320170118888';
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 400);

let sim: BpcSimulator;
const dirs: (() => void)[] = [];

beforeAll(async () => {
  sim = await startBpcSimulator({ key: KEY, mid: MID, defaultScript: { kind: 'waiting' } });
});
afterAll(async () => {
  await sim.close();
  dirs.forEach((c) => c());
});

function makeEngine(
  onPayment: (p: PaymentRecord) => void,
  options: { stopped?: boolean; notifyUrl?: string } = {},
): { engine: PaymentEngine; db: Db; client: BpcClient } {
  const t = tempDir('bench-');
  dirs.push(t.cleanup);
  const db = openLedger(join(t.dir, 'ledger.sqlite'));
  const client = new BpcClient({ merchant: { url: sim.url, mid: MID, posNo: '37381542', tellerNo: '001' }, getKey: () => KEY });
  const engine = liveBpcEngine(db, client, { retUrl: () => options.notifyUrl, onPayment });
  if (options.stopped === true) engine.stop();
  return { engine, db, client };
}

it('checkout overhead: engine path vs bare undici POST (same simulator, interleaved)', async () => {
  const { engine, db, client } = makeEngine(() => undefined, { stopped: true });
  const agent = new Agent({ keepAliveTimeout: 30_000, connections: 4 });
  const bare = async (): Promise<number> => {
    const body = JSON.stringify({
      tranType: 'F',
      posNo: '37381542',
      mid: MID,
      txnAmt: '000000000100',
      tradeNo: formatOrderNumber('P', 'B', Date.now()),
      qrValidTime: '',
      payType: '',
      tellerNo: '001',
    });
    const started = performance.now();
    const res = await request(sim.url, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json; charset=UTF-8', sign: signBpcBody(body, KEY) },
      body,
    });
    await res.body.text();
    return performance.now() - started;
  };
  const full = async (): Promise<number> => {
    const started = performance.now();
    const p = await engine.createPayment({ amountFen: 100, operator: '001' });
    const elapsed = performance.now() - started;
    expect(p.status).toBe('qr_issued');
    // Outside the timed section: end the sale so the next one may start (the engine allows one open sale).
    db.prepare("UPDATE payments SET status = 'failed' WHERE id = ?").run(p.id);
    return elapsed;
  };
  for (let i = 0; i < 30; i += 1) {
    await bare();
    await full();
  }
  const bareTimes: number[] = [];
  const fullTimes: number[] = [];
  for (let i = 0; i < ITERATIONS; i += 1) {
    if (i % 2 === 0) {
      bareTimes.push(await bare());
      fullTimes.push(await full());
    } else {
      fullTimes.push(await full());
      bareTimes.push(await bare());
    }
  }
  await agent.close();
  await client.destroy();
  db.close();
  const rows = [50, 99].map((p) => {
    const b = percentile(bareTimes, p);
    const f = percentile(fullTimes, p);
    return [`p${p}`, ms(b), ms(f), ms(f - b), (f / b).toFixed(2)];
  });
  writeTable(
    '1-checkout-overhead',
    `Checkout overhead (${ITERATIONS} sales each, interleaved)`,
    ['percentile', 'bare undici POST (ms)', 'full engine path (ms)', 'overhead (ms)', 'ratio'],
    rows,
    [
      'Full path = intent row + event committed (WAL, synchronous=FULL, real file) → sign → POST → answer row + events committed.',
      'Targets: overhead ≤ 2 ms at p50 and ≤ 5 ms at p99.',
    ],
  );
});

async function detection(withNotifications: boolean, samples: number): Promise<number[]> {
  let listener: NotifyListener | null = null;
  const engines: { engine: PaymentEngine; paidSeen: Map<number, number> }[] = [];
  const engineForTrace = new Map<string, PaymentEngine>();
  if (withNotifications) {
    listener = await startNotifyListener({
      host: '127.0.0.1',
      port: 0,
      getKey: () => KEY,
      requireSigned: true,
      onNotification: (n) => {
        const trace = n.orgSysTrace ?? '';
        engineForTrace.get(trace)?.notified(trace);
      },
      logger: silentLogger,
    });
  }
  const notifyUrl = listener === null ? undefined : `http://127.0.0.1:${listener.port}/notify`;
  const latencies: number[] = [];
  await Promise.all(
    Array.from({ length: samples }, async (_, i) => {
      const paidSeen = new Map<number, number>();
      const { engine, db, client } = makeEngine(
        (p) => {
          if (p.status === 'paid' && !paidSeen.has(p.id)) paidSeen.set(p.id, Date.now());
        },
        { ...(notifyUrl === undefined ? {} : { notifyUrl }) },
      );
      engines.push({ engine, paidSeen });
      // The customer pays somewhere in the QR's first minute (spread so the polling phase varies).
      const payAfter = withNotifications ? 300 + ((i * 97) % 1500) : 3500 + ((i * 1777) % 9000);
      sim.scriptNext({ kind: 'pay_after_ms', ms: payAfter }, notifyUrl === undefined ? undefined : { url: notifyUrl, count: 1 });
      const p = await engine.createPayment({ amountFen: 100 + i, operator: '001' });
      engineForTrace.set(p.sysTrace!, engine);
      const deadline = Date.now() + 60_000;
      while (!paidSeen.has(p.id) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const order = sim.order(p.sysTrace!);
      if (order?.paidAt === null || order?.paidAt === undefined || !paidSeen.has(p.id)) throw new Error('payment not detected');
      latencies.push(paidSeen.get(p.id)! - order.paidAt);
      engine.stop();
      await client.destroy();
      db.close();
    }),
  );
  await listener?.close();
  return latencies;
}

it('payment detection latency: default polling vs notifications', async () => {
  const polling = await detection(false, 24);
  const notified = await detection(true, 24);
  writeTable(
    '2-detection-latency',
    'Payment detection latency (simulator marks paid → ledger shows paid)',
    ['path', 'samples', 'median (ms)', 'p90 (ms)', 'max (ms)', 'target'],
    [
      [
        'default polling (3 s, then every 2 s, then 5 s), no notifications',
        polling.length,
        ms(percentile(polling, 50)),
        ms(percentile(polling, 90)),
        ms(Math.max(...polling)),
        'median ≤ 2000',
      ],
      [
        'notification → immediate G query',
        notified.length,
        ms(percentile(notified, 50)),
        ms(percentile(notified, 90)),
        ms(Math.max(...notified)),
        'median ≤ 100',
      ],
    ],
    ["Payments are paid by the simulated customer at spread moments of the QR's first minute; each sale runs its own engine and ledger concurrently."],
  );
});
