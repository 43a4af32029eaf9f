import { createHash, scryptSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/core/ledger/db';
import { openLedger } from '../../src/core/ledger/db';
import { listEvents } from '../../src/core/ledger/events';
import { readSetting } from '../../src/core/ledger/settings';
import {
  createOperator,
  DEFAULT_OPERATORS,
  ensureDefaultOperators,
  forgetPublishedPinChecks,
  hasRole,
  listOperators,
  operatorsWithDefaultPin,
  operatorsWithDefaultPinSync,
  PIN_CHECKED_SETTING,
  requireRole,
  unlockOperator,
  updateOperator,
  verifyPin,
  type Role,
} from '../../src/core/operators/operators';
import { hashPin, parsePinHash, PIN_SCRYPT, verifyPinHash } from '../../src/core/operators/pin';
import { endShift, getOpenShift, startShift } from '../../src/core/operators/shifts';
import { AppError } from '../../src/shared/errors';
import { tempDir } from '../support/temp';

const T0 = Date.UTC(2026, 4, 1, 2, 0, 0);
const cleanups: (() => void)[] = [];
const dbs: Db[] = [];

function ledger(): { db: Db; file: string } {
  const t = tempDir('operators-');
  cleanups.push(t.cleanup);
  const file = join(t.dir, 'ledger.sqlite');
  const db = openLedger(file);
  dbs.push(db);
  return { db, file };
}

afterEach(() => {
  for (const db of dbs.splice(0)) if (db.open) db.close();
  cleanups.splice(0).forEach((c) => c());
});

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error.code;
    throw error;
  }
  return 'resolved';
}

function syncCodeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof AppError) return error.code;
    throw error;
  }
  return 'returned';
}

describe('PIN hashing', () => {
  it('stores scrypt$N$r$p$salt$hash with a 16-byte salt and a 32-byte key that scrypt reproduces', async () => {
    const stored = await hashPin('4821');
    const parts = stored.split('$');
    expect(parts.slice(0, 4)).toEqual(['scrypt', '32768', '8', '1']);
    const parsed = parsePinHash(stored)!;
    expect(parsed.salt.length).toBe(16);
    expect(parsed.key.length).toBe(32);
    const expected = scryptSync('4821', parsed.salt, 32, { N: 32768, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
    expect(parsed.key.equals(expected)).toBe(true);
    expect(await verifyPinHash('4821', stored)).toBe(true);
    expect(await verifyPinHash('4822', stored)).toBe(false);
    expect(await verifyPinHash('4821', stored.replace(/.$/, stored.endsWith('A') ? 'B' : 'A'))).toBe(false);
    expect(await verifyPinHash('4821', 'garbage')).toBe(false);
  });

  it('salts: the same PIN hashes differently every time', async () => {
    const [a, b] = [await hashPin('1234'), await hashPin('1234')];
    expect(a).not.toBe(b);
    expect(await verifyPinHash('1234', a)).toBe(true);
    expect(await verifyPinHash('1234', b)).toBe(true);
  });

  it('accepts 4–8 digits only', async () => {
    for (const bad of ['123', '123456789', '12a4', ' 1234', '１２３４', '']) {
      expect(await codeOf(hashPin(bad))).toBe('BAD_INPUT');
    }
    await expect(hashPin('12345678')).resolves.toMatch(/^scrypt\$/);
  });
});

describe('operators', () => {
  it('creates, lists without hashes, and verifies the PIN', async () => {
    const { db } = ledger();
    const op = await createOperator(db, { code: '007', name: '王芳', role: 'cashier', pin: '2580' }, T0, '900');
    expect(op).toMatchObject({ code: '007', name: '王芳', role: 'cashier', active: true, failedAttempts: 0, lockedUntil: null });
    const list = listOperators(db);
    expect(list.map((o) => o.code)).toEqual(['007']);
    const serialized = JSON.stringify(list);
    expect(serialized).not.toContain('scrypt');
    expect(serialized).not.toContain('2580');
    expect(Object.keys(list[0]!)).not.toContain('pinHash');
    const verified = await verifyPin(db, '007', '2580', T0 + 1);
    expect(verified.code).toBe('007');
    const events = listEvents(db, 'operator', op.id);
    expect(events.map((e) => [e.type, e.actor])).toEqual([['created', '900']]);
    expect(events[0]!.data).toEqual({ code: '007', name: '王芳', role: 'cashier', active: true });
  });

  it('refuses malformed input and duplicate codes', async () => {
    const { db } = ledger();
    await createOperator(db, { code: '001', name: 'A', role: 'cashier', pin: '1234' }, T0);
    expect(await codeOf(createOperator(db, { code: '001', name: 'B', role: 'cashier', pin: '1234' }, T0))).toBe('BAD_INPUT');
    expect(await codeOf(createOperator(db, { code: '', name: 'B', role: 'cashier', pin: '1234' }, T0))).toBe('BAD_INPUT');
    expect(await codeOf(createOperator(db, { code: '002', name: '  ', role: 'cashier', pin: '1234' }, T0))).toBe('BAD_INPUT');
    expect(await codeOf(createOperator(db, { code: '002', name: 'B', role: 'boss' as Role, pin: '1234' }, T0))).toBe('BAD_INPUT');
    expect(await codeOf(createOperator(db, { code: '002', name: 'B', role: 'cashier', pin: '12' }, T0))).toBe('BAD_INPUT');
    expect(listOperators(db)).toHaveLength(1);
  });

  it('answers PIN_WRONG alike for a wrong PIN, an unknown operator and an inactive one', async () => {
    const { db } = ledger();
    await createOperator(db, { code: '001', name: 'A', role: 'cashier', pin: '1234' }, T0);
    await createOperator(db, { code: '002', name: 'B', role: 'manager', pin: '5678' }, T0);
    expect(await codeOf(verifyPin(db, '001', '4321', T0))).toBe('PIN_WRONG');
    expect(await codeOf(verifyPin(db, '999', '1234', T0))).toBe('PIN_WRONG');
    expect(await codeOf(verifyPin(db, '001', 'abcd', T0))).toBe('PIN_WRONG');
    await updateOperator(db, '001', { active: false }, T0, '002');
    expect(await codeOf(verifyPin(db, '001', '1234', T0))).toBe('PIN_WRONG');
  });

  it('locks after 5 wrong PINs for 5 minutes, refusing even the right PIN, then unlocks', async () => {
    const { db } = ledger();
    const op = await createOperator(db, { code: '001', name: 'A', role: 'cashier', pin: '1234' }, T0);
    for (let i = 1; i <= 4; i++) {
      expect(await codeOf(verifyPin(db, '001', '0000', T0 + i))).toBe('PIN_WRONG');
      expect(listOperators(db)[0]!.failedAttempts).toBe(i);
    }
    let lockError: unknown;
    await verifyPin(db, '001', '0000', T0 + 5).catch((e: unknown) => (lockError = e));
    expect(lockError).toBeInstanceOf(AppError);
    expect((lockError as AppError).code).toBe('LOCKED_OUT');
    expect((lockError as AppError).details).toEqual({ lockedUntil: T0 + 5 + 300_000 });
    expect(listOperators(db)[0]!.lockedUntil).toBe(T0 + 5 + 300_000);

    expect(await codeOf(verifyPin(db, '001', '1234', T0 + 6))).toBe('LOCKED_OUT');
    expect(await codeOf(verifyPin(db, '001', '1234', T0 + 5 + 299_999))).toBe('LOCKED_OUT');
    const ok = await verifyPin(db, '001', '1234', T0 + 5 + 300_000);
    expect(ok).toMatchObject({ failedAttempts: 0, lockedUntil: null });
    expect(listOperators(db)[0]).toMatchObject({ failedAttempts: 0, lockedUntil: null });

    const types = listEvents(db, 'operator', op.id).map((e) => e.type);
    expect(types).toEqual(['created', 'pin_wrong', 'pin_wrong', 'pin_wrong', 'pin_wrong', 'locked_out', 'attempts_reset']);
  });

  it('lockouts escalate 5 → 15 → 60 minutes, each recorded; a correct PIN starts the escalation over', async () => {
    const { db } = ledger();
    const op = await createOperator(db, { code: '001', name: 'A', role: 'cashier', pin: '123456' }, T0);
    let at = T0;
    const lockFor = async (): Promise<number> => {
      for (let i = 1; i < 5; i++) expect(await codeOf(verifyPin(db, '001', '000000', (at += 1)))).toBe('PIN_WRONG');
      const error = await verifyPin(db, '001', '000000', (at += 1)).catch((e: unknown) => e as AppError);
      expect((error as AppError).code).toBe('LOCKED_OUT');
      const until = (error as AppError).details!.lockedUntil as number;
      const minutes = (until - at) / 60_000;
      at = until; // wait the lock out
      return minutes;
    };
    expect([await lockFor(), await lockFor(), await lockFor(), await lockFor()]).toEqual([5, 15, 60, 60]);
    const locks = listEvents(db, 'operator', op.id).filter((e) => e.type === 'locked_out');
    expect(locks.map((e) => (e.data as { lockMinutes: number }).lockMinutes)).toEqual([5, 15, 60, 60]);
    await expect(verifyPin(db, '001', '123456', at)).resolves.toMatchObject({ code: '001' });
    expect(await lockFor()).toBe(5);
  }, 180_000);

  it('accepts 6-digit PINs', async () => {
    const { db } = ledger();
    await createOperator(db, { code: '002', name: 'B', role: 'cashier', pin: '482913' }, T0);
    await expect(verifyPin(db, '002', '482913', T0)).resolves.toMatchObject({ code: '002' });
  });

  it('resets the counter on success, so 4 + 4 wrong PINs around a good one do not lock', async () => {
    const { db } = ledger();
    await createOperator(db, { code: '001', name: 'A', role: 'cashier', pin: '1234' }, T0);
    for (let i = 0; i < 4; i++) expect(await codeOf(verifyPin(db, '001', '9999', T0))).toBe('PIN_WRONG');
    await verifyPin(db, '001', '1234', T0);
    for (let i = 0; i < 4; i++) expect(await codeOf(verifyPin(db, '001', '9999', T0))).toBe('PIN_WRONG');
    await expect(verifyPin(db, '001', '1234', T0)).resolves.toMatchObject({ code: '001' });
  });

  it('takes the attempt limit and lock time from options', async () => {
    const { db } = ledger();
    await createOperator(db, { code: '001', name: 'A', role: 'cashier', pin: '1234' }, T0);
    const opts = { maxAttempts: 2, lockMs: 1000 };
    expect(await codeOf(verifyPin(db, '001', '0000', T0, opts))).toBe('PIN_WRONG');
    expect(await codeOf(verifyPin(db, '001', '0000', T0, opts))).toBe('LOCKED_OUT');
    expect(await codeOf(verifyPin(db, '001', '1234', T0 + 999, opts))).toBe('LOCKED_OUT');
    await expect(verifyPin(db, '001', '1234', T0 + 1000, opts)).resolves.toMatchObject({ code: '001' });
  });

  it('a supervisor unlock or a new PIN lifts the lock', async () => {
    const { db } = ledger();
    await createOperator(db, { code: '001', name: 'A', role: 'cashier', pin: '1234' }, T0);
    const opts = { maxAttempts: 1, lockMs: 60_000 };
    expect(await codeOf(verifyPin(db, '001', '0000', T0, opts))).toBe('LOCKED_OUT');
    unlockOperator(db, '001', T0 + 1, '800');
    await expect(verifyPin(db, '001', '1234', T0 + 2, opts)).resolves.toMatchObject({ code: '001' });
    expect(await codeOf(verifyPin(db, '001', '0000', T0 + 3, opts))).toBe('LOCKED_OUT');
    await updateOperator(db, '001', { pin: '24680' }, T0 + 4, '800');
    expect(await codeOf(verifyPin(db, '001', '1234', T0 + 5, opts))).toBe('LOCKED_OUT'); // old PIN: wrong again → locked
    await updateOperator(db, '001', { pin: '24680' }, T0 + 6, '800');
    await expect(verifyPin(db, '001', '24680', T0 + 7, opts)).resolves.toMatchObject({ code: '001' });
  });

  it('updates name, role, PIN and active, recording who did it and never the PIN', async () => {
    const { db } = ledger();
    await createOperator(db, { code: '900', name: 'Boss', role: 'manager', pin: '9999' }, T0);
    const op = await createOperator(db, { code: '001', name: 'A', role: 'cashier', pin: '1234' }, T0);
    const updated = await updateOperator(db, '001', { name: '李四', role: 'supervisor', pin: '55667788' }, T0 + 10, '900');
    expect(updated).toMatchObject({ name: '李四', role: 'supervisor', active: true, updatedAt: T0 + 10 });
    expect(await codeOf(verifyPin(db, '001', '1234', T0 + 11))).toBe('PIN_WRONG');
    await expect(verifyPin(db, '001', '55667788', T0 + 12)).resolves.toMatchObject({ role: 'supervisor' });
    const updatedEvent = listEvents(db, 'operator', op.id).find((e) => e.type === 'updated')!;
    expect(updatedEvent.actor).toBe('900');
    expect(updatedEvent.data).toEqual({ code: '001', changes: { name: '李四', role: 'supervisor', pinChanged: true } });
    expect(await codeOf(updateOperator(db, 'nobody', { name: 'x' }, T0))).toBe('NOT_FOUND');
  });

  it('refuses to demote or deactivate the last active manager', async () => {
    const { db } = ledger();
    await createOperator(db, { code: '900', name: 'Boss', role: 'manager', pin: '9999' }, T0);
    expect(await codeOf(updateOperator(db, '900', { role: 'supervisor' }, T0))).toBe('INVALID_STATE');
    expect(await codeOf(updateOperator(db, '900', { active: false }, T0))).toBe('INVALID_STATE');
    await createOperator(db, { code: '901', name: 'Boss 2', role: 'manager', pin: '9998' }, T0);
    await expect(updateOperator(db, '900', { active: false }, T0)).resolves.toMatchObject({ active: false });
  });

  it('checks roles: manager ⊇ supervisor ⊇ cashier, inactive has none', () => {
    const roles: Role[] = ['cashier', 'supervisor', 'manager'];
    for (const [i, have] of roles.entries()) {
      for (const [j, need] of roles.entries()) {
        expect(hasRole({ role: have }, need)).toBe(i >= j);
        expect(syncCodeOf(() => requireRole({ role: have }, need))).toBe(i >= j ? 'returned' : 'ROLE_REQUIRED');
      }
    }
    expect(syncCodeOf(() => requireRole({ role: 'manager', active: false }, 'cashier'))).toBe('ROLE_REQUIRED');
  });

  it('creates the training defaults once, on an empty ledger only', async () => {
    const { db } = ledger();
    expect(await ensureDefaultOperators(db, T0)).toBe(true);
    expect(await ensureDefaultOperators(db, T0)).toBe(false);
    expect(listOperators(db).map((o) => [o.code, o.role])).toEqual([
      ['001', 'cashier'],
      ['800', 'supervisor'],
      ['900', 'manager'],
    ]);
    for (const def of DEFAULT_OPERATORS) await expect(verifyPin(db, def.code, def.pin, T0)).resolves.toMatchObject({ role: def.role });
    expect(DEFAULT_OPERATORS.map((d) => [d.code, d.pin])).toEqual([
      ['001', '1111'],
      ['800', '8888'],
      ['900', '9999'],
    ]);

    expect(await operatorsWithDefaultPin(db)).toEqual(['001', '800', '900']);
    await updateOperator(db, '900', { pin: '24681357' }, T0 + 1, '900');
    expect(await operatorsWithDefaultPin(db)).toEqual(['001', '800']);

    const other = ledger().db;
    await createOperator(other, { code: '123', name: 'X', role: 'manager', pin: '1357' }, T0);
    expect(await ensureDefaultOperators(other, T0)).toBe(false);
    expect(listOperators(other)).toHaveLength(1);
  });

  it('the ledger file holds neither a PIN nor anything but a salted scrypt hash', async () => {
    const { db, file } = ledger();
    const pins = { '001': '73915062', '002': '48260731', '003': '73915062' };
    for (const [code, pin] of Object.entries(pins)) {
      await createOperator(db, { code, name: `Op ${code}`, role: 'supervisor', pin }, T0);
    }
    await updateOperator(db, '002', { pin: '60519284' }, T0 + 1, '001');
    expect(await codeOf(verifyPin(db, '001', '11112222', T0 + 2))).toBe('PIN_WRONG');
    await verifyPin(db, '003', '73915062', T0 + 3);
    const allPins = ['73915062', '48260731', '60519284', '11112222'];

    const rows = db.prepare('SELECT * FROM operators').all() as Record<string, unknown>[];
    for (const row of rows) {
      for (const value of Object.values(row)) for (const pin of allPins) expect(String(value)).not.toContain(pin);
      const parsed = parsePinHash(String(row.pin_hash))!;
      expect(parsed.salt.length).toBe(16);
      expect(parsed.key.length).toBe(32);
    }
    const hashes = rows.map((r) => String(r.pin_hash));
    expect(new Set(hashes).size).toBe(3); // 001 and 003 share a PIN but not a hash
    const eventData = (db.prepare('SELECT data FROM events').all() as { data: string }[]).map((e) => e.data).join('\n');
    for (const pin of allPins) expect(eventData).not.toContain(pin);
    expect(eventData).not.toContain('scrypt');

    db.close();
    const bytes = Buffer.concat([readFileSync(file), ...['-wal', '-journal'].map((s) => tryRead(file + s))]);
    for (const pin of allPins) {
      expect(bytes.includes(Buffer.from(pin, 'ascii'))).toBe(false);
      expect(bytes.includes(Buffer.from(pin, 'utf16le'))).toBe(false);
    }
    // The hashes themselves are on disk (proves we searched the right bytes).
    expect(bytes.includes(Buffer.from(hashes[0]!, 'ascii'))).toBe(true);
  });
});

function tryRead(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch {
    return Buffer.alloc(0);
  }
}

describe('shifts', () => {
  function insertPayment(
    db: Db,
    p: { tradeNo: string; amountFen: number; status: string; operator: string; createdAt: number; paidAt: number | null; payType: string },
  ): number {
    const info = db
      .prepare(
        `INSERT INTO payments (trade_no, mode, tender, gateway, amount_fen, status, pay_type, operator, business_day, created_at, updated_at, paid_at)
         VALUES (?, 'live', 'qr', 'bpc', ?, ?, ?, ?, '2026-05-01', ?, ?, ?)`,
      )
      .run(p.tradeNo, p.amountFen, p.status, p.payType, p.operator, p.createdAt, p.createdAt, p.paidAt);
    return Number(info.lastInsertRowid);
  }

  it('starts once per operator and mode, and ending stores the handover report', async () => {
    const { db } = ledger();
    await createOperator(db, { code: '001', name: 'A', role: 'cashier', pin: '1234' }, T0);
    const shift = startShift(db, '001', 'live', T0);
    expect(startShift(db, '001', 'live', T0 + 5).id).toBe(shift.id);
    expect(startShift(db, '001', 'training', T0 + 5).id).not.toBe(shift.id);
    expect(syncCodeOf(() => startShift(db, 'ghost', 'live', T0))).toBe('NOT_FOUND');

    insertPayment(db, { tradeNo: 'T1', amountFen: 1234, status: 'paid', operator: '001', createdAt: T0 + 1000, paidAt: T0 + 2000, payType: 'ZFBA' });
    const p2 = insertPayment(db, { tradeNo: 'T2', amountFen: 5000, status: 'paid', operator: '001', createdAt: T0 + 3000, paidAt: T0 + 4000, payType: 'WEIX' });
    insertPayment(db, { tradeNo: 'T3', amountFen: 777, status: 'paid', operator: '001', createdAt: T0 - 5000, paidAt: T0 - 4000, payType: 'WEIX' });
    insertPayment(db, { tradeNo: 'T4', amountFen: 999, status: 'paid', operator: '002', createdAt: T0 + 3000, paidAt: T0 + 4000, payType: 'WEIX' });
    insertPayment(db, { tradeNo: 'T5', amountFen: 300, status: 'waiting', operator: '001', createdAt: T0 + 6000, paidAt: null, payType: 'UPAY' });
    db.prepare(
      `INSERT INTO refunds (refund_no, payment_id, mode, amount_fen, status, operator, business_day, created_at, updated_at)
       VALUES ('R1', ?, 'live', 1500, 'succeeded', '001', '2026-05-01', ?, ?)`,
    ).run(p2, T0 + 7000, T0 + 7000);

    const ended = endShift(db, shift.id, T0 + 10_000, { timeZone: 'Asia/Shanghai' });
    expect(ended.endedAt).toBe(T0 + 10_000);
    expect(ended.report!.totals).toEqual({ paidCount: 2, paidFen: 6234, refundCount: 1, refundFen: 1500, netFen: 4734 });
    expect(ended.report!.unresolved.payments.map((p) => p.tradeNo)).toEqual(['T5']);
    expect(ended.report!.hourly[10]).toEqual({ hour: 10, paidCount: 2, paidFen: 6234 }); // 02:00 UTC = 10:00 in Shanghai
    expect(getOpenShift(db, '001', 'live')).toBeUndefined();
    expect(syncCodeOf(() => endShift(db, shift.id, T0 + 20_000))).toBe('INVALID_STATE');
    const types = listEvents(db, 'operator', 1).map((e) => e.type);
    expect(types).toEqual(['created', 'shift_started', 'shift_started', 'shift_ended']);
  });
});

describe('the published training PINs', () => {
  it("each precomputed hash is its PIN's, with today's scrypt parameters, and no other PIN matches it", async () => {
    for (const def of DEFAULT_OPERATORS) {
      expect(await verifyPinHash(def.pin, def.pinHash), def.code).toBe(true);
      expect(await verifyPinHash(def.pin === '1111' ? '1112' : '1111', def.pinHash), def.code).toBe(false);
      expect(parsePinHash(def.pinHash)).toMatchObject({ N: PIN_SCRYPT.N, r: PIN_SCRYPT.r, p: PIN_SCRYPT.p });
    }
    expect(new Set(DEFAULT_OPERATORS.map((d) => d.pinHash)).size).toBe(DEFAULT_OPERATORS.length);
  });
});

describe('operators still on a published training PIN', () => {
  it('every active operator is checked against every published PIN, whatever its code', async () => {
    const { db } = ledger();
    await ensureDefaultOperators(db, T0);
    // Written straight into the ledger (an old ledger, a hash from elsewhere): no in-process knowledge of the PIN.
    const put = async (code: string, pin: string, active = 1): Promise<void> => {
      db.prepare('INSERT INTO operators (code, name, role, pin_hash, active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
        code,
        `Op ${code}`,
        'cashier',
        await hashPin(pin),
        active,
        T0,
        T0,
      );
    };
    await put('002', '8888'); // a trainee created in training with the supervisor's published PIN
    await put('003', '9999', 0); // inactive: cannot sign in, not counted
    await put('004', '13572468');
    db.prepare("UPDATE operators SET pin_hash = ? WHERE code = '800'").run(await hashPin('1111')); // 800 re-set to 001's PIN
    await updateOperator(db, '900', { pin: '24681357' }, T0 + 1, '900');
    expect(await operatorsWithDefaultPin(db)).toEqual(['001', '002', '800']);
    forgetPublishedPinChecks(); // the blocking variant's own scrypts, not the answers remembered above
    expect(operatorsWithDefaultPinSync(db)).toEqual(['001', '002', '800']);
    expect(operatorsWithDefaultPinSync(db, ['002'])).toEqual(['001', '800']);
    // Created through the app: the same answer.
    await createOperator(db, { code: '005', name: 'Op 005', role: 'cashier', pin: '9999' }, T0 + 2);
    await createOperator(db, { code: '006', name: 'Op 006', role: 'cashier', pin: '97531' }, T0 + 2);
    expect(await operatorsWithDefaultPin(db)).toEqual(['001', '002', '005', '800']);
    await updateOperator(db, '005', { pin: '86420' }, T0 + 3);
    await updateOperator(db, '006', { pin: '1111' }, T0 + 3);
    expect(await operatorsWithDefaultPin(db)).toEqual(['001', '002', '006', '800']);
  }, 120_000);
});

describe('what the published-PIN check remembers in the ledger', () => {
  it('only digests of current hashes found not published; a hash written later is checked afresh', async () => {
    const { db } = ledger();
    await ensureDefaultOperators(db, T0);
    db.prepare("UPDATE operators SET pin_hash = ? WHERE code = '900'").run(await hashPin('24681357'));
    const digest = (code: string): string =>
      createHash('sha256')
        .update((db.prepare('SELECT pin_hash FROM operators WHERE code = ?').get(code) as { pin_hash: string }).pin_hash)
        .digest('hex');
    expect(await operatorsWithDefaultPin(db)).toEqual(['001', '800']);
    expect(readSetting(db, PIN_CHECKED_SETTING)).toEqual([digest('900')]);
    expect(JSON.stringify(readSetting(db, PIN_CHECKED_SETTING))).not.toContain('scrypt');
    // Another writer (a snapshot, an old version) puts a published PIN back: a new salt, a new digest.
    db.prepare("UPDATE operators SET pin_hash = ? WHERE code = '900'").run(await hashPin('9999'));
    forgetPublishedPinChecks();
    expect(await operatorsWithDefaultPin(db)).toEqual(['001', '800', '900']);
    expect(operatorsWithDefaultPinSync(db)).toEqual(['001', '800', '900']);
    expect(readSetting(db, PIN_CHECKED_SETTING)).toEqual([]);
  }, 60_000);
});
