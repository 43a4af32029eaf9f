/**
 * Counters → headquarters on a real PostgreSQL: offline-first, at-least-once delivery with an
 * exactly-once effect, signed batches, gaps refused, day reports reconciled, snapshots pulled.
 */
import { createServer } from 'node:net';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { writeSetting } from '../../src/core/ledger/settings';
import type { SecretCipher } from '../../src/core/secrets/cipher';
import { HQ_KEY } from '../../src/core/config/provisioning';
import { createUndiciSyncTransport, type SyncTransport } from '../../src/core/sync/pusher';
import { COUNTER_HEADER, signBody, SIGNATURE_HEADER, type SyncBatch } from '../../src/core/sync/protocol';
import { readBatch } from '../../src/core/sync/outbox';
import { addCounter, publishSnapshot, revokeCounter } from '../../src/hq/admin';
import { overview } from '../../src/hq/dashboard';
import type { Pool } from '../../src/hq/db';
import { startHqServer, type HqServer } from '../../src/hq/server';
import { businessDay } from '../../src/core/util/time';
import { startCounter, MANAGER, type TestCounter } from '../support/counter';
import { startTestHq, type TestHq } from '../support/hq';
import { tempDir } from '../support/temp';

let hqdb: TestHq;
let pool: Pool;
let cipher: SecretCipher;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  hqdb = await startTestHq();
  ({ pool, cipher } = hqdb);
}, 60_000);
afterAll(async () => {
  await hqdb.stop();
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a !== null ? a.port : 0));
    });
  });
}

async function hq(port = 0): Promise<HqServer> {
  const server = await startHqServer({ pool, cipher, port });
  cleanups.push(() => server.close());
  return server;
}

/** A counter of `store`/`lane`, registered at headquarters, configured to push to `url`. */
async function counter(store: string, lane: string, url: string, transport?: SyncTransport): Promise<TestCounter> {
  const { key } = await addCounter(pool, cipher, { store, lane });
  const t = tempDir('hq-counter-');
  const c = await startCounter(t.dir, { syncIntervalMs: 3_600_000, ...(transport === undefined ? {} : { syncTransport: transport }) });
  // These tests push with syncNow() only: the pusher's own first round (right after start) would race them.
  await c.core.sync.stop();
  writeSetting(c.core.db, 'hq', { url, store, lane, intervalMs: 600_000 }, Date.now());
  c.core.secrets.write(HQ_KEY, key);
  cleanups.push(async () => {
    await c.close();
    t.cleanup();
  });
  return c;
}

async function hqCounterId(store: string, lane: string): Promise<number> {
  return (await pool.query<{ id: number }>('SELECT id FROM counters WHERE store = $1 AND lane = $2', [store, lane])).rows[0]!.id;
}

async function hqEventCount(store: string, lane: string): Promise<number> {
  return (await pool.query<{ n: number }>('SELECT count(*)::bigint AS n FROM events WHERE counter_id = $1', [await hqCounterId(store, lane)])).rows[0]!.n;
}

const ledgerEventCount = (c: TestCounter): number => (c.core.db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;

describe('headquarters sync', () => {
  it('sales and refunds made while headquarters is down all arrive once when it comes up; totals match the day report to the fen', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const c = await counter('S1', 'L1', url);
    const p1 = await c.sell(12_345);
    const p2 = await c.sell(6_789);
    await c.sell(100);
    await c.refund(p1.id, 2_345);
    await c.refund(p2.id, 6_789);
    const down = await c.core.sync.syncNow();
    expect(down.lastError).not.toBeNull();
    expect(down.lagEvents).toBeGreaterThan(0);
    expect(down.ackedEventId).toBe(0);

    await hq(port);
    const up = await c.core.sync.syncNow();
    expect(up.lastError).toBeNull();
    expect(up.lagEvents).toBe(0);
    expect(await hqEventCount('S1', 'L1')).toBe(ledgerEventCount(c));
    // A second round sends nothing new and changes nothing.
    await c.core.sync.syncNow();
    expect(await hqEventCount('S1', 'L1')).toBe(ledgerEventCount(c));

    const day = businessDay(Date.now());
    const { report } = await c.invoke('day:report', { day });
    const view = await overview(pool, day, 'training');
    const store = view.stores.find((s) => s.store === 'S1')!;
    expect(store.totals).toEqual({
      paidCount: report.totals.paidCount,
      paidFen: report.totals.paidFen,
      refundCount: report.totals.refundCount,
      refundFen: report.totals.refundFen,
      netFen: report.totals.netFen,
    });
    expect(store.totals).toMatchObject({ paidCount: 3, paidFen: 19_234, refundFen: 9_134, netFen: 10_100 });
    expect(health(await c.core.health())).toMatchObject({ name: 'hq', status: 'ok' });

    // The frozen day report reaches headquarters and agrees with its own projection: no flag.
    await c.invoke('day:close', { day, manager: MANAGER });
    await c.core.sync.syncNow();
    const closed = await overview(pool, day, 'training');
    expect(closed.stores.find((s) => s.store === 'S1')!.counters[0]!.dayClosedAt).not.toBeNull();
    expect(closed.flags.filter((f) => f.store === 'S1')).toEqual([]);
  });

  it('an acknowledgement lost after headquarters committed (the counter died first): the resent batch changes nothing', async () => {
    const server = await hq();
    const real = createUndiciSyncTransport();
    cleanups.push(() => real.close());
    let loseAcks = true;
    const lossy: SyncTransport = async (input) => {
      const answer = await real.transport(input);
      if (loseAcks && input.method === 'POST') throw new Error('connection reset after the request was processed');
      return answer;
    };
    const c = await counter('S2', 'L1', server.url, lossy);
    await c.sell(500);
    await c.sell(700);
    const first = await c.core.sync.syncNow();
    expect(first.ackedEventId).toBe(0);
    const afterFirst = await hqEventCount('S2', 'L1');
    expect(afterFirst).toBe(ledgerEventCount(c));
    const before = (
      await pool.query('SELECT local_id, status, amount_fen, as_of FROM payments WHERE counter_id = $1 ORDER BY local_id', [await hqCounterId('S2', 'L1')])
    ).rows;
    loseAcks = false;
    const second = await c.core.sync.syncNow();
    expect(second.lagEvents).toBe(0);
    expect(await hqEventCount('S2', 'L1')).toBe(afterFirst);
    const after = (
      await pool.query('SELECT local_id, status, amount_fen, as_of FROM payments WHERE counter_id = $1 ORDER BY local_id', [await hqCounterId('S2', 'L1')])
    ).rows;
    expect(after.map(({ as_of: _a, ...r }) => r)).toEqual(before.map(({ as_of: _a, ...r }) => r));
    expect((await overview(pool, businessDay(Date.now()), 'training')).stores.find((s) => s.store === 'S2')!.totals.paidFen).toBe(1200);
  });

  it('refuses forged, foreign and replayed batches and flags a gap; nothing is projected from them', async () => {
    const server = await hq();
    const a = await counter('S3', 'A', server.url);
    const b = await counter('S3', 'B', server.url);
    await a.sell(4_200);
    const keyA = a.core.secrets.read(HQ_KEY)!;
    const keyB = b.core.secrets.read(HQ_KEY)!;
    const batchA = readBatch(a.core.db, { store: 'S3', lane: 'A' }, { ackedEventId: 0, ackedDayRowid: 0 }, Date.now())!;
    const post = async (label: string, body: string, key: string): Promise<{ status: number; json: any }> => {
      const res = await fetch(`${server.url}/api/ingest`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', [COUNTER_HEADER]: label, [SIGNATURE_HEADER]: signBody(body, key) },
      });
      return { status: res.status, json: await res.json() };
    };
    const bodyA = JSON.stringify(batchA);
    // Wrong key.
    expect(await post('S3/A', bodyA, 'not-the-key-of-this-counter')).toMatchObject({ status: 401, json: { code: 'BAD_SIGNATURE' } });
    // A's batch replayed under B's name (A's signature): B's key does not verify it.
    expect(await post('S3/B', bodyA, keyA)).toMatchObject({ status: 401, json: { code: 'BAD_SIGNATURE' } });
    // A's batch re-signed by B (B is compromised): the body names A.
    expect(await post('S3/B', bodyA, keyB)).toMatchObject({ status: 400, json: { code: 'COUNTER_MISMATCH' } });
    // Unknown counter; oversized or garbage bodies.
    expect(await post('S9/Z', bodyA, keyA)).toMatchObject({ status: 403, json: { code: 'UNKNOWN_COUNTER' } });
    expect(await post('S3/A', '{"version":1', keyA)).toMatchObject({ status: 400, json: { code: 'BAD_BATCH' } });
    expect(await hqEventCount('S3', 'A')).toBe(0);
    expect(await hqEventCount('S3', 'B')).toBe(0);

    // A batch that skips events: refused with the mark to resend from, and flagged until it is filled.
    const gapped: SyncBatch = { ...batchA, events: batchA.events.slice(2) };
    const gap = await post('S3/A', JSON.stringify(gapped), keyA);
    expect(gap).toMatchObject({ status: 409, json: { ok: false, code: 'GAP', hwm: 0 } });
    expect((await overview(pool, businessDay(Date.now()), 'training')).flags).toEqual(
      expect.arrayContaining([expect.objectContaining({ store: 'S3', lane: 'A', kind: 'gap' })]),
    );
    expect(await hqEventCount('S3', 'A')).toBe(0);
    // The real pusher then delivers everything, and the flag is resolved.
    expect((await a.core.sync.syncNow()).lagEvents).toBe(0);
    expect(await hqEventCount('S3', 'A')).toBe(ledgerEventCount(a));
    expect((await overview(pool, businessDay(Date.now()), 'training')).flags.filter((f) => f.store === 'S3')).toEqual([]);

    // A revoked counter is refused.
    await revokeCounter(pool, 'S3', 'B');
    await b.sell(100);
    const status = await b.core.sync.syncNow();
    expect(status.lastError).toMatch(/HTTP 403/);
    expect(await hqEventCount('S3', 'B')).toBe(0);
  });

  it('a forged acknowledgement cannot move the counter mark; a forged snapshot is not applied', async () => {
    const server = await hq();
    const real = createUndiciSyncTransport();
    cleanups.push(() => real.close());
    let forge = true;
    const mitm: SyncTransport = async (input) => {
      if (!forge) return real.transport(input);
      // A man in the middle answers "all received" without passing anything on.
      const body = JSON.stringify(input.method === 'POST' ? { ok: true, hwm: 10_000, dayRowid: 0 } : { version: 99, shopName: 'evil', operators: [] });
      return { status: 200, headers: { [SIGNATURE_HEADER]: signBody(body, 'guessed-key-000000') }, body };
    };
    const c = await counter('S4', 'L1', server.url, mitm);
    await c.sell(300);
    const status = await c.core.sync.syncNow();
    expect(status.ackedEventId).toBe(0);
    expect(status.snapshotVersion).toBe(0);
    expect(c.core.info().shopName).not.toBe('evil');
    forge = false;
    expect((await c.core.sync.syncNow()).lagEvents).toBe(0);
  });

  it('headquarters publishes a snapshot (shop name, limits, operators with PIN hashes); a counter applies it in one transaction and records it', async () => {
    const server = await hq();
    const c = await counter('S5', 'L1', server.url);
    await publishSnapshot(pool, { shopName: '总部测试店', maxAmountFen: 88_800, operators: [{ code: '321', name: '王芳', role: 'cashier', pin: '246810' }] });
    const status = await c.core.sync.syncNow();
    expect(status.snapshotVersion).toBeGreaterThan(0);
    expect(c.core.info().shopName).toBe('总部测试店');
    const op = c.core.db.prepare("SELECT role, pin_hash FROM operators WHERE code = '321'").get() as { role: string; pin_hash: string };
    expect(op.role).toBe('cashier');
    expect(op.pin_hash).toMatch(/^scrypt\$/);
    expect(op.pin_hash).not.toContain('246810');
    await c.invoke('session:signOut', undefined);
    expect((await c.invoke('session:signIn', { code: '321', pin: '246810' })).operator.code).toBe('321');
    await expect(c.invoke('payment:create', { amountFen: 88_801 })).rejects.toMatchObject({ code: expect.any(String) });
    const events = c.core.db.prepare("SELECT data FROM events WHERE type = 'hq_snapshot_applied'").all() as { data: string }[];
    expect(events).toHaveLength(1);
    // An older or equal version is not applied again.
    await c.core.sync.syncNow();
    expect(c.core.db.prepare("SELECT count(*) AS n FROM events WHERE type = 'hq_snapshot_applied'").get()).toEqual({ n: 1 });
  });

  it("a snapshot's receipt header and footer are printed on the counter's receipts; offline, the counter keeps its last snapshot", async () => {
    const server = await hq();
    const c = await counter('S7', 'L1', server.url);
    const before = await c.sell(1234);
    const plain = (await c.invoke('receipt:text', { kind: 'payment', id: before.id })) as { lines: { text: string }[] };
    expect(plain.lines.map((l) => l.text).join('\n')).not.toContain('连锁总部统一抬头');
    await publishSnapshot(pool, { receiptHeader: '连锁总部统一抬头', receiptFooter: '会员热线 400-000-0000' });
    const applied = await c.core.sync.syncNow();
    expect(applied.snapshotVersion).toBeGreaterThan(0);
    const text = async (id: number): Promise<string> =>
      ((await c.invoke('receipt:text', { kind: 'payment', id })) as { lines: { text: string }[] }).lines.map((l) => l.text).join('\n');
    expect(await text(before.id)).toContain('连锁总部统一抬头');
    expect(await text(before.id)).toContain('会员热线 400-000-0000');
    // Headquarters gone: the pull fails, the last snapshot stays in force.
    await server.close();
    const sale = await c.sell(555);
    const offline = await c.core.sync.syncNow();
    expect(offline.lastError).not.toBeNull();
    expect(offline.snapshotVersion).toBe(applied.snapshotVersion);
    expect(await text(sale.id)).toContain('连锁总部统一抬头');
  });

  it('events land in monthly partitions of the event table', async () => {
    const server = await hq();
    const c = await counter('S6', 'L1', server.url);
    await c.sell(100);
    await c.core.sync.syncNow();
    const parts = (
      await pool.query<{ name: string }>("SELECT inhrelid::regclass::text AS name FROM pg_inherits WHERE inhparent = 'events'::regclass")
    ).rows.map((r) => r.name);
    const d = new Date();
    expect(parts).toContain(`events_y${d.getUTCFullYear()}m${String(d.getUTCMonth() + 1).padStart(2, '0')}`);
  });
});

function health(h: { sync?: unknown }): unknown {
  return h.sync;
}
