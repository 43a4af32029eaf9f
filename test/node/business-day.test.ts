import { afterEach, describe, expect, it, vi } from 'vitest';
import { startCore, type Core } from '../../src/core/app/core';
import { createFileKeyCipher } from '../../src/core/secrets/cipher';
import { silentLogger } from '../../src/core/util/logger';
import { tempDir } from '../support/temp';
import { withNonces } from '../support/approvals';

/**
 * 日结 closes a business day for booking, not the counter: later sales and refunds go to the next open
 * business day. The day's time zone and start hour are settings (a bar closing at 02:00 belongs to the
 * evening before). Driven through the dispatcher as the window calls it, on a real ledger file.
 */
describe('business day', { timeout: 90_000 }, () => {
  const supervisor = { code: '800', pin: '8888' };
  const manager = { code: '900', pin: '9999' };
  let core: Core;
  let cleanup: () => void = () => undefined;
  let clock = Date.parse('2026-03-10T13:00:00+08:00');

  async function start(at: string): Promise<void> {
    clock = Date.parse(at);
    const t = tempDir('bday-');
    cleanup = t.cleanup;
    core = await startCore({ dataDir: t.dir, version: '0', platform: 'web', cipher: createFileKeyCipher(t.dir), logger: silentLogger, now: () => clock });
    await invoke('session:signIn', { code: '001', pin: '1111' });
    await invoke('settings:save', { section: 'businessDay', value: { timeZone: 'Asia/Shanghai', startHour: 4 }, approval: supervisor });
  }

  async function invoke(channel: string, input: unknown): Promise<any> {
    const result = await core.dispatch(channel, await withNonces(channel, input, (c, i) => core.dispatch(c, i, { role: 'cashier' })), { role: 'cashier' });
    if (!result.ok) throw Object.assign(new Error(result.error.message), result.error);
    return result.value;
  }

  /** A QR sale the simulated customer pays; the app learns it by querying. */
  async function paidSale(amountFen: number): Promise<any> {
    await invoke('training:script', { script: 'manual' });
    const created = await invoke('payment:create', { amountFen });
    expect((await invoke('training:pay', { id: created.id })).paid).toBe(true);
    await vi.waitFor(async () => expect((await invoke('payment:requery', { id: created.id })).status).toBe('paid'), { timeout: 8000, interval: 200 });
    return invoke('payment:get', { id: created.id });
  }

  afterEach(async () => {
    await core.close();
    cleanup();
  });

  it('after 日结 the counter keeps selling and refunding; both are booked on the next business day', async () => {
    await start('2026-03-10T13:00:00+08:00');
    const before = await paidSale(1000);
    expect(before.businessDay).toBe('2026-03-10');
    expect(await invoke('day:current', undefined)).toMatchObject({ day: '2026-03-10', calendarDay: '2026-03-10', timeZone: 'Asia/Shanghai', startHour: 4 });

    clock = Date.parse('2026-03-10T21:00:00+08:00');
    await invoke('day:close', { day: '2026-03-10', manager });
    expect((await invoke('day:current', undefined)).day).toBe('2026-03-11');

    clock = Date.parse('2026-03-10T21:30:00+08:00');
    const after = await paidSale(2000);
    expect(after.businessDay).toBe('2026-03-11');
    const refund = await invoke('refund:create', { paymentId: before.id, amountFen: 300, reason: '退货', approval: supervisor });
    expect(refund.businessDay).toBe('2026-03-11');

    // The frozen day is unchanged; the new money shows on the next day's report.
    const closed = await invoke('day:report', { day: '2026-03-10' });
    expect(closed.report.totals).toMatchObject({ paidCount: 1, paidFen: 1000, refundCount: 0 });
    const next = await invoke('day:report', { day: '2026-03-11' });
    expect(next.closed).toBeNull();
    expect(next.report.payments.map((p: { id: number }) => p.id)).toEqual([after.id]);
    expect(next.report.refunds.map((r: { id: number }) => r.id)).toEqual([refund.id]);
  });

  it('money paid after an override close: a late settlement on the next open day, an addendum on the closed one (frozen report unchanged, event logged once)', async () => {
    await start('2026-03-10T20:00:00+08:00');
    const paid = await paidSale(1000);
    await invoke('training:script', { script: 'manual' });
    const open = await invoke('payment:create', { amountFen: 777 });
    clock = Date.parse('2026-03-10T20:03:00+08:00');
    await invoke('day:close', { day: '2026-03-10', manager, override: { approval: supervisor, reason: '顾客还在付款' } });
    const frozenBefore = (await invoke('day:report', { day: '2026-03-10' })).closed.report;
    expect(frozenBefore.unresolved.payments.map((p: { id: number }) => p.id)).toEqual([open.id]);
    expect((await invoke('day:report', { day: '2026-03-10' })).addendum).toEqual({
      items: [],
      totals: { paidCount: 0, paidFen: 0, refundCount: 0, refundFen: 0, netFen: 0 },
    });

    // The customer pays three minutes after the close (the QR is still valid); the app learns it by querying.
    clock = Date.parse('2026-03-10T20:06:00+08:00');
    expect((await invoke('training:pay', { id: open.id })).paid).toBe(true);
    await vi.waitFor(async () => expect((await invoke('payment:requery', { id: open.id })).status).toBe('paid'), { timeout: 8000, interval: 200 });

    const closedDay = await invoke('day:report', { day: '2026-03-10' });
    expect(closedDay.closed.report).toEqual(frozenBefore);
    expect(closedDay.report.totals).toMatchObject({ paidCount: 1, paidFen: paid.amountFen });
    expect(closedDay.addendum.items).toEqual([
      expect.objectContaining({ kind: 'payment', id: open.id, status: 'paid', amountFen: 777, day: '2026-03-10', settledDay: '2026-03-11' }),
    ]);
    expect(closedDay.addendum.totals).toMatchObject({ paidCount: 1, paidFen: 777, netFen: 777 });

    const next = await invoke('day:report', { day: '2026-03-11' });
    expect(next.report.late.items.map((i: { id: number }) => i.id)).toEqual([open.id]);
    expect(next.report.late.totals).toMatchObject({ paidCount: 1, paidFen: 777 });
    // Not counted twice: the day's own totals are its own sales.
    expect(next.report.totals.paidFen).toBe(0);

    const events = core.db.prepare("SELECT data FROM events WHERE entity = 'day' AND entity_id = 20260310 AND type = 'late_settlement'").all() as {
      data: string;
    }[];
    expect(events.map((e) => JSON.parse(e.data))).toEqual([
      expect.objectContaining({ kind: 'payment', id: open.id, amountFen: 777, status: 'paid', settledDay: '2026-03-11' }),
    ]);

    // Closing the next day freezes the late settlement into its report.
    clock = Date.parse('2026-03-11T22:00:00+08:00');
    const closedNext = await invoke('day:close', { day: '2026-03-11', manager });
    expect(closedNext.report.late.items.map((i: { id: number }) => i.id)).toEqual([open.id]);
    expect((await invoke('day:export', { day: '2026-03-11', format: 'csv', lang: 'zh' })).base64).toBeTruthy();
  });

  it('a bar open past midnight: with the day starting at 04:00 a sale at 01:30 belongs to the evening before', async () => {
    await start('2026-03-11T01:30:00+08:00');
    const late = await paidSale(4500);
    expect(late.businessDay).toBe('2026-03-10');
    clock = Date.parse('2026-03-11T04:10:00+08:00');
    const morning = await paidSale(500);
    expect(morning.businessDay).toBe('2026-03-11');
  });

  it("a day that has not begun cannot be closed (it would move today's sales on silently)", async () => {
    await start('2026-03-11T01:30:00+08:00');
    // 01:30 with a 04:00 start is still the 10th: the 11th has not begun.
    await expect(invoke('day:close', { day: '2026-03-11', manager })).rejects.toMatchObject({ code: 'BAD_INPUT', details: { field: 'day' } });
    await invoke('day:close', { day: '2026-03-10', manager });
    expect((await invoke('day:current', undefined)).day).toBe('2026-03-11');
  });

  it('the business-day settings are validated: unknown zone, hour out of range', async () => {
    await start('2026-03-10T13:00:00+08:00');
    await expect(
      invoke('settings:save', { section: 'businessDay', value: { timeZone: 'Mars/Olympus', startHour: 4 }, approval: supervisor }),
    ).rejects.toMatchObject({ code: 'BAD_INPUT' });
    await expect(invoke('settings:save', { section: 'businessDay', value: { timeZone: '', startHour: 24 }, approval: supervisor })).rejects.toMatchObject({
      code: 'BAD_INPUT',
    });
    expect((await invoke('settings:get', undefined)).businessDay).toEqual({ timeZone: 'Asia/Shanghai', startHour: 4 });
  });
});
