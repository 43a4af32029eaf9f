import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { afterAll, expect, it } from 'vitest';
import { createFileKeyCipher } from '../src/core/secrets/cipher';
import { createUndiciSyncTransport } from '../src/core/sync/pusher';
import { COUNTER_HEADER, counterLabel, signBody, SIGNATURE_HEADER, SyncAckSchema, type CounterId, type SyncBatch } from '../src/core/sync/protocol';
import { addCounter } from '../src/hq/admin';
import { createPool, migrateHq } from '../src/hq/db';
import { startHqServer, type HqServer } from '../src/hq/server';
import { startTestPostgres } from '../test/support/postgres';
import { tempDir } from '../test/support/temp';
import { ms, percentile, writeTable } from './stats';

/**
 * Issue 14's scale figures (`npm run bench:hq`): COUNTERS simulated counters push EVENTS events each
 * concurrently into one headquarters service and one PostgreSQL (fsync on) on this machine, over the
 * real HTTP path with real signatures and the real ingest. Then a steady phase with headquarters down
 * for DOWN_S seconds in the middle: how long the backlog takes to drain once it is back.
 * A "sale" is 4 events and one payment row, as on a real counter.
 */
const COUNTERS = Number(process.env.HQ_BENCH_COUNTERS ?? 200);
const EVENTS = Number(process.env.HQ_BENCH_EVENTS ?? 10_000);
const DOWN_S = Number(process.env.HQ_BENCH_DOWN_S ?? 60);
const STEADY_RATE = Number(process.env.HQ_BENCH_RATE ?? 10); // events per second per counter in the steady phase
const BATCH = 500;

const t = tempDir('bench-hq-');
afterAll(() => t.cleanup());

interface SimCounter {
  id: CounterId;
  key: string;
  nextEvent: number;
  acked: number;
  /** Generated, not yet acknowledged: [event id, created at]. */
  pending: { id: number; at: number }[];
  saleNo: number;
}

function batchOf(c: SimCounter, upTo: number): { batch: SyncBatch; body: string } {
  const events = c.pending.filter((e) => e.id > c.acked).slice(0, upTo);
  const payments: Record<string, unknown>[] = [];
  const out = events.map((e) => {
    const sale = Math.ceil(e.id / 4);
    const step = (e.id - 1) % 4;
    if (step === 3) {
      payments.push({
        id: sale,
        trade_no: `P${c.id.lane}${String(sale).padStart(12, '0')}`,
        mode: 'live',
        tender: 'qr',
        gateway: 'bpc',
        status: 'paid',
        amount_fen: 100 + (sale % 9000),
        pay_type: ['ZFBA', 'WEIX', 'UPAY'][sale % 3],
        operator: '001',
        business_day: '2026-12-02',
        created_at: e.at,
        updated_at: e.at,
        paid_at: e.at,
        final_at: e.at,
      });
    }
    return {
      id: e.id,
      at: e.at,
      entity: 'payment',
      entityId: sale,
      type: ['intent', 'sent', 'status', 'status'][step]!,
      actor: '001',
      data: { step, amountFen: 100 + (sale % 9000) },
    };
  });
  const last = out.at(-1)?.id ?? c.acked;
  const batch: SyncBatch = {
    version: 1,
    counter: c.id,
    sentAt: Date.now(),
    asOf: c.nextEvent - 1,
    backlog: Math.max(0, c.nextEvent - 1 - last),
    events: out,
    payments,
    refunds: [],
    dayReports: [],
  };
  return { batch, body: JSON.stringify(batch) };
}

it(`headquarters: ${COUNTERS} counters × ${EVENTS.toLocaleString('en')} events, then ${DOWN_S} s down`, async () => {
  const loadBefore = loadavg()[0]!;
  const pg = await startTestPostgres({ fsync: true, ...(process.env.HQ_BENCH_PG_URL === undefined ? {} : { url: process.env.HQ_BENCH_PG_URL }) });
  const pool = createPool(pg.url, 20);
  await migrateHq(pool);
  const cipher = createFileKeyCipher(t.dir);
  let server: HqServer = await startHqServer({ pool, cipher, port: 0 });
  const port = Number(new URL(server.url).port);
  const counters: SimCounter[] = [];
  for (let i = 0; i < COUNTERS; i += 1) {
    const id = { store: `S${String(Math.floor(i / 5)).padStart(3, '0')}`, lane: String((i % 5) + 1) };
    const key = randomBytes(32).toString('hex');
    await addCounter(pool, cipher, { ...id, key });
    counters.push({ id, key, nextEvent: 1, acked: 0, pending: [], saleNo: 0 });
  }
  const { transport, close } = createUndiciSyncTransport();
  const url = `http://127.0.0.1:${port}/api/ingest`;
  const lags: number[] = [];
  let refused = 0;
  const push = async (c: SimCounter, record: boolean): Promise<boolean> => {
    const { batch, body } = batchOf(c, BATCH);
    if (batch.events.length === 0) return false;
    try {
      const res = await transport({
        method: 'POST',
        url,
        body,
        timeoutMs: 60_000,
        headers: { 'content-type': 'application/json', [COUNTER_HEADER]: counterLabel(c.id), [SIGNATURE_HEADER]: signBody(body, c.key) },
      });
      const ack = SyncAckSchema.safeParse(JSON.parse(res.body));
      if (res.status !== 200 || !ack.success || !ack.data.ok) {
        refused += 1;
        return false;
      }
      const now = Date.now();
      if (record) for (const e of batch.events) lags.push(now - e.at);
      c.acked = ack.data.hwm;
      c.pending = c.pending.filter((e) => e.id > c.acked);
      return true;
    } catch {
      return false;
    }
  };
  const generate = (c: SimCounter, n: number, at: number): void => {
    for (let k = 0; k < n; k += 1) c.pending.push({ id: c.nextEvent++, at });
  };

  // Phase 1: every counter has EVENTS events waiting (a day offline) and pushes them as fast as it can.
  const bulkStart = Date.now();
  for (const c of counters) generate(c, EVENTS, bulkStart);
  await Promise.all(
    counters.map(async (c) => {
      while (c.acked < c.nextEvent - 1) if (!(await push(c, false))) await new Promise((r) => setTimeout(r, 200));
    }),
  );
  const bulkMs = Date.now() - bulkStart;
  const bulkEvents = COUNTERS * EVENTS;
  const stored = (await pool.query<{ n: number }>('SELECT count(*)::bigint AS n FROM events')).rows[0]!.n;
  expect(stored).toBe(bulkEvents);

  // Phase 2: steady selling (STEADY_RATE events/s per counter, pushed every second), HQ down in the middle.
  let stop = false;
  let hqDown = false;
  const steady = counters.map(async (c) => {
    while (!stop) {
      generate(c, STEADY_RATE, Date.now());
      if (!hqDown) await push(c, true);
      await new Promise((r) => setTimeout(r, 1000 + Math.random() * 50));
    }
  });
  await new Promise((r) => setTimeout(r, 20_000));
  const steadyLags = [...lags];
  await server.close();
  hqDown = true;
  const downAt = Date.now();
  await new Promise((r) => setTimeout(r, DOWN_S * 1000));
  server = await startHqServer({ pool, cipher, port });
  hqDown = false;
  const upAt = Date.now();
  const backlogAtUp = counters.reduce((n, c) => n + c.pending.length, 0);
  // Drained: every counter's backlog back to what one push interval generates.
  while (counters.some((c) => c.pending.length > STEADY_RATE * 2)) await new Promise((r) => setTimeout(r, 100));
  const drainMs = Date.now() - upAt;
  stop = true;
  await Promise.all(steady);
  await close();
  await server.close();
  await pool.end();
  await pg.stop();

  const rate = Math.round(bulkEvents / (bulkMs / 1000));
  writeTable(
    'hq',
    `Headquarters ingest (${COUNTERS} counters, one PostgreSQL, fsync on, this machine)`,
    ['figure', 'value', 'note'],
    [
      ['bulk ingest', `${rate.toLocaleString('en')} events/s`, `${bulkEvents.toLocaleString('en')} events in ${ms(bulkMs / 1000)} s, batches of ${BATCH}`],
      [
        'steady lag p50',
        `${ms(percentile(steadyLags, 50))} ms`,
        `${STEADY_RATE} events/s per counter (${(STEADY_RATE * COUNTERS).toLocaleString('en')}/s total), pushed every 1 s`,
      ],
      ['steady lag p99', `${ms(percentile(steadyLags, 99))} ms`, 'event written on the counter → projected and acknowledged at HQ'],
      ['HQ down', `${ms((upAt - downAt) / 1000)} s`, `backlog when it came back: ${backlogAtUp.toLocaleString('en')} events`],
      ['drain after restart', `${ms(drainMs / 1000)} s`, 'until every counter is back to its normal backlog'],
      ['refused batches', String(refused), 'gaps or errors answered by HQ (expected 0)'],
    ],
    [
      `A 1,000-store chain with 5 counters each at the steady rate is ${(5_000 * STEADY_RATE).toLocaleString('en')} events/s; see docs/hq.md.`,
      `Counters, HQ service and PostgreSQL share this machine's ${cpus().length} cores (with whatever else runs): load average ${loadBefore.toFixed(2)} before, ${loadavg()[0]!.toFixed(2)} after.`,
    ],
  );
  expect(refused).toBe(0);
}, 3_600_000);
