import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openLedger, schemaVersion } from '../../src/core/ledger/db';
import { MIGRATIONS } from '../../src/core/ledger/migrations';
import { findPaymentByGatewayRef, findPaymentBySysTrace, getPayment, insertPaymentIntent, updatePayment } from '../../src/core/ledger/payments';
import { getRefund, insertRefundIntent } from '../../src/core/ledger/refunds';
import { reserveRequestSeq } from '../../src/core/ledger/order-numbers';
import { assertPosSeq } from '../../src/core/gateways/yima/messages';
import { tempDir } from '../support/temp';

/**
 * Migration 6 (gateway-neutral references) on a populated file of the previous schema: built with the
 * old migrations, filled, migrated; every row and every index checked.
 */
const REFS = MIGRATIONS.find((m) => m.name === 'gateway-neutral references, lanes and request serials')!;
const PREVIOUS = REFS.version - 1;

const dirs: (() => void)[] = [];
function ledgerFile(): string {
  const t = tempDir('ledger-refs-');
  dirs.push(t.cleanup);
  return join(t.dir, 'ledger.sqlite');
}
afterEach(() => dirs.splice(0).forEach((c) => c()));

type Row = Record<string, unknown>;

const CARD_REF = '12345678-000001-000123-123456789012';

/** A previous-version ledger with one of everything: BPC sales in every state, a card sale, refunds, events, a closed day. */
function populatedPreviousLedger(file: string): { payments: Row[]; refunds: Row[]; events: number; days: Row[] } {
  const db = openLedger(file, { targetVersion: PREVIOUS });
  expect(schemaVersion(db)).toBe(PREVIOUS);
  const pay = db.prepare(
    `INSERT INTO payments (trade_no, mer_order_no, memo, mode, tender, gateway, amount_fen, status, pay_type, sys_trace, scan_code,
       qr_expires_at, resp_code, resp_msg, operator, business_day, created_at, updated_at, sent_at, paid_at, final_at,
       close_requested_at, query_count, next_query_at, resolution, resolved_by, wallet_trade_no)
     VALUES (@trade_no, @mer_order_no, @memo, @mode, @tender, @gateway, @amount_fen, @status, @pay_type, @sys_trace, @scan_code,
       @qr_expires_at, @resp_code, @resp_msg, @operator, @business_day, @created_at, @updated_at, @sent_at, @paid_at, @final_at,
       @close_requested_at, @query_count, @next_query_at, @resolution, @resolved_by, @wallet_trade_no)`,
  );
  const base = {
    mer_order_no: null,
    memo: null,
    mode: 'live',
    tender: 'qr',
    gateway: 'bpc',
    pay_type: null,
    sys_trace: null,
    scan_code: null,
    qr_expires_at: null,
    resp_code: null,
    resp_msg: null,
    operator: '001',
    business_day: '2026-11-30',
    created_at: 1000,
    updated_at: 1000,
    sent_at: 1000,
    paid_at: null,
    final_at: null,
    close_requested_at: null,
    query_count: 0,
    next_query_at: null,
    resolution: null,
    resolved_by: null,
    wallet_trade_no: null,
  };
  pay.run({
    ...base,
    trade_no: 'P26113008000000011234',
    amount_fen: 12850,
    status: 'paid',
    pay_type: 'WEIX',
    sys_trace: '3738154220261130080000009001',
    scan_code: 'weixin://1',
    mer_order_no: 'M-1',
    memo: '两杯咖啡',
    resp_code: '00',
    resp_msg: '交易成功',
    paid_at: 1200,
    final_at: 1200,
    query_count: 2,
    wallet_trade_no: '4200000395201909177323430256',
  });
  pay.run({
    ...base,
    trade_no: 'P26113008010000025678',
    amount_fen: 500,
    status: 'waiting',
    sys_trace: '3738154220261130080100009002',
    scan_code: 'weixin://2',
    qr_expires_at: 700_000,
    next_query_at: 2000,
  });
  pay.run({ ...base, trade_no: 'P26113008020000030001', amount_fen: 999, status: 'failed', resp_msg: 'QR not requested', final_at: 1100 });
  pay.run({
    ...base,
    trade_no: 'P26113008030000040002',
    amount_fen: 30000,
    status: 'paid',
    tender: 'card',
    gateway: 'terminal',
    sys_trace: CARD_REF,
    resp_code: '00',
    paid_at: 1300,
    final_at: 1300,
  });
  pay.run({
    ...base,
    trade_no: 'P26113008040000050003',
    amount_fen: 100,
    status: 'unknown',
    mode: 'training',
    sys_trace: '3738154220261130080400009003',
    resolution: null,
  });
  pay.run({
    ...base,
    trade_no: 'P26113008050000060004',
    amount_fen: 700,
    status: 'closed',
    sys_trace: '3738154220261130080500009004',
    close_requested_at: 1500,
    final_at: 1600,
  });
  const refund = db.prepare(
    `INSERT INTO refunds (refund_no, payment_id, mode, amount_fen, status, sys_trace, resp_code, resp_msg, reason, operator, approved_by,
       business_day, created_at, updated_at, sent_at, final_at, query_count, next_query_at)
     VALUES (?, 1, 'live', ?, ?, ?, ?, NULL, 'customer', '001', '900', '2026-11-30', 2000, 2000, ?, ?, ?, NULL)`,
  );
  refund.run('R26113009000000011111', 1000, 'succeeded', '3738154220261130090000009101', '00', 2001, 2100, 1);
  refund.run('R26113009010000022222', 500, 'unknown', null, null, 2200, null, 0);
  db.prepare("INSERT INTO events (at, entity, entity_id, type, data) VALUES (1000, 'payment', 1, 'intent', '{}')").run();
  db.prepare("INSERT INTO events (at, entity, entity_id, type, data) VALUES (2000, 'refund', 1, 'intent', '{}')").run();
  db.prepare("INSERT INTO day_reports (mode, business_day, closed_at, closed_by, report) VALUES ('live', '2026-11-29', 1, '900', '{\"net\":1}')").run();
  db.prepare('INSERT INTO settings (key, value, updated_at) VALUES (\'shop\', \'{"name":"老王"}\', 1)').run();
  const snapshot = {
    payments: db.prepare('SELECT * FROM payments ORDER BY id').all() as Row[],
    refunds: db.prepare('SELECT * FROM refunds ORDER BY id').all() as Row[],
    events: (db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n,
    days: db.prepare('SELECT * FROM day_reports').all() as Row[],
  };
  db.close();
  return snapshot;
}

function indexes(db: Database.Database, table: string): Record<string, string | null> {
  const rows = db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? ORDER BY name").all(table) as {
    name: string;
    sql: string | null;
  }[];
  return Object.fromEntries(rows.map((r) => [r.name, r.sql === null ? null : r.sql.replace(/\s+/g, ' ')]));
}

function plan(db: Database.Database, sql: string, ...params: unknown[]): string {
  return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((p) => p.detail).join(' | ');
}

describe('ledger migration 6: gateway-neutral references', () => {
  it('migrates a populated previous-version file: every row kept, the trace moved to gateway_ref (sys_trace still readable), refunds get their gateway', () => {
    const file = ledgerFile();
    const before = populatedPreviousLedger(file);
    const db = openLedger(file, { targetVersion: REFS.version });
    expect(schemaVersion(db)).toBe(REFS.version);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('foreign_key_check')).toEqual([]);

    const payments = db.prepare('SELECT * FROM payments ORDER BY id').all() as Row[];
    expect(payments).toHaveLength(before.payments.length);
    payments.forEach((row, i) => {
      const old = before.payments[i]!;
      // Every old column unchanged (sys_trace now the alias of gateway_ref), plus the new ones.
      expect(row).toEqual({ ...old, gateway_ref: old.sys_trace, gateway_detail: null, request_seq: null });
    });
    expect(payments[3]).toMatchObject({ tender: 'card', gateway: 'terminal', gateway_ref: CARD_REF, sys_trace: CARD_REF });

    const refunds = db.prepare('SELECT * FROM refunds ORDER BY id').all() as Row[];
    expect(refunds).toHaveLength(before.refunds.length);
    refunds.forEach((row, i) => {
      const old = before.refunds[i]!;
      expect(row).toEqual({ ...old, gateway: 'bpc', gateway_ref: old.sys_trace, gateway_detail: null, request_seq: null });
    });
    expect((db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n).toBe(before.events);
    expect(db.prepare('SELECT * FROM day_reports').all()).toEqual(before.days);
    expect(db.prepare("SELECT value FROM settings WHERE key = 'shop'").get()).toEqual({ value: '{"name":"老王"}' });

    // The ledger functions read the migrated rows as before, with the new fields.
    expect(getPayment(db, 1)).toMatchObject({
      sysTrace: '3738154220261130080000009001',
      gatewayRef: '3738154220261130080000009001',
      gateway: 'bpc',
      walletTradeNo: '4200000395201909177323430256',
      gatewayDetail: null,
      requestSeq: null,
    });
    expect(getPayment(db, 4)).toMatchObject({ sysTrace: CARD_REF, gatewayRef: CARD_REF, gateway: 'terminal' });
    expect(findPaymentBySysTrace(db, '3738154220261130080100009002')?.id).toBe(2);
    // A notification names a BPC trace: a card reference never matches one.
    expect(findPaymentBySysTrace(db, CARD_REF)).toBeUndefined();
    expect(findPaymentByGatewayRef(db, 'terminal', CARD_REF)?.id).toBe(4);
    expect(getRefund(db, 1)).toMatchObject({
      sysTrace: '3738154220261130090000009101',
      gatewayRef: '3738154220261130090000009101',
      gateway: 'bpc',
      needsSupervisor: false,
    });
    expect(getRefund(db, 2)).toMatchObject({ sysTrace: null, needsSupervisor: true });
    db.close();
  });

  it('rebuilds every index, adds the per-gateway unique references and request serials, and the lookups use them', () => {
    const file = ledgerFile();
    populatedPreviousLedger(file);
    const db = openLedger(file, { targetVersion: REFS.version });
    expect(indexes(db, 'payments')).toEqual({
      payments_day: 'CREATE INDEX payments_day ON payments (mode, business_day, id)',
      payments_gateway_ref: 'CREATE UNIQUE INDEX payments_gateway_ref ON payments (gateway_ref, gateway) WHERE gateway_ref IS NOT NULL',
      payments_mer_order: 'CREATE INDEX payments_mer_order ON payments (mer_order_no) WHERE mer_order_no IS NOT NULL',
      payments_open: "CREATE INDEX payments_open ON payments (status) WHERE status IN ('created', 'qr_issued', 'waiting', 'unknown')",
      payments_request_seq: 'CREATE UNIQUE INDEX payments_request_seq ON payments (gateway, request_seq) WHERE request_seq IS NOT NULL',
      payments_wallet_trade: 'CREATE INDEX payments_wallet_trade ON payments (wallet_trade_no) WHERE wallet_trade_no IS NOT NULL',
      sqlite_autoindex_payments_1: null,
    });
    expect(indexes(db, 'refunds')).toEqual({
      refunds_day: 'CREATE INDEX refunds_day ON refunds (mode, business_day, id)',
      refunds_gateway_ref: 'CREATE UNIQUE INDEX refunds_gateway_ref ON refunds (gateway_ref, gateway) WHERE gateway_ref IS NOT NULL',
      refunds_open: "CREATE INDEX refunds_open ON refunds (status) WHERE status IN ('created', 'pending', 'unknown')",
      refunds_payment: 'CREATE INDEX refunds_payment ON refunds (payment_id)',
      refunds_request_seq: 'CREATE UNIQUE INDEX refunds_request_seq ON refunds (gateway, request_seq) WHERE request_seq IS NOT NULL',
      sqlite_autoindex_refunds_1: null,
    });
    expect(indexes(db, 'gateway_requests')).toEqual({
      gateway_requests_payment: 'CREATE INDEX gateway_requests_payment ON gateway_requests (payment_id) WHERE payment_id IS NOT NULL',
      sqlite_autoindex_gateway_requests_1: null,
    });
    expect(plan(db, 'SELECT * FROM payments WHERE trade_no = ?', 'x')).toMatch(/sqlite_autoindex_payments_1/);
    expect(plan(db, 'SELECT * FROM payments WHERE gateway_ref = ? AND gateway = ?', 'x', 'bpc')).toMatch(/payments_gateway_ref/);
    expect(plan(db, 'SELECT * FROM payments WHERE gateway_ref = ?', 'x')).toMatch(/payments_gateway_ref/);
    expect(plan(db, 'SELECT * FROM refunds WHERE refund_no = ?', 'x')).toMatch(/sqlite_autoindex_refunds_1/);
    expect(plan(db, 'SELECT * FROM refunds WHERE payment_id = ?', 1)).toMatch(/refunds_payment/);
    db.close();
  });

  it('enforces the new rules: references unique per gateway, sys_trace read-only, cash allowed, refunds still bound to payments', () => {
    const file = ledgerFile();
    populatedPreviousLedger(file);
    const db = openLedger(file, { targetVersion: REFS.version });
    const insert = db.prepare(
      `INSERT INTO payments (trade_no, mode, tender, gateway, amount_fen, status, gateway_ref, business_day, created_at, updated_at)
       VALUES (?, 'live', ?, ?, 100, 'paid', ?, '2026-12-01', 1, 1)`,
    );
    // The same reference from another gateway is another sale; from the same gateway it is refused.
    expect(() => insert.run('PX1', 'qr', 'bpc', '3738154220261130080000009001')).toThrow(/UNIQUE constraint failed: payments.gateway_ref, payments.gateway/);
    insert.run('PX2', 'card', 'yima', '3738154220261130080000009001');
    expect(() => insert.run('PX3', 'card', 'terminal', '')).toThrow(/CHECK/);
    insert.run('PX4', 'cash', 'cash', null);
    expect(() => insert.run('PX5', 'cheque', 'bpc', null)).toThrow(/CHECK/);
    expect(() => db.prepare("UPDATE payments SET sys_trace = 'x' WHERE id = 1").run()).toThrow(/generated column/);
    expect(() => db.prepare("UPDATE payments SET gateway_detail = 'not json' WHERE id = 1").run()).toThrow(/CHECK/);
    expect(() =>
      db
        .prepare(
          "INSERT INTO refunds (refund_no, payment_id, mode, amount_fen, status, business_day, created_at, updated_at) VALUES ('RX', 999, 'live', 1, 'created', 'd', 1, 1)",
        )
        .run(),
    ).toThrow(/FOREIGN KEY/);
    const refund = db.prepare(
      "INSERT INTO refunds (refund_no, payment_id, mode, gateway, amount_fen, status, gateway_ref, business_day, created_at, updated_at) VALUES (?, 1, 'live', ?, 1, 'succeeded', ?, 'd', 1, 1)",
    );
    expect(() => refund.run('RX1', 'bpc', '3738154220261130090000009101')).toThrow(/UNIQUE constraint failed: refunds.gateway_ref, refunds.gateway/);
    refund.run('RX2', 'yima', '3738154220261130090000009101');
    db.close();
  });

  it('odd old values that the new checks refuse are normalised, not fatal: an empty gateway or an empty trace', () => {
    const file = ledgerFile();
    const old = openLedger(file, { targetVersion: PREVIOUS });
    const insert = old.prepare(
      `INSERT INTO payments (trade_no, mode, tender, gateway, amount_fen, status, sys_trace, business_day, created_at, updated_at)
       VALUES (?, 'live', ?, '', 100, 'failed', ?, 'd', 1, 1)`,
    );
    insert.run('PQ', 'qr', '');
    insert.run('PC', 'card', null);
    old.close();
    const db = openLedger(file, { targetVersion: REFS.version });
    expect(db.prepare('SELECT trade_no, gateway, gateway_ref, sys_trace FROM payments ORDER BY id').all()).toEqual([
      { trade_no: 'PQ', gateway: 'bpc', gateway_ref: null, sys_trace: null },
      { trade_no: 'PC', gateway: 'terminal', gateway_ref: null, sys_trace: null },
    ]);
    db.close();
  });

  it('a damaged previous-version ledger (a refund of a missing payment) is refused and left as it was', () => {
    const file = ledgerFile();
    populatedPreviousLedger(file);
    const raw = new Database(file);
    raw.pragma('foreign_keys = OFF');
    raw
      .prepare(
        "INSERT INTO refunds (refund_no, payment_id, mode, amount_fen, status, business_day, created_at, updated_at) VALUES ('RBAD', 77, 'live', 1, 'created', 'd', 1, 1)",
      )
      .run();
    raw.close();
    expect(() => openLedger(file, { targetVersion: REFS.version })).toThrow(expect.objectContaining({ code: 'LEDGER_CORRUPT' }));
    const db = openLedger(file, { targetVersion: PREVIOUS });
    expect(schemaVersion(db)).toBe(PREVIOUS);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect((db.prepare('SELECT COUNT(*) AS n FROM refunds').get() as { n: number }).n).toBe(3);
    expect(db.prepare('SELECT sys_trace FROM payments WHERE id = 4').get()).toEqual({ sys_trace: CARD_REF });
    db.close();
  });
});

describe('gateway-neutral ledger functions', () => {
  function fresh(): Database.Database {
    return openLedger(ledgerFile());
  }
  const intent = {
    merOrderNo: null,
    memo: null,
    mode: 'live' as const,
    tender: 'card' as const,
    gateway: 'yima',
    amountFen: 500,
    operator: '001',
    businessDay: '2026-12-01',
    now: 10,
  };

  it('created → waiting is allowed (a gateway that answers "accepted, poll")', () => {
    const db = fresh();
    const p = insertPaymentIntent(db, { ...intent, tradeNo: 'P1' });
    expect(updatePayment(db, p.id, { status: 'waiting' }, 11).status).toBe('waiting');
    db.close();
  });

  it('stores the gateway detail masked: a full card number never reaches the disk', () => {
    const db = fresh();
    const p = insertPaymentIntent(db, { ...intent, tradeNo: 'P1', gateway: 'terminal' });
    const after = updatePayment(
      db,
      p.id,
      { status: 'paid', gatewayRef: 'T-1', gatewayDetail: { cardNo: '6222021234567890123', referenceNo: '123456789012', key: 'secret!' } },
      11,
    );
    expect(after.gatewayDetail).toEqual({ cardNo: '622202*********0123', referenceNo: '123456789012', key: '***' });
    const stored = (db.prepare('SELECT gateway_detail FROM payments WHERE id = ?').get(p.id) as { gateway_detail: string }).gateway_detail;
    expect(stored).not.toContain('6222021234567890123');
    expect(after).toMatchObject({ gatewayRef: 'T-1', sysTrace: 'T-1' });
    db.close();
  });

  it('reserves a fresh request serial per request before it leaves: recorded, never reused, within Yima pos_seq rules', () => {
    const db = fresh();
    const p = insertPaymentIntent(db, { ...intent, tradeNo: 'P1' });
    const seqs = Array.from({ length: 50 }, () => reserveRequestSeq(db, { gateway: 'yima', purpose: 'query', paymentId: p.id, now: 1_764_547_200_000 }));
    expect(new Set(seqs).size).toBe(50);
    for (const s of seqs) {
      expect(s.length).toBeGreaterThan(12);
      expect(s.length).toBeLessThanOrEqual(32);
      expect(s).toMatch(/^[0-9A-Za-z]+$/);
      // The Yima client's own pos_seq rule accepts it.
      expect(() => assertPosSeq(s)).not.toThrow();
    }
    expect((db.prepare("SELECT COUNT(*) AS n FROM gateway_requests WHERE gateway = 'yima' AND payment_id = ?").get(p.id) as { n: number }).n).toBe(50);
    expect(() => db.prepare("INSERT INTO gateway_requests (gateway, seq, purpose, reserved_at) VALUES ('yima', ?, 'x', 1)").run(seqs[0])).toThrow(/UNIQUE/);
    // The create's serial goes on the payment, unique per gateway.
    const q = insertPaymentIntent(db, { ...intent, tradeNo: 'P2', requestSeq: seqs[1]! });
    expect(getPayment(db, q.id).requestSeq).toBe(seqs[1]);
    expect(() => insertPaymentIntent(db, { ...intent, tradeNo: 'P3', requestSeq: seqs[1]! })).toThrow(/UNIQUE/);
    db.close();
  });

  it('a refund records the gateway of its payment', () => {
    const db = fresh();
    const p = insertPaymentIntent(db, { ...intent, tradeNo: 'P1', gateway: 'bpc', tender: 'qr' });
    updatePayment(db, p.id, { status: 'waiting' }, 11);
    updatePayment(db, p.id, { status: 'paid', sysTrace: 'S1' }, 12);
    const r = insertRefundIntent(db, {
      refundNo: 'R1',
      paymentId: p.id,
      amountFen: 100,
      reason: 'x',
      operator: '001',
      approvedBy: '900',
      businessDay: '2026-12-01',
      now: 13,
    });
    expect(r).toMatchObject({ gateway: 'bpc', gatewayRef: null });
    db.close();
  });
});
