import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, openLedger, schemaVersion } from '../../src/core/ledger/db';
import { appendEvent, listEvents } from '../../src/core/ledger/events';
import { LATEST_VERSION, MIGRATIONS } from '../../src/core/ledger/migrations';
import { findOtherPaymentByGatewayOrderId } from '../../src/core/ledger/payments';
import { tempDir } from '../support/temp';

/** One test per migration: from the version before it to it, on a real file, with data checked. */
const dirs: (() => void)[] = [];
function ledgerFile(): string {
  const t = tempDir('ledger-');
  dirs.push(t.cleanup);
  return join(t.dir, 'ledger.sqlite');
}
afterEach(() => dirs.splice(0).forEach((c) => c()));

function tables(db: Database.Database): string[] {
  return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
}

describe('ledger', () => {
  it('opens with WAL, synchronous=FULL and foreign keys, at the latest schema', () => {
    const db = openLedger(ledgerFile());
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(schemaVersion(db)).toBe(LATEST_VERSION);
    db.close();
  });

  it('migration 1: settings, secrets, append-only events', () => {
    const file = ledgerFile();
    const db = openLedger(file, { targetVersion: 1 });
    expect(schemaVersion(db)).toBe(1);
    expect(tables(db)).toEqual(['events', 'secrets', 'settings']);
    const id = appendEvent(db, { at: 1, entity: 'app', type: 'started', data: { key: 'secret!', ok: 1 } });
    expect(listEvents(db, 'app', 0)).toEqual([]);
    const row = db.prepare('SELECT data FROM events WHERE id = ?').get(id) as { data: string };
    expect(JSON.parse(row.data)).toEqual({ key: '***', ok: 1 });
    expect(() => db.prepare('UPDATE events SET type = ?').run('x')).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM events').run()).toThrow(/append-only/);
    db.close();
  });

  it('migration 2: payments and refunds keep version-1 data and enforce money rules', () => {
    const file = ledgerFile();
    const v1 = openLedger(file, { targetVersion: 1 });
    v1.prepare("INSERT INTO settings (key, value, updated_at) VALUES ('k', '1', 1)").run();
    v1.close();
    const db = openLedger(file, { targetVersion: 2 });
    expect(schemaVersion(db)).toBe(2);
    expect(db.prepare("SELECT value FROM settings WHERE key = 'k'").get()).toEqual({ value: '1' });
    const insert = db.prepare(
      `INSERT INTO payments (trade_no, mode, tender, gateway, amount_fen, status, business_day, created_at, updated_at)
       VALUES (?, 'training', 'qr', 'bpc', ?, 'created', '2026-11-23', 1, 1)`,
    );
    insert.run('P1', 100);
    expect(() => insert.run('P1', 100)).toThrow(/UNIQUE/);
    expect(() => insert.run('P2', 0)).toThrow(/CHECK/);
    expect(() => insert.run('P3', 1.5)).toThrow();
    expect(() =>
      db
        .prepare(
          `INSERT INTO refunds (refund_no, payment_id, mode, amount_fen, status, business_day, created_at, updated_at)
         VALUES ('R1', 999, 'training', 1, 'created', '2026-11-23', 1, 1)`,
        )
        .run(),
    ).toThrow(/FOREIGN KEY/);
    db.close();
  });

  it('migration 3: operators, shifts, immutable day reports', () => {
    const file = ledgerFile();
    openLedger(file, { targetVersion: 2 }).close();
    const db = openLedger(file, { targetVersion: 3 });
    expect(tables(db)).toEqual(expect.arrayContaining(['operators', 'shifts', 'day_reports']));
    db.prepare("INSERT INTO day_reports (mode, business_day, closed_at, closed_by, report) VALUES ('live', '2026-11-22', 1, '900', '{}')").run();
    expect(() => db.prepare('UPDATE day_reports SET report = \'{"x":1}\'').run()).toThrow(/immutable/);
    expect(() => db.prepare('DELETE FROM day_reports').run()).toThrow(/immutable/);
    db.close();
  });

  it('the wallet transaction number migration: on payments, indexed, existing rows kept', () => {
    const wallet = MIGRATIONS.find((m) => m.name === "the wallet's own transaction number on payments")!;
    const file = ledgerFile();
    const v3 = openLedger(file, { targetVersion: wallet.version - 1 });
    v3.prepare(
      `INSERT INTO payments (trade_no, mode, tender, gateway, amount_fen, status, business_day, created_at, updated_at)
       VALUES ('P1', 'live', 'qr', 'bpc', 100, 'paid', '2026-11-23', 1, 1)`,
    ).run();
    v3.close();
    const db = openLedger(file, { targetVersion: wallet.version });
    expect(schemaVersion(db)).toBe(wallet.version);
    expect(db.prepare("SELECT trade_no, wallet_trade_no FROM payments WHERE trade_no = 'P1'").get()).toEqual({ trade_no: 'P1', wallet_trade_no: null });
    db.prepare("UPDATE payments SET wallet_trade_no = '4200000395201909177323430256' WHERE trade_no = 'P1'").run();
    const plan = db.prepare("EXPLAIN QUERY PLAN SELECT * FROM payments WHERE wallet_trade_no = '4200000395201909177323430256'").all() as { detail: string }[];
    expect(plan.map((p) => p.detail).join(' ')).toContain('payments_wallet_trade');
    db.close();
  });

  it('the gateway order id migration: the one-payment-one-sale lookup uses its index; sales without a detail are fine', () => {
    const m = MIGRATIONS.find((x) => x.name === "the gateway's own order id on payments, indexed")!;
    const file = ledgerFile();
    const before = openLedger(file, { targetVersion: m.version - 1 });
    const insert = before.prepare(
      `INSERT INTO payments (trade_no, mode, tender, gateway, amount_fen, status, business_day, created_at, updated_at, gateway_detail)
       VALUES (?, 'live', 'card', 'yima', 100, 'paid', '2026-12-02', 1, 1, ?)`,
    );
    insert.run('P1', JSON.stringify({ orderId: 'YM0001', cardNo: '622848******1234' }));
    insert.run('P3', null);
    before.close();
    const db = openLedger(file, { targetVersion: m.version });
    expect(schemaVersion(db)).toBe(m.version);
    const id = (trade: string): number => (db.prepare('SELECT id FROM payments WHERE trade_no = ?').get(trade) as { id: number }).id;
    expect(findOtherPaymentByGatewayOrderId(db, 'yima', 'YM0001', id('P3'))?.tradeNo).toBe('P1');
    expect(findOtherPaymentByGatewayOrderId(db, 'yima', 'YM0001', id('P1'))).toBeUndefined();
    expect(findOtherPaymentByGatewayOrderId(db, 'bpc', 'YM0001', id('P3'))).toBeUndefined();
    const plan = db
      .prepare(
        "EXPLAIN QUERY PLAN SELECT * FROM payments WHERE json_valid(gateway_detail) AND gateway = 'yima' AND json_extract(gateway_detail, '$.orderId') = 'YM0001' AND id <> 3",
      )
      .all() as { detail: string }[];
    expect(plan.map((p) => p.detail).join(' ')).toContain('payments_gateway_order_id');
    db.close();
  });

  it('refuses a ledger written by a newer app instead of touching it', () => {
    const file = ledgerFile();
    openLedger(file).close();
    const raw = new Database(file);
    raw.pragma(`user_version = ${LATEST_VERSION + 1}`);
    raw.close();
    expect(() => openLedger(file)).toThrow(expect.objectContaining({ code: 'LEDGER_TOO_NEW' }));
  });

  it('a failing migration leaves the previous version intact', () => {
    const file = ledgerFile();
    const db = openLedger(file, { targetVersion: 1 });
    const broken = [...MIGRATIONS.filter((m) => m.version === 1), { version: 2, name: 'broken', sql: 'CREATE TABLE x (a); SELECT nope FROM nowhere;' }];
    expect(() => migrate(db, broken, 2)).toThrow();
    expect(schemaVersion(db)).toBe(1);
    expect(tables(db)).not.toContain('x');
    db.close();
  });
});
