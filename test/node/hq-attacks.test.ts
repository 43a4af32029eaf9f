/**
 * Headquarters under attack and on a bad day, against the real HQ service on a real PostgreSQL and
 * real counters: what a counter (authenticated, but buggy or lying) may send, what headquarters (or a
 * man in the middle) may answer, sign-in brute force, static files and exports.
 */
import ExcelJS from 'exceljs';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { appendEvent } from '../../src/core/ledger/events';
import { writeSetting } from '../../src/core/ledger/settings';
import type { SecretCipher } from '../../src/core/secrets/cipher';
import { HQ_KEY } from '../../src/core/config/provisioning';
import { createUndiciSyncTransport, type SyncTransport } from '../../src/core/sync/pusher';
import { COUNTER_HEADER, signBody, SIGNATURE_HEADER, verifyBody, type SyncBatch } from '../../src/core/sync/protocol';
import { readBatch } from '../../src/core/sync/outbox';
import { addCounter, addOperator, publishSnapshot } from '../../src/hq/admin';
import { overview } from '../../src/hq/dashboard';
import type { Pool } from '../../src/hq/db';
import { startHqServer, type HqServer } from '../../src/hq/server';
import { businessDay } from '../../src/core/util/time';
import { startCounter, type TestCounter } from '../support/counter';
import { startTestHq, type TestHq } from '../support/hq';
import { tempDir } from '../support/temp';
import { makeTestCa } from '../support/test-ca';

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

async function hq(extra: { staticDir?: string; tls?: { certPem: string; keyPem: string } } = {}): Promise<HqServer> {
  const server = await startHqServer({ pool, cipher, port: 0, ...extra });
  cleanups.push(() => server.close());
  return server;
}

async function counter(store: string, lane: string, url: string, transport?: SyncTransport, reuseKey?: string): Promise<TestCounter> {
  const { key } = await addCounter(pool, cipher, { store, lane, ...(reuseKey === undefined ? {} : { key: reuseKey }) });
  const t = tempDir('hq-attack-counter-');
  const c = await startCounter(t.dir, { syncIntervalMs: 3_600_000, ...(transport === undefined ? {} : { syncTransport: transport }) });
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

/** Posts `body` as counter `label`, signed with `key`; returns the status, the answer and whether it is signed with `key`. */
async function post(url: string, label: string, body: string, key: string): Promise<{ status: number; json: any; signed: boolean }> {
  const res = await fetch(`${url}/api/ingest`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', [COUNTER_HEADER]: label, [SIGNATURE_HEADER]: signBody(body, key) },
  });
  const text = await res.text();
  return { status: res.status, json: JSON.parse(text), signed: verifyBody(text, key, res.headers.get(SIGNATURE_HEADER) ?? '') };
}

/** A counter's first batch, to be altered by the test and sent signed with its real key (the counter lies or is buggy). */
function firstBatch(c: TestCounter, store: string, lane: string): { batch: SyncBatch; key: string } {
  return {
    batch: readBatch(c.core.db, { store, lane }, { ackedEventId: 0, ackedDayRowid: 0 }, Date.now())!,
    key: c.core.secrets.read(HQ_KEY)!,
  };
}

describe('pusher: what headquarters answers', () => {
  it('a signed acknowledgement of more than was sent (a buggy or lying headquarters) skips no unsent event', async () => {
    const server = await hq();
    const real = createUndiciSyncTransport();
    cleanups.push(() => real.close());
    let lie = true;
    let key = '';
    const lying: SyncTransport = async (input) => {
      const answer = await real.transport(input);
      if (!lie || input.method !== 'POST') return answer;
      const body = JSON.stringify({ ...(JSON.parse(answer.body) as object), hwm: 100_000 });
      return { ...answer, headers: { ...answer.headers, [SIGNATURE_HEADER]: signBody(body, key) }, body };
    };
    const c = await counter('P1', 'L1', server.url, lying);
    key = c.core.secrets.read(HQ_KEY)!;
    await c.sell(100);
    const first = await c.core.sync.syncNow();
    expect(first.ackedEventId).toBe(first.latestEventId);
    await c.sell(200);
    lie = false;
    const second = await c.core.sync.syncNow();
    expect(second.ackedEventId).toBe(second.latestEventId);
    expect(await hqEventCount('P1', 'L1')).toBe(ledgerEventCount(c));
  });

  it('a signed GAP answer naming a mark beyond the counter’s own does not move the mark forward', async () => {
    const server = await hq();
    const real = createUndiciSyncTransport();
    cleanups.push(() => real.close());
    let lie = false;
    let key = '';
    let lies = 0;
    const lying: SyncTransport = async (input) => {
      if (!lie || input.method !== 'POST') return real.transport(input);
      lies += 1;
      const body = JSON.stringify({
        ok: false,
        hwm: 100_000,
        dayRowid: 50,
        code: 'GAP',
        message: 'resend from 100001',
        batch: input.headers[SIGNATURE_HEADER],
      });
      return { status: 409, headers: { [SIGNATURE_HEADER]: signBody(body, key) }, body };
    };
    const c = await counter('P2', 'L1', server.url, lying);
    key = c.core.secrets.read(HQ_KEY)!;
    await c.sell(100);
    const acked = (await c.core.sync.syncNow()).ackedEventId;
    expect(acked).toBeGreaterThan(0);
    await c.sell(200);
    lie = true;
    const status = await c.core.sync.syncNow();
    expect(status.ackedEventId).toBeLessThanOrEqual(acked);
    // A gap that rewinds nothing is a failure (backoff), not a resend loop.
    expect(lies).toBe(1);
    expect(status.lastError).toMatch(/^GAP: /);
    lie = false;
    const healed = await c.core.sync.syncNow();
    expect(healed.lagEvents).toBe(0);
    expect(await hqEventCount('P2', 'L1')).toBe(ledgerEventCount(c));
  });

  it('a signed acknowledgement replayed to another batch (same key, replaced ledger) acknowledges nothing', async () => {
    const server = await hq();
    const real = createUndiciSyncTransport();
    cleanups.push(() => real.close());
    let recorded: { status: number; headers: Record<string, string | undefined>; body: string } | undefined;
    const recording: SyncTransport = async (input) => {
      const answer = await real.transport(input);
      if (input.method === 'POST') recorded = answer;
      return answer;
    };
    const old = await counter('P4', 'L1', server.url, recording);
    await old.sell(100);
    await old.sell(200);
    expect((await old.core.sync.syncNow()).lagEvents).toBe(0);
    // The machine is replaced; the same provisioning file (same key) starts a fresh ledger. A man in
    // the middle answers its batches with the old ledger's last acknowledgement.
    const key = old.core.secrets.read(HQ_KEY)!;
    const replaying: SyncTransport = async (input) => (input.method === 'POST' ? recorded! : real.transport(input));
    const fresh = await counter('P4', 'L1', server.url, replaying, key);
    await fresh.sell(300);
    const status = await fresh.core.sync.syncNow();
    expect(status.ackedEventId).toBe(0);
    expect(status.lastError).toMatch(/another batch/);
  });

  it('a signed snapshot answer replayed to another pull is not applied (same key on two counters)', async () => {
    const server = await hq();
    const real = createUndiciSyncTransport();
    cleanups.push(() => real.close());
    let recorded: { status: number; headers: Record<string, string | undefined>; body: string } | undefined;
    const recording: SyncTransport = async (input) => {
      const answer = await real.transport(input);
      if (input.method === 'GET' && answer.status === 200) recorded = answer;
      return answer;
    };
    // The other tests of this file sync against the same database: no snapshot for them.
    cleanups.push(async () => void (await pool.query('DELETE FROM snapshots')));
    await publishSnapshot(pool, { shopName: 'Old name', operators: [{ code: '701', name: 'Fired', role: 'supervisor', pin: '424242' }] });
    const old = await counter('P5', 'L1', server.url, recording);
    expect((await old.core.sync.syncNow()).snapshotVersion).toBeGreaterThan(0);
    await publishSnapshot(pool, { shopName: 'New name', operators: [{ code: '701', name: 'Fired', role: 'supervisor', pin: '424242', active: false }] });
    const key = old.core.secrets.read(HQ_KEY)!;
    const mitm: SyncTransport = async (input) => (input.method === 'POST' ? real.transport(input) : recorded!);
    const fresh = await counter('P5', 'L2', server.url, mitm, key);
    // P5/L2 registered with the same key as P5/L1 (one provisioning file copied): its pulls are signed alike.
    expect((await fresh.core.sync.syncNow()).snapshotVersion).toBe(0);
    expect(fresh.core.info().shopName).not.toBe('Old name');
  });

  it('a batch over headquarters’ size limit goes in smaller batches (HQ resets the connection before its 413 is read), not retried as is forever', async () => {
    const server = await hq();
    const c = await counter('P6', 'L1', server.url);
    // 300 events of ~20 kB each: one 500-event batch is ~6 MB, over headquarters' 4 MB.
    const note = 'n'.repeat(20_000);
    for (let i = 0; i < 300; i += 1) appendEvent(c.core.db, { at: Date.now(), entity: 'app', type: 'note', data: { note, i } });
    const status = await c.core.sync.syncNow();
    expect(status.lastError).toBeNull();
    expect(status.lagEvents).toBe(0);
    expect(await hqEventCount('P6', 'L1')).toBe(ledgerEventCount(c));
  });

  it('a 200 with garbage, unsigned or signed, moves nothing and the counter keeps selling', async () => {
    const server = await hq();
    let key = '';
    const answers = [
      () => ({ status: 200, headers: {}, body: 'garbage' }),
      () => ({ status: 200, headers: { [SIGNATURE_HEADER]: signBody('garbage', key) }, body: 'garbage' }),
      () => {
        const body = JSON.stringify({ ok: true, hwm: -5, dayRowid: 'x' });
        return { status: 200, headers: { [SIGNATURE_HEADER]: signBody(body, key) }, body };
      },
    ];
    let next = 0;
    const garbage: SyncTransport = async () => answers[next]!();
    const c = await counter('P3', 'L1', server.url, garbage);
    key = c.core.secrets.read(HQ_KEY)!;
    await c.sell(100);
    for (next = 0; next < answers.length; next += 1) {
      const status = await c.core.sync.syncNow();
      expect(status.ackedEventId).toBe(0);
      expect(status.lastError).toMatch(/without a valid signed acknowledgement/);
    }
    await c.sell(200);
  });
});

describe('ingest: what a counter sends', () => {
  it('event times outside any plausible clock are refused with a signed BAD_BATCH, not a 503 that retries forever', async () => {
    const server = await hq();
    const c = await counter('I1', 'L1', server.url);
    await c.sell(100);
    const { batch, key } = firstBatch(c, 'I1', 'L1');
    for (const at of [8_640_000_000_000_001, 9_000_000_000_000_000, Date.now() + 5 * 366 * 86_400_000, 1_000]) {
      const body = JSON.stringify({ ...batch, events: batch.events.map((e, i) => (i === 1 ? { ...e, at } : e)) });
      const answer = await post(server.url, 'I1/L1', body, key);
      expect(answer, `at ${at}`).toMatchObject({ status: 400, signed: true, json: { ok: false, code: 'BAD_BATCH' } });
      expect(answer.json.message).toMatch(/clock/);
    }
    expect(await hqEventCount('I1', 'L1')).toBe(0);
    const tables = (
      await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_class WHERE relname LIKE 'events_y%' AND relname NOT LIKE 'events_y20%'")
    ).rows[0]!.n;
    expect(tables).toBe(0);
  });

  it('a NUL character in an event or a row (PostgreSQL text cannot hold it) does not block the counter: stored, projected, acknowledged', async () => {
    const server = await hq();
    const c = await counter('I2', 'L1', server.url);
    await c.sell(100);
    const { batch, key } = firstBatch(c, 'I2', 'L1');
    const body = JSON.stringify({
      ...batch,
      events: batch.events.map((e, i) => (i === 0 ? { ...e, actor: 'a\u0000b', data: { memo: 'x\u0000y', nested: ['\u0000'] } } : e)),
      payments: batch.payments.map((p) => ({ ...p, operator: 'op\u0000', memo: 'm\u0000' })),
    });
    const answer = await post(server.url, 'I2/L1', body, key);
    expect(answer).toMatchObject({ status: 200, signed: true, json: { ok: true, hwm: batch.events.at(-1)!.id } });
    expect(await hqEventCount('I2', 'L1')).toBe(batch.events.length);
    const stored = (await pool.query<{ operator: string }>('SELECT operator FROM payments WHERE counter_id = $1', [await hqCounterId('I2', 'L1')])).rows;
    expect(stored).toEqual([{ operator: 'op\uFFFD' }]);
  });

  it('data nested too deep to store is refused with a signed BAD_BATCH (all or nothing), not a 503', async () => {
    const server = await hq();
    const c = await counter('I3', 'L1', server.url);
    await c.sell(100);
    const { batch, key } = firstBatch(c, 'I3', 'L1');
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    const body = JSON.stringify(batch).replace('"data":', `"data":${deep},"ignored":`);
    const answer = await post(server.url, 'I3/L1', body, key);
    expect(answer).toMatchObject({ status: 400, signed: true, json: { ok: false, code: 'BAD_BATCH', hwm: 0 } });
    expect(await hqEventCount('I3', 'L1')).toBe(0);
  });

  it('is fine: a failure late in the projection (after events and rows went in) rolls the whole batch back', async () => {
    const server = await hq();
    const c = await counter('I9', 'L1', server.url);
    await c.sell(100);
    const { batch, key } = firstBatch(c, 'I9', 'L1');
    // A day report whose business day is too big for counter_days' primary-key index: fails in the last projection step.
    const businessDay = randomBytes(6000).toString('hex');
    const body = JSON.stringify({ ...batch, dayReports: [{ rowid: 1, mode: 'training', businessDay, closedAt: Date.now(), report: {} }] });
    const answer = await post(server.url, 'I9/L1', body, key);
    expect(answer).toMatchObject({ status: 400, signed: true, json: { ok: false, code: 'BAD_BATCH', hwm: 0 } });
    expect(answer.json.message).toMatch(/index row/);
    const id = await hqCounterId('I9', 'L1');
    expect(await hqEventCount('I9', 'L1')).toBe(0);
    expect((await pool.query('SELECT 1 FROM payments WHERE counter_id = $1', [id])).rows).toEqual([]);
    expect((await pool.query('SELECT hwm FROM counters WHERE id = $1', [id])).rows).toEqual([{ hwm: 0 }]);
  });

  it('payment and refund rows whose amounts or ids are not positive integer fen are refused, never silently dropped or summed', async () => {
    const server = await hq();
    const c = await counter('I4', 'L1', server.url);
    const paid = await c.sell(1000);
    await c.refund(paid.id, 400);
    const { batch, key } = firstBatch(c, 'I4', 'L1');
    const bad: [string, Partial<SyncBatch>][] = [
      ['string fen', { payments: batch.payments.map((p) => ({ ...p, amount_fen: '1000' })) }],
      ['negative fen', { payments: batch.payments.map((p) => ({ ...p, amount_fen: -1000 })) }],
      ['fractional fen', { payments: batch.payments.map((p) => ({ ...p, amount_fen: 10.5 })) }],
      ['zero fen refund', { refunds: batch.refunds.map((r) => ({ ...r, amount_fen: 0 })) }],
      ['missing payment id', { refunds: batch.refunds.map((r) => ({ ...r, payment_id: null })) }],
      ['string id', { payments: batch.payments.map((p) => ({ ...p, id: String(p.id) })) }],
      ['unknown status', { payments: batch.payments.map((p) => ({ ...p, status: 'paid_twice' })) }],
      ['huge string', { payments: batch.payments.map((p) => ({ ...p, trade_no: 'T'.repeat(100_000) })) }],
    ];
    for (const [name, change] of bad) {
      const answer = await post(server.url, 'I4/L1', JSON.stringify({ ...batch, ...change }), key);
      expect(answer, name).toMatchObject({ status: 400, signed: true, json: { ok: false, code: 'BAD_BATCH', hwm: 0 } });
    }
    const id = await hqCounterId('I4', 'L1');
    expect((await pool.query('SELECT 1 FROM payments WHERE counter_id = $1', [id])).rows).toEqual([]);
    expect(await hqEventCount('I4', 'L1')).toBe(0);
    // The real pusher then delivers the true rows.
    expect((await c.core.sync.syncNow()).lagEvents).toBe(0);
    expect((await overview(pool, businessDay(Date.now()), 'training')).stores.find((s) => s.store === 'I4')!.totals).toMatchObject({
      paidFen: 1000,
      refundFen: 400,
    });
  });

  it('a refund that would exceed its payment at headquarters is flagged (kept as the counter reported it)', async () => {
    const server = await hq();
    const c = await counter('I5', 'L1', server.url);
    const paid = await c.sell(1000);
    await c.refund(paid.id, 400);
    const { batch, key } = firstBatch(c, 'I5', 'L1');
    const body = JSON.stringify({ ...batch, refunds: batch.refunds.map((r) => ({ ...r, amount_fen: 1500 })) });
    expect(await post(server.url, 'I5/L1', body, key)).toMatchObject({ status: 200, json: { ok: true } });
    const flags = (await overview(pool, businessDay(Date.now()), 'training')).flags.filter((f) => f.store === 'I5');
    expect(flags).toEqual([
      expect.objectContaining({
        kind: 'refund_exceeds_payment',
        detail: { payments: [{ payment: paid.id, tradeNo: paid.tradeNo, paidFen: 1000, refundedFen: 1500 }] },
      }),
    ]);
    // The true rows (a newer state of the same refund) clear it.
    await c.refund(paid.id, 100);
    expect((await c.core.sync.syncNow()).lagEvents).toBe(0);
    expect((await overview(pool, businessDay(Date.now()), 'training')).flags.filter((f) => f.store === 'I5')).toEqual([]);
  });

  it('a replaced or restored ledger (fewer events than headquarters holds for the counter) is refused LEDGER_BEHIND and flagged, nothing overwritten', async () => {
    const server = await hq();
    const old = await counter('I8', 'L1', server.url);
    await old.sell(100);
    await old.sell(200);
    expect((await old.core.sync.syncNow()).lagEvents).toBe(0);
    const held = await hqEventCount('I8', 'L1');
    // A new machine started with the same provisioning file: a fresh ledger under the same name and key.
    const fresh = await counter('I8', 'L1', server.url, undefined, old.core.secrets.read(HQ_KEY));
    await fresh.sell(999);
    const status = await fresh.core.sync.syncNow();
    expect(status.ackedEventId).toBe(0);
    expect(status.lastError).toMatch(/^LEDGER_BEHIND: /);
    expect(await hqEventCount('I8', 'L1')).toBe(held);
    const view = await overview(pool, businessDay(Date.now()), 'training');
    expect(view.stores.find((s) => s.store === 'I8')!.totals.paidFen).toBe(300);
    expect(view.flags.filter((f) => f.store === 'I8')).toEqual([expect.objectContaining({ kind: 'ledger_behind' })]);
  });

  it('a counter revoked while its batch waits for the counter lock is refused (REVOKED), nothing stored', async () => {
    const server = await hq();
    const c = await counter('I7', 'L1', server.url);
    await c.sell(100);
    const { batch, key } = firstBatch(c, 'I7', 'L1');
    const admin = await pool.connect();
    try {
      await admin.query('BEGIN');
      await admin.query("SELECT 1 FROM counters WHERE store = 'I7' AND lane = 'L1' FOR UPDATE");
      const pending = post(server.url, 'I7/L1', JSON.stringify(batch), key);
      for (let i = 0; i < 200; i += 1) {
        const waiting = (
          await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%FOR UPDATE%'")
        ).rows[0]!.n;
        if (waiting > 0) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      await admin.query("UPDATE counters SET revoked_at = now() WHERE store = 'I7' AND lane = 'L1'");
      await admin.query('COMMIT');
      expect(await pending).toMatchObject({ status: 403, json: { ok: false, code: 'REVOKED' } });
    } finally {
      admin.release();
    }
    expect(await hqEventCount('I7', 'L1')).toBe(0);
  });

  it('is fine: duplicated, reordered or foreign-id events inside one batch are refused; another counter’s rows are never touched', async () => {
    const server = await hq();
    const a = await counter('I6', 'A', server.url);
    const b = await counter('I6', 'B', server.url);
    await a.sell(100);
    await b.sell(700);
    expect((await b.core.sync.syncNow()).lagEvents).toBe(0);
    const { batch, key } = firstBatch(a, 'I6', 'A');
    const e = batch.events;
    for (const events of [
      [e[0]!, e[0]!, ...e.slice(1)],
      [e[1]!, e[0]!, ...e.slice(2)],
    ]) {
      expect(await post(server.url, 'I6/A', JSON.stringify({ ...batch, events }), key)).toMatchObject({ status: 400, json: { code: 'BAD_BATCH' } });
    }
    // A's batch claiming B's payment ids lands under A only (rows are per counter).
    expect((await post(server.url, 'I6/A', JSON.stringify(batch), key)).status).toBe(200);
    const bRows = (await pool.query('SELECT amount_fen FROM payments WHERE counter_id = $1', [await hqCounterId('I6', 'B')])).rows;
    expect(bRows).toEqual([{ amount_fen: 700 }]);
  });
});

describe('dashboard: sign-in, sessions, static files, exports', () => {
  it('parallel wrong PINs cannot outrun the lockout: at most five are checked, then the right PIN is locked out too', async () => {
    const server = await hq();
    await addOperator(pool, { code: 'race1', name: 'Race', pin: '246810' });
    const login = (pin: string): Promise<{ status: number; code: string }> =>
      fetch(`${server.url}/api/login`, { method: 'POST', body: JSON.stringify({ code: 'race1', pin }) }).then(async (r) => ({
        status: r.status,
        code: ((await r.json()) as { code?: string }).code ?? 'OK',
      }));
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => login(String(100000 + i))));
    expect(answers.filter((a) => a.code === 'PIN_WRONG').length).toBeLessThanOrEqual(5);
    expect(answers.filter((a) => a.code === 'LOCKED_OUT').length).toBeGreaterThanOrEqual(7);
    expect(await login('246810')).toEqual({ status: 423, code: 'LOCKED_OUT' });
  });

  it('a sign-in body that is JSON but not an object (null, a number, an array) is BAD_INPUT, not a 503', async () => {
    const server = await hq();
    for (const body of ['null', '42', '[]', '"x"', '{"code":1,"pin":2}']) {
      const res = await fetch(`${server.url}/api/login`, { method: 'POST', body });
      expect({ body, status: res.status, json: await res.json() }).toEqual({ body, status: 400, json: { ok: false, code: 'BAD_INPUT' } });
    }
  });

  it('a sign-in or sign-out posted from another site (login CSRF) is refused CROSS_ORIGIN; the dashboard’s own origin works', async () => {
    const server = await hq();
    await addOperator(pool, { code: 'csrf1', name: 'Csrf', pin: '135790' });
    const body = JSON.stringify({ code: 'csrf1', pin: '135790' });
    for (const path of ['/api/login', '/api/logout']) {
      const res = await fetch(`${server.url}${path}`, { method: 'POST', body, headers: { origin: 'http://evil.example', 'content-type': 'text/plain' } });
      expect({ path, status: res.status, json: await res.json() }).toEqual({ path, status: 403, json: { ok: false, code: 'CROSS_ORIGIN' } });
    }
    const own = await fetch(`${server.url}/api/login`, { method: 'POST', body, headers: { origin: server.url, 'content-type': 'application/json' } });
    expect(own.status).toBe(200);
    // Behind a load balancer that rewrites Host: the host it was asked for comes as x-forwarded-host.
    const balanced = await fetch(`${server.url}/api/login`, {
      method: 'POST',
      body,
      headers: { origin: 'https://hq.chain.example', 'x-forwarded-host': 'hq.chain.example', 'content-type': 'application/json' },
    });
    expect(balanced.status).toBe(200);
  });

  it('a PIN reset (add-operator again) ends the sessions signed in with the old PIN', async () => {
    const server = await hq();
    await addOperator(pool, { code: 'leak1', name: 'Leak', pin: '135790' });
    const login = await fetch(`${server.url}/api/login`, { method: 'POST', body: JSON.stringify({ code: 'leak1', pin: '135790' }) });
    const cookie = String(login.headers.get('set-cookie')).split(';')[0]!;
    expect((await fetch(`${server.url}/api/me`, { headers: { cookie } })).status).toBe(200);
    await addOperator(pool, { code: 'leak1', name: 'Leak', pin: '864200' });
    expect((await fetch(`${server.url}/api/me`, { headers: { cookie } })).status).toBe(401);
  });

  it('the session cookie is Secure when headquarters serves https', async () => {
    const t = tempDir('hq-attack-ca-');
    cleanups.push(() => t.cleanup());
    const ca = makeTestCa(t.dir);
    const server = await hq({ tls: { certPem: ca.certPem, keyPem: ca.keyPem } });
    await addOperator(pool, { code: 'tls1', name: 'TLS', pin: '135790' });
    const agent = new Agent({ connect: { ca: ca.caPem } });
    cleanups.push(() => agent.close());
    const res = await request(`${server.url}/api/login`, { method: 'POST', body: JSON.stringify({ code: 'tls1', pin: '135790' }), dispatcher: agent });
    await res.body.text();
    expect(res.statusCode).toBe(200);
    expect(String(res.headers['set-cookie'])).toMatch(/; Secure/);
  });

  it('is fine: static files do not escape the dashboard directory; a directory is a 404, not a 503', async () => {
    const t = tempDir('hq-attack-static-');
    cleanups.push(() => t.cleanup());
    const root = join(t.dir, 'renderer');
    mkdirSync(join(root, 'assets'), { recursive: true });
    writeFileSync(join(root, 'hq.html'), '<html></html>');
    writeFileSync(join(root, 'assets', 'a.js'), 'ok');
    writeFileSync(join(t.dir, 'secret.key'), 'SECRET');
    mkdirSync(join(t.dir, 'renderer-evil', 'assets'), { recursive: true });
    writeFileSync(join(t.dir, 'renderer-evil', 'assets', 'x.js'), 'SECRET');
    const server = await hq({ staticDir: root });
    expect((await fetch(`${server.url}/assets/a.js`)).status).toBe(200);
    for (const path of [
      '/assets/../../secret.key',
      '/assets/%2e%2e/%2e%2e/secret.key',
      '/assets/..%2f..%2fsecret.key',
      '/assets/..\\..\\secret.key',
      '/assets/',
    ]) {
      const res = await fetch(`${server.url}${path}`);
      const text = await res.text();
      expect(res.status, path).toBe(404);
      expect(text).not.toContain('SECRET');
    }
  });

  it('is fine: exports need a session; counter-supplied text starting with = + - @ is inert in CSV and stored as text in XLSX', async () => {
    const server = await hq();
    const c = await counter('D1', 'L1', server.url);
    await c.sell(100);
    const { batch, key } = firstBatch(c, 'D1', 'L1');
    const evil = '=HYPERLINK("http://evil","x")';
    const body = JSON.stringify({ ...batch, payments: batch.payments.map((p) => ({ ...p, operator: evil })) });
    expect((await post(server.url, 'D1/L1', body, key)).status).toBe(200);
    const day = businessDay(Date.now());
    const q = `day=${day}&mode=training`;
    expect((await fetch(`${server.url}/api/export?${q}`)).status).toBe(401);
    expect((await fetch(`${server.url}/api/export?${q}`, { headers: { authorization: 'Bearer ' + 'A'.repeat(43) } })).status).toBe(401);
    await addOperator(pool, { code: 'exp1', name: 'Exp', pin: '135790' });
    const login = await fetch(`${server.url}/api/login`, { method: 'POST', body: JSON.stringify({ code: 'exp1', pin: '135790' }) });
    const cookie = String(login.headers.get('set-cookie')).split(';')[0]!;
    const csv = await (await fetch(`${server.url}/api/export?${q}`, { headers: { cookie } })).text();
    expect(csv).toContain(`"'=HYPERLINK(""http://evil"",""x"")"`);
    const xlsx = Buffer.from(await (await fetch(`${server.url}/api/export?${q}&format=xlsx`, { headers: { cookie } })).arrayBuffer());
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(xlsx as never);
    const cells: unknown[] = [];
    workbook.worksheets[0]!.eachRow((row) => row.eachCell((cell) => cells.push(cell.value)));
    expect(cells).toContain(evil);
    expect(cells.some((v) => typeof v === 'object' && v !== null && 'formula' in v)).toBe(false);
  });
});
