import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BpcClient } from '../src/core/gateways/bpc/client';
import { openLedger, type Db } from '../src/core/ledger/db';
import { appendEvent } from '../src/core/ledger/events';
import { startBpcSimulator, type BpcSimulator } from '../src/core/simulators/bpc';
import { createUndiciSyncTransport, SyncPusher } from '../src/core/sync/pusher';
import { silentLogger } from '../src/core/util/logger';
import { realTimers } from '../src/core/util/time';
import { tempDir } from '../test/support/temp';
import type { PaymentEngine } from '../src/core/payments/engine';
import { liveBpcEngine } from './engine';
import { ms, percentile, writeTable } from './stats';

/**
 * Issue 14: headquarters sync never slows a sale. Three counters side by side in one run, each its own
 * engine and real ledger file with the same backlog (BACKLOG events a day offline): no headquarters
 * configured; the pusher active against a slow headquarters (holds every batch 1 s, then 503); the
 * pusher active against headquarters down (connection refused). The pushers run their own timers and,
 * as a worst case, back-to-back rounds on top, so each reads and signs full 500-event batches from the
 * same SQLite connection the sale writes to, all through the measurement. Sales interleaved in rotation.
 */
const KEY = 'bench-key-0123456789abcdef';
const MID = '104320170118888';
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 300);
const BACKLOG = Number(process.env.BENCH_SYNC_BACKLOG ?? 20_000);
const TARGET_RATIO = 1.1;

let sim: BpcSimulator;
let slowHq: Server;
const dirs: (() => void)[] = [];

beforeAll(async () => {
  sim = await startBpcSimulator({ key: KEY, mid: MID, defaultScript: { kind: 'waiting' } });
  slowHq = createHttpServer((req, res) => {
    req.resume();
    req.on('end', () => setTimeout(() => res.writeHead(503, { 'content-type': 'text/plain' }).end('busy'), 1000));
  });
  await new Promise<void>((ok) => slowHq.listen(0, '127.0.0.1', () => ok()));
});
afterAll(async () => {
  await sim.close();
  slowHq.closeAllConnections();
  await new Promise<void>((ok) => slowHq.close(() => ok()));
  dirs.forEach((c) => c());
});

async function deadUrl(): Promise<string> {
  const s = createNetServer();
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', () => ok()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((ok) => s.close(() => ok()));
  return `http://127.0.0.1:${port}`;
}

interface Counter {
  name: string;
  engine: PaymentEngine;
  db: Db;
  client: BpcClient;
  pusher: SyncPusher | null;
  close(): Promise<void>;
}

function counter(name: string, hqUrl: string | null): Counter {
  const t = tempDir('bench-sync-');
  dirs.push(t.cleanup);
  const db = openLedger(join(t.dir, 'ledger.sqlite'));
  db.transaction(() => {
    const at = Date.now();
    for (let i = 0; i < BACKLOG; i += 1)
      appendEvent(db, {
        at,
        entity: 'payment',
        entityId: Math.ceil((i + 1) / 4),
        type: 'status',
        actor: '001',
        data: { step: i % 4, amountFen: 100 + (i % 9000) },
      });
  })();
  const client = new BpcClient({ merchant: { url: sim.url, mid: MID, posNo: '37381542', tellerNo: '001' }, getKey: () => KEY });
  const engine = liveBpcEngine(db, client);
  engine.stop();
  const sync = hqUrl === null ? null : createUndiciSyncTransport();
  const pusher =
    hqUrl === null || sync === null
      ? null
      : new SyncPusher({
          db,
          connection: () => ({ url: hqUrl, counter: { store: 'B01', lane: name }, key: KEY }),
          transport: sync.transport,
          timers: realTimers,
          now: Date.now,
          logger: silentLogger,
          intervalMs: 500,
          timeoutMs: 5000,
        });
  return {
    name,
    engine,
    db,
    client,
    pusher,
    async close() {
      await pusher?.stop();
      await sync?.close();
      await client.destroy();
      db.close();
    },
  };
}

it('checkout with headquarters sync: no HQ vs pusher against a slow HQ vs HQ down (same run, interleaved)', async () => {
  const counters = [
    counter('none', null),
    counter('slow', `http://127.0.0.1:${(slowHq.address() as { port: number }).port}`),
    counter('down', await deadUrl()),
  ];
  let stop = false;
  const attempts = new Map<string, number>();
  // The pushers' own timers, plus back-to-back rounds: never idle during the measurement.
  const hammers = counters.map(async (c) => {
    if (c.pusher === null) return;
    c.pusher.start();
    while (!stop) {
      await c.pusher.syncNow();
      attempts.set(c.name, (attempts.get(c.name) ?? 0) + 1);
    }
  });
  const sale = async (c: Counter): Promise<number> => {
    const started = performance.now();
    const p = await c.engine.createPayment({ amountFen: 100, operator: '001' });
    const elapsed = performance.now() - started;
    expect(p.status).toBe('qr_issued');
    c.db.prepare("UPDATE payments SET status = 'failed' WHERE id = ?").run(p.id);
    return elapsed;
  };
  for (let i = 0; i < 20; i += 1) for (const c of counters) await sale(c);
  const times = new Map<string, number[]>(counters.map((c) => [c.name, []]));
  for (let i = 0; i < ITERATIONS; i += 1) {
    // Rotate the order so no counter always goes first.
    for (let k = 0; k < counters.length; k += 1) {
      const c = counters[(i + k) % counters.length]!;
      times.get(c.name)!.push(await sale(c));
    }
  }
  stop = true;
  await Promise.all(hammers);
  const waiting = counters.map((c) => (c.pusher === null ? '—' : String(c.pusher.status().lagEvents)));
  for (const c of counters) await c.close();

  const none = times.get('none')!;
  const row = (label: string, name: string): string[] => {
    const t = times.get(name)!;
    const r50 = percentile(t, 50) / percentile(none, 50);
    const r99 = percentile(t, 99) / percentile(none, 99);
    return [
      label,
      ms(percentile(t, 50)),
      ms(percentile(t, 99)),
      r50.toFixed(2),
      r99.toFixed(2),
      `≤ ${TARGET_RATIO.toFixed(2)}`,
      String(attempts.get(name) ?? 0),
    ];
  };
  writeTable(
    '3-sync-overhead',
    `Checkout with headquarters sync (${ITERATIONS} sales each, interleaved; ${BACKLOG.toLocaleString('en')} events waiting on each counter)`,
    ['counter', 'p50 (ms)', 'p99 (ms)', 'p50 ratio vs no HQ', 'p99 ratio vs no HQ', 'target', 'push rounds during the run'],
    [
      ['no headquarters configured', ms(percentile(none, 50)), ms(percentile(none, 99)), '1.00', '1.00', '—', '0'],
      row('pusher active, HQ slow (holds each batch 1 s, then 503)', 'slow'),
      row('pusher active, HQ down (connection refused)', 'down'),
    ],
    [
      "A sale = createPayment on the full engine path (intent + events committed, WAL synchronous=FULL, sign, POST to the simulator, answer committed); the pushers share each ledger's SQLite connection and read, serialise and sign 500-event batches while the sales run.",
      `Events still waiting at the end: ${waiting.join(' / ')} (none / slow / down) — nothing was acknowledged, as expected.`,
      `Load average at the end: ${loadavg()[0]!.toFixed(2)} (this machine's 2 cores are shared); absolute times move with the load, the ratio is measured side by side.`,
    ],
  );
}, 600_000);
