import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCore } from '../../src/core/app/core';
import { PaymentEngine } from '../../src/core/payments/engine';
import { applyProvisioningFile } from '../../src/core/config/provisioning';
import { openLedger, type Db } from '../../src/core/ledger/db';
import { ensureLedgerIdentity } from '../../src/core/ledger/identity';
import { deriveLane, ensureLane, laneCode, laneView, setLane } from '../../src/core/ledger/lane';
import { formatOrderNumber, laneOfOrderNumber, newOrderNumber } from '../../src/core/ledger/order-numbers';
import { insertPaymentIntent } from '../../src/core/ledger/payments';
import { insertRefundIntent } from '../../src/core/ledger/refunds';
import { createFileKeyCipher } from '../../src/core/secrets/cipher';
import { SecretStore } from '../../src/core/secrets/store';
import { silentLogger } from '../../src/core/util/logger';
import { startEngineHarness, type EngineHarness } from '../support/engine-harness';
import { tempDir } from '../support/temp';
import { withNonces } from '../support/approvals';

/** 2026-12-01T08:30:12.345Z: every number below is made in this one millisecond. */
const AT = Date.UTC(2026, 11, 1, 8, 30, 12, 345);

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function ledger(): { db: Db; dir: string } {
  const t = tempDir('lane-');
  const db = openLedger(join(t.dir, 'ledger.sqlite'));
  cleanups.push(t.cleanup, () => {
    db.close();
  });
  return { db, dir: t.dir };
}

const intent = (tradeNo: string, mode: 'live' | 'training' = 'live') => ({
  tradeNo,
  merOrderNo: null,
  memo: null,
  mode,
  tender: 'qr' as const,
  gateway: 'bpc',
  amountFen: 100,
  operator: '001',
  businessDay: '2026-12-01',
  now: AT,
});

describe('lane code in every order number', () => {
  it('two counters making numbers in the same millisecond with the same random digits never collide', () => {
    const a = ledger().db;
    const b = ledger().db;
    setLane(a, { code: '01', source: 'settings', actor: '900', now: AT });
    setLane(b, { code: '02', source: 'settings', actor: '900', now: AT });
    // The same random source on both counters: before lanes, these would be the same numbers.
    const sameRandom = (): (() => number) => {
      let i = 0;
      return () => i++ % 100;
    };
    const ra = sameRandom();
    const rb = sameRandom();
    const numbers: string[] = [];
    for (let i = 0; i < 60; i += 1) {
      const pa = insertPaymentIntent(a, intent(newOrderNumber(a, 'P', AT, ra)));
      const pb = insertPaymentIntent(b, intent(newOrderNumber(b, 'P', AT, rb)));
      numbers.push(pa.tradeNo, pb.tradeNo);
      expect(pa.tradeNo.slice(0, 3)).toBe('P01');
      expect(pb.tradeNo.slice(0, 3)).toBe('P02');
      expect(pa.tradeNo.slice(3)).toBe(pb.tradeNo.slice(3));
    }
    expect(new Set(numbers).size).toBe(120);
    for (const n of numbers) {
      // BPC tradeNo: letters and digits, within the 32 the wallets behind it take; the same 20 as before lanes.
      expect(n).toMatch(/^P\d{19}$/);
      expect(n).toContain('261201083012345');
    }
    expect(laneOfOrderNumber(numbers[0]!)).toBe('01');
    expect(laneOfOrderNumber(numbers[1]!)).toBe('02');
    expect(laneOfOrderNumber('X123')).toBeUndefined();
  });

  it('inside one counter, a number already used in the same millisecond is never handed out again (new random digits)', () => {
    const { db } = ledger();
    setLane(db, { code: '05', source: 'settings', actor: null, now: AT });
    const digits = [7, 7, 7, 8];
    const random = (): number => digits.shift() ?? 9;
    const first = insertPaymentIntent(db, intent(newOrderNumber(db, 'P', AT, random)));
    const second = newOrderNumber(db, 'P', AT, random);
    expect(first.tradeNo).toBe('P0526120108301234507');
    expect(second).toBe('P0526120108301234508');
    // Refund numbers are checked against refunds.
    const paid = insertPaymentIntent(db, intent(second));
    db.prepare("UPDATE payments SET status = 'paid', gateway_ref = 'S1' WHERE id = ?").run(paid.id);
    const refundNo = newOrderNumber(db, 'R', AT, () => 7);
    insertRefundIntent(db, { refundNo, paymentId: paid.id, amountFen: 1, reason: 'x', operator: '001', approvedBy: '900', businessDay: '2026-12-01', now: AT });
    expect(refundNo).toBe('R0526120108301234507');
    expect(() => newOrderNumber(db, 'R', AT, () => 7)).toThrow(expect.objectContaining({ code: 'INVALID_STATE' }));
    // The ledger's UNIQUE constraint stays the final guard.
    expect(() => insertPaymentIntent(db, intent(first.tradeNo))).toThrow(expect.objectContaining({ code: 'INVALID_STATE' }));
  });

  it('two payment engines on two ledgers, same millisecond (injected clock): different numbers, each with its lane, both sent', async () => {
    const harnesses: EngineHarness[] = [];
    for (const code of ['11', '12']) {
      const h = await startEngineHarness();
      cleanups.push(() => h.close());
      setLane(h.db, { code, source: 'provisioning', actor: null, now: AT });
      harnesses.push(h);
    }
    const engines = harnesses.map((h) => {
      const engine = new PaymentEngine({ ...h.deps, now: () => AT });
      cleanups.push(() => engine.stop());
      return engine;
    });
    const [p1, p2] = await Promise.all(engines.map((e) => e.createPayment({ amountFen: 1234, operator: '001' })));
    expect(p1!.tradeNo).not.toBe(p2!.tradeNo);
    expect(p1!.tradeNo).toMatch(/^P11261201083012345\d{2}$/);
    expect(p2!.tradeNo).toMatch(/^P12261201083012345\d{2}$/);
    expect(
      harnesses[0]!.sim
        .requests()
        .filter((r) => r.tranType === 'F')
        .map((r) => r.body?.tradeNo),
    ).toEqual([p1!.tradeNo]);
    expect(
      harnesses[1]!.sim
        .requests()
        .filter((r) => r.tranType === 'F')
        .map((r) => r.body?.tradeNo),
    ).toEqual([p2!.tradeNo]);
  });

  it('a default lane is derived from the ledger identity at first start, stored, and stays', () => {
    const t = tempDir('lane-default-');
    cleanups.push(t.cleanup);
    const file = join(t.dir, 'ledger.sqlite');
    const db = openLedger(file);
    const identity = ensureLedgerIdentity(db, t.dir, file, AT);
    const lane = ensureLane(db, AT);
    expect(lane).toEqual({ code: deriveLane(identity.id), source: 'derived', setAt: AT });
    expect(lane.code).toMatch(/^\d{2}$/);
    expect(db.prepare("SELECT COUNT(*) AS n FROM events WHERE type = 'lane_set'").get()).toEqual({ n: 1 });
    db.close();
    const again = openLedger(file);
    expect(ensureLane(again, AT + 5000)).toEqual(lane);
    expect(laneCode(again, AT)).toBe(lane.code);
    expect(again.prepare("SELECT COUNT(*) AS n FROM events WHERE type = 'lane_set'").get()).toEqual({ n: 1 });
    again.close();
  });

  it('is set once: editable before the first live sale, read-only after it; bad codes refused', () => {
    const { db } = ledger();
    expect(laneView(db, AT)).toMatchObject({ source: 'derived', locked: false });
    for (const bad of ['A1', '1', '123', '', ' 1 2']) {
      expect(() => setLane(db, { code: bad, source: 'settings', actor: '900', now: AT })).toThrow(expect.objectContaining({ code: 'BAD_INPUT' }));
    }
    expect(setLane(db, { code: '03', source: 'settings', actor: '900', now: AT })).toBe(true);
    expect(laneCode(db, AT)).toBe('03');
    // Training sales never reach the bank: the lane may still change.
    insertPaymentIntent(db, intent(newOrderNumber(db, 'P', AT), 'training'));
    expect(setLane(db, { code: '04', source: 'settings', actor: '900', now: AT })).toBe(true);
    insertPaymentIntent(db, intent(newOrderNumber(db, 'P', AT + 1)));
    expect(laneView(db, AT)).toEqual({ code: '04', source: 'settings', locked: true });
    expect(() => setLane(db, { code: '05', source: 'settings', actor: '900', now: AT })).toThrow(
      expect.objectContaining({ code: 'INVALID_STATE', details: expect.objectContaining({ field: 'lane', lane: '04' }) }),
    );
    expect(setLane(db, { code: '04', source: 'provisioning', actor: null, now: AT })).toBe(false);
    expect(laneCode(db, AT)).toBe('04');
    expect(formatOrderNumber('P', laneCode(db, AT), AT, () => 1)).toBe('P0426120108301234501');
  });

  it('the provisioning file sets it (counter.lane); a different lane after the first live sale is refused and changes nothing', () => {
    const { db, dir } = ledger();
    const secrets = new SecretStore(db, createFileKeyCipher(dir), () => AT);
    const file = join(dir, 'provisioning.json');
    writeFileSync(file, JSON.stringify({ counter: { lane: '07' }, shop: { name: 'A' } }));
    expect(applyProvisioningFile(file, db, secrets, AT).changed).toEqual(['shop', 'counter.lane']);
    expect(laneView(db, AT)).toEqual({ code: '07', source: 'provisioning', locked: false });
    writeFileSync(file, JSON.stringify({ counter: { lane: 'A7' } }));
    expect(() => applyProvisioningFile(file, db, secrets, AT)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', details: { field: 'counter.lane' } }));
    insertPaymentIntent(db, intent(newOrderNumber(db, 'P', AT)));
    writeFileSync(file, JSON.stringify({ counter: { lane: '08' }, shop: { name: 'B' } }));
    expect(() => applyProvisioningFile(file, db, secrets, AT)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', details: { field: 'counter.lane' } }));
    expect(laneCode(db, AT)).toBe('07');
    expect(JSON.parse((db.prepare("SELECT value FROM settings WHERE key = 'shop'").get() as { value: string }).value)).toMatchObject({ name: 'A' });
    // The same lane again is fine (a provisioning file is re-applied at every start).
    writeFileSync(file, JSON.stringify({ counter: { lane: '07' } }));
    expect(applyProvisioningFile(file, db, secrets, AT).changed).toEqual([]);
  });

  it('Settings shows the lane; a supervisor changes it before the first live sale; after it the lane is read-only', { timeout: 60_000 }, async () => {
    const t = tempDir('lane-core-');
    cleanups.push(t.cleanup);
    const core = await startCore({ dataDir: t.dir, version: '0', platform: 'web', cipher: createFileKeyCipher(t.dir), logger: silentLogger });
    cleanups.push(() => core.close());
    const call = async (channel: string, input: unknown): Promise<any> => {
      const result = await core.dispatch(channel, await withNonces(channel, input, (c, i) => core.dispatch(c, i, { role: 'cashier' })), { role: 'cashier' });
      if (!result.ok) throw Object.assign(new Error(result.error.message), result.error);
      return result.value;
    };
    await call('session:signIn', { code: '001', pin: '1111' });
    // Derived and stored at the first start.
    const first = (await call('settings:get', undefined)).lane;
    expect(first).toEqual({ code: expect.stringMatching(/^\d{2}$/), source: 'derived', locked: false });
    expect(laneCode(core.db, AT)).toBe(first.code);
    await expect(call('settings:save', { section: 'lane', value: { code: '9' }, approval: { code: '800', pin: '8888' } })).rejects.toMatchObject({
      code: 'BAD_INPUT',
    });
    await expect(call('settings:save', { section: 'lane', value: { code: '09' }, approval: { code: '001', pin: '1111' } })).rejects.toMatchObject({
      code: 'ROLE_REQUIRED',
    });
    const saved = await call('settings:save', { section: 'lane', value: { code: '09' }, approval: { code: '800', pin: '8888' } });
    expect(saved.lane).toEqual({ code: '09', source: 'settings', locked: false });
    expect(core.db.prepare("SELECT actor, data FROM events WHERE type = 'lane_set' ORDER BY id DESC LIMIT 1").get()).toEqual({
      actor: '800',
      data: JSON.stringify({ code: '09', source: 'settings', was: first.code }),
    });
    insertPaymentIntent(core.db, intent(newOrderNumber(core.db, 'P', AT)));
    expect((await call('settings:get', undefined)).lane).toEqual({ code: '09', source: 'settings', locked: true });
    await expect(call('settings:save', { section: 'lane', value: { code: '10' }, approval: { code: '800', pin: '8888' } })).rejects.toMatchObject({
      code: 'INVALID_STATE',
    });
    expect(laneCode(core.db, AT)).toBe('09');
  });
});
