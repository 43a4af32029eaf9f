import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startCore, type Core } from '../../src/core/app/core';
import { dayReportCsv } from '../../src/core/reports/export';
import { createFileKeyCipher } from '../../src/core/secrets/cipher';
import { silentLogger } from '../../src/core/util/logger';
import { tempDir } from '../support/temp';
import { withNonces } from '../support/approvals';

/**
 * A QR sale left 状态未明 and settled by a supervisor by hand: the supervisor says which wallet it was
 * (else the money lands in 其他), and the sale is marked as settled by hand in the transactions, the
 * day report and its export.
 */
describe('a sale settled by a supervisor', { timeout: 90_000 }, () => {
  let core: Core;
  let cleanup: () => void;
  const supervisor = { code: '800', pin: '8888' };

  async function invoke(channel: string, input: unknown): Promise<any> {
    const result = await core.dispatch(channel, await withNonces(channel, input, (c, i) => core.dispatch(c, i, { role: 'cashier' })), { role: 'cashier' });
    if (!result.ok) throw Object.assign(new Error(result.error.message), result.error);
    return result.value;
  }

  beforeEach(async () => {
    const t = tempDir('settled-');
    cleanup = t.cleanup;
    core = await startCore({
      dataDir: t.dir,
      version: '0',
      platform: 'web',
      cipher: createFileKeyCipher(t.dir),
      logger: silentLogger,
      schedule: { firstQueryMs: 50, fastIntervalMs: 100, slowIntervalMs: 100, unknownAfterMs: 300 },
    });
    await invoke('session:signIn', { code: '001', pin: '1111' });
  });
  afterEach(async () => {
    await core.close();
    cleanup();
  });

  async function unknownSale(amountFen: number): Promise<any> {
    await invoke('training:script', { script: 'unknown' });
    const created = await invoke('payment:create', { amountFen });
    await vi.waitFor(async () => expect((await invoke('payment:get', { id: created.id })).status).toBe('unknown'), { timeout: 10_000, interval: 100 });
    return created;
  }

  it('settling a QR sale as paid needs the wallet; it then counts under that wallet, marked everywhere', async () => {
    const sale = await unknownSale(2580);
    await expect(invoke('payment:resolve', { id: sale.id, outcome: 'paid', reason: '顾客出示支付成功', supervisor })).rejects.toMatchObject({
      code: 'BAD_INPUT',
      details: { field: 'payType' },
    });
    expect((await invoke('payment:get', { id: sale.id })).status).toBe('unknown');

    const settled = await invoke('payment:resolve', { id: sale.id, outcome: 'paid', reason: '顾客出示支付成功', payType: 'WEIX', supervisor });
    expect(settled).toMatchObject({ status: 'paid', payType: 'WEIX', resolvedBy: '800' });

    const rows = (await invoke('ledger:list', { day: sale.businessDay })).rows;
    expect(rows.find((r: { id: number }) => r.id === sale.id)).toMatchObject({ resolvedBy: '800', resolution: '顾客出示支付成功' });

    const { report } = await invoke('day:report', { day: sale.businessDay });
    expect(report.byPayType.find((b: { payType: string }) => b.payType === 'WEIX')).toMatchObject({ paidCount: 1, paidFen: 2580 });
    expect(report.byPayType.find((b: { payType: string }) => b.payType === 'other')).toMatchObject({ paidCount: 0 });
    expect(report.supervisorSettled).toEqual({ paidCount: 1, paidFen: 2580 });
    expect(report.payments.find((p: { id: number }) => p.id === sale.id).settledBy).toBe('800');

    const csv = Buffer.from((await invoke('day:export', { day: sale.businessDay, format: 'csv', lang: 'zh' })).base64, 'base64').toString('utf8');
    const lines = csv.split('\r\n').map((l) => l.split(','));
    const header = lines.find((l) => l.includes('主管确认'));
    expect(header).toBeDefined();
    const row = lines.find((l) => l.includes(sale.tradeNo));
    expect(row?.[header!.indexOf('主管确认')]).toBe('800');
    expect(dayReportCsv(report, { lang: 'en' })).toContain('Settled by supervisor');
  });

  it('settled as not paid needs no wallet and moves no money', async () => {
    const sale = await unknownSale(990);
    const settled = await invoke('payment:resolve', { id: sale.id, outcome: 'failed', reason: '顾客未付款', supervisor });
    expect(settled).toMatchObject({ status: 'failed', resolvedBy: '800' });
    const { report } = await invoke('day:report', { day: sale.businessDay });
    expect(report.totals.paidFen).toBe(0);
    expect(report.supervisorSettled).toEqual({ paidCount: 0, paidFen: 0 });
  });
});
