import ExcelJS from 'exceljs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatFen, parseYuanToFen } from '../../src/shared/money';
import { ROOT, startBrowserMode, type BrowserMode } from '../support/browser-mode';
import { launchChromium } from '../support/chromium';
import { framesSeen, leakedSecrets, watchSecret } from '../support/frames';
import { tempDir } from '../support/temp';
import { signIn, takeTrainingPayment, typeAmount } from '../support/ui';
import { bridgeFor } from '../support/ws-bridge';

type Bridge = ReturnType<typeof bridgeFor>;

async function ok<T>(result: Promise<{ ok: true; value: T } | { ok: false; error: { code: string; message: string } }>): Promise<T> {
  const r = await result;
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

const BUCKETS = ['ZFBA', 'WEIX', 'UPAY', 'card', 'other'] as const;
const bucketOf = (tender: string, payType: string | null): (typeof BUCKETS)[number] =>
  tender === 'card' ? 'card' : payType === 'ZFBA' || payType === 'WEIX' || payType === 'UPAY' ? payType : 'other';

/**
 * The manager's and supervisor's screens in a real browser (browser mode, training gateway):
 * end-of-day totals against what was really paid and refunded, closing the day with the manager's
 * PIN, CSV/XLSX exports parsed back, and the settings screen (validation, write-only key, test
 * connection, live mode refused until configured, devices, operators).
 */
describe('end of day and settings in the browser (training gateway)', () => {
  let app: BrowserMode;
  let browser: Browser;
  let page: Page;
  let bridge: Bridge;
  let simBase: string;
  let bank: Server;
  let bankUrl: string;
  const bankRequests: { sign: string | undefined; body: Record<string, unknown> }[] = [];
  const data = tempDir('e2e-manage-');
  const downloads = tempDir('e2e-manage-dl-');
  const amounts = ['12.34', '5.6', '100'];
  const refundFen = 234;
  let day = '';
  let expected: { paidCount: number; paidFen: number; refundCount: number; refundFen: number; netFen: number };
  let byBucket: Record<string, { paidCount: number; paidFen: number; refundCount: number; refundFen: number }>;

  beforeAll(async () => {
    const settings = join(data.dir, 'settings.json');
    writeFileSync(settings, JSON.stringify({ polling: { firstQueryMs: 200, fastIntervalMs: 500 } }));
    app = await startBrowserMode(['--data', data.dir, '--config', settings, '--quiet']);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1366, height: 900 }, acceptDownloads: true });
    await page.goto(app.url);
    await signIn(page);
    bridge = bridgeFor(app.url);
    const state = await ok(bridge.invoke('training:state', undefined));
    if (state.simulatorUrl === null) throw new Error('no training gateway');
    simBase = new URL(state.simulatorUrl).origin;
    // A stand-in bank on loopback for "test connection": answers every query "no such order", unsigned.
    bank = createServer((req, res) => {
      let text = '';
      req.on('data', (d: Buffer) => (text += d.toString()));
      req.on('end', () => {
        bankRequests.push({ sign: req.headers.sign as string | undefined, body: JSON.parse(text) as Record<string, unknown> });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ respCode: '25', respMsg: 'order not found' }));
      });
    });
    await new Promise<void>((done) => bank.listen(0, '127.0.0.1', done));
    bankUrl = `http://127.0.0.1:${(bank.address() as AddressInfo).port}/bpc/api`;
    mkdirSync(join(ROOT, 'test-results'), { recursive: true });
  });

  afterAll(async () => {
    bridge?.close();
    await browser?.close();
    await new Promise((done) => (bank === undefined ? done(undefined) : bank.close(done)));
    await app?.stop();
    data.cleanup();
    downloads.cleanup();
  });

  it('shows day totals equal to what was paid and refunded, per pay type and operator', async () => {
    const traces: string[] = [];
    for (const amount of amounts) traces.push(await takeTrainingPayment(page, simBase, amount));

    // One refund through the bridge, approved by the supervisor; wait until the bank confirms it.
    const found = await ok(bridge.invoke('refund:find', { code: traces[0]! }));
    expect(found).toHaveLength(1);
    const refunded = found[0]!;
    await ok(bridge.invoke('refund:create', { paymentId: refunded.id, amountFen: refundFen, reason: '顾客退货', approval: { code: '800', pin: '8888' } }));
    await expect
      .poll(async () => (await ok(bridge.invoke('refund:detail', { paymentId: refunded.id }))).refunds.map((r) => r.status), { timeout: 15_000 })
      .toEqual(['succeeded']);

    // And one sale the customer never pays: it stays open (unresolved) for the end of day.
    await page.getByTestId('trainer-hang').click();
    await typeAmount(page, '8');
    await page.keyboard.press('Enter');
    await page.getByTestId('cashier-qr').waitFor();

    day = refunded.businessDay;
    const all = (await ok(bridge.invoke('ledger:list', { day }))).rows;
    const rows = all.filter((r) => r.status === 'paid');
    expect(rows).toHaveLength(amounts.length);
    expect(all.filter((r) => r.status !== 'paid').map((r) => r.amountFen)).toEqual([800]);
    const paidFen = amounts.reduce((sum, a) => sum + parseYuanToFen(a), 0);
    expected = { paidCount: amounts.length, paidFen, refundCount: 1, refundFen, netFen: paidFen - refundFen };
    byBucket = Object.fromEntries(BUCKETS.map((b) => [b, { paidCount: 0, paidFen: 0, refundCount: 0, refundFen: 0 }]));
    for (const r of rows) {
      const b = byBucket[bucketOf(r.tender, r.payType)]!;
      b.paidCount += 1;
      b.paidFen += r.amountFen;
    }
    const rb = byBucket[bucketOf(refunded.tender, refunded.payType)]!;
    rb.refundCount += 1;
    rb.refundFen += refundFen;

    await page.keyboard.press('F6');
    await page.getByTestId('reconcile').waitFor();
    expect(await page.getByTestId('reconcile-day').inputValue()).toBe(day);
    await page.getByTestId('report').waitFor();
    expect(await page.getByTestId('total-paid').textContent()).toBe(`¥${formatFen(expected.paidFen)}`);
    expect(await page.getByTestId('total-paid-count').textContent()).toBe(`${expected.paidCount} 笔`);
    expect(await page.getByTestId('total-refund').textContent()).toBe(`¥${formatFen(expected.refundFen)}`);
    expect(await page.getByTestId('total-refund-count').textContent()).toBe('1 笔');
    expect(await page.getByTestId('total-net').textContent()).toBe(`¥${formatFen(expected.netFen)}`);
    expect(await page.getByTestId('total-unresolved').textContent()).toBe('1');
    expect(await page.getByTestId('unresolved-payment').locator('td').nth(2).textContent()).toBe('¥8.00');

    const cells = async (testId: string): Promise<string[]> => page.getByTestId(testId).locator('td').allTextContents();
    expect(await cells('paytype-total')).toEqual([
      String(expected.paidCount),
      `¥${formatFen(expected.paidFen)}`,
      '1',
      `¥${formatFen(refundFen)}`,
      `¥${formatFen(expected.netFen)}`,
    ]);
    for (const b of BUCKETS) {
      const e = byBucket[b]!;
      expect(await cells(`paytype-${b}`), b).toEqual([
        String(e.paidCount),
        `¥${formatFen(e.paidFen)}`,
        String(e.refundCount),
        `¥${formatFen(e.refundFen)}`,
        `¥${formatFen(e.paidFen - e.refundFen)}`,
      ]);
    }
    // Everything was taken and refunded by the signed-in cashier 001.
    expect(await cells('operator-001')).toEqual(await cells('paytype-total'));

    // The hourly chart's bars add up to the paid total.
    const hourFen = await page.locator('[data-testid^="hour-"]').evaluateAll((els) => els.map((el) => Number(el.getAttribute('data-fen'))));
    expect(hourFen).toHaveLength(24);
    expect(hourFen.reduce((a, b) => a + b, 0)).toBe(expected.paidFen);

    // The operator's own view and the shift panel agree.
    expect(await page.getByTestId('shift-net').textContent()).toBe(`¥${formatFen(expected.netFen)}`);

    // Re-query all asks the bank about the open sale; it is still waiting, so it stays unresolved.
    await page.getByTestId('requery-all').click();
    await expect.poll(async () => page.getByTestId('reconcile-message').textContent()).toBe('已重新查询 1 笔收款、0 笔退款');
    expect(await page.getByTestId('unresolved-payment').count()).toBe(1);
  });

  it('closes the day only with the manager PIN and, with an open item, a recorded supervisor override', async () => {
    await page.keyboard.press('F9');
    await page.getByTestId('close-form').waitFor();
    expect(await page.getByTestId('close-override').textContent()).toContain('还有 1 笔交易没有最终结果');
    // The form says what a close means for the counter: it keeps selling, on the next business day.
    expect(await page.getByTestId('close-counter-stays').textContent()).toContain('不会停止收银');
    await page.getByTestId('close-manager-code').fill('900');
    await page.getByTestId('close-manager-pin').fill('9999');
    await page.keyboard.press('Enter');
    await expect.poll(async () => page.getByTestId('close-error').textContent()).toContain('有未完成的交易');
    await page.screenshot({ path: join(ROOT, 'test-results', 'reconcile-close.png'), fullPage: true });

    const reason = '银行系统维护，次日核对';
    const fillOverride = async (): Promise<void> => {
      await page.getByTestId('close-supervisor-code').fill('800');
      await page.getByTestId('close-supervisor-pin').fill('8888');
      await page.getByTestId('close-reason').fill(reason);
    };
    await fillOverride();
    await page.getByTestId('close-manager-pin').fill('1234');
    await page.keyboard.press('Enter');
    await expect.poll(async () => page.getByTestId('close-error').textContent()).toContain('工号或密码错误');
    expect((await ok(bridge.invoke('day:report', { day }))).closed).toBeNull();

    // A supervisor is not enough to close the day.
    await fillOverride();
    await page.getByTestId('close-manager-code').fill('800');
    await page.getByTestId('close-manager-pin').fill('8888');
    await page.keyboard.press('Enter');
    await expect.poll(async () => page.getByTestId('close-error').textContent()).toContain('需要经理权限');
    expect((await ok(bridge.invoke('day:report', { day }))).closed).toBeNull();

    await fillOverride();
    await page.getByTestId('close-manager-code').fill('900');
    await page.getByTestId('close-manager-pin').fill('9999');
    await page.keyboard.press('Enter');
    await page.getByTestId('closed-info').waitFor();
    expect(await page.getByTestId('closed-override').textContent()).toBe(`强制日结授权：800，原因：${reason}`);
    const info = (await page.getByTestId('closed-info').textContent()) ?? '';
    expect(info).toContain('已日结');
    expect(info).toContain('900');
    expect(await page.getByTestId('close-day').count()).toBe(0);
    expect(await page.getByTestId('total-net').textContent()).toBe(`¥${formatFen(expected.netFen)}`);
    const stored = await ok(bridge.invoke('day:report', { day }));
    expect(stored.closed).toMatchObject({ closedBy: '900', overrideBy: '800', overrideReason: reason });
    expect(stored.closed?.report.unresolved.payments.map((p) => p.amountFen)).toEqual([800]);
    expect(stored.closed?.report.totals).toEqual(expected);

    // One operator's view of the closed day: still marked closed, with that operator's figures.
    await page.getByTestId('reconcile-operator').selectOption('800');
    await expect.poll(async () => page.getByTestId('total-paid').textContent()).toBe('¥0.00');
    await page.getByTestId('closed-info').waitFor();
    await page.getByTestId('reconcile-operator').selectOption('001');
    await expect.poll(async () => page.getByTestId('total-net').textContent()).toBe(`¥${formatFen(expected.netFen)}`);
    await page.getByTestId('reconcile-operator').selectOption('');
    await expect.poll(async () => page.getByTestId('closed-override').count()).toBe(1);

    // Reprint: window.print() is called, and the print stylesheet keeps only the report.
    await page.evaluate('window.printed = 0; window.print = () => { window.printed += 1; };');
    expect(await page.getByTestId('print').textContent()).toContain('重印');
    await page.getByTestId('print').click();
    expect(await page.evaluate('window.printed')).toBe(1);
    await page.emulateMedia({ media: 'print' });
    expect(await page.getByTestId('report').isVisible()).toBe(true);
    expect(await page.getByTestId('export-csv').isVisible()).toBe(false);
    expect(await page.getByTestId('nav-checkout').isVisible()).toBe(false);
    expect(await page.getByTestId('shift-panel').isVisible()).toBe(false);
    await page.emulateMedia({ media: 'screen' });

    await page.screenshot({ path: join(ROOT, 'test-results', 'reconcile.png'), fullPage: true });

    // The sale left open at the override close is paid now: an addendum on the closed day, a late
    // settlement on the next one; the frozen report is unchanged.
    const open = stored.closed!.report.unresolved.payments[0]!;
    expect((await ok(bridge.invoke('training:pay', { id: open.id }))).paid).toBe(true);
    await expect.poll(async () => (await ok(bridge.invoke('payment:requery', { id: open.id }))).status, { timeout: 15_000 }).toBe('paid');
    // The counter still sells (the open sale is settled now) after the close: the sale goes to the next business day.
    const next = await ok(bridge.invoke('day:current', undefined));
    expect(next.day > day).toBe(true);
    await ok(bridge.invoke('training:script', { script: 'manual' }));
    const after = await ok(bridge.invoke('payment:create', { amountFen: 150 }));
    expect(after.businessDay).toBe(next.day);
    await ok(bridge.invoke('payment:cancel', { id: after.id }));

    await page.keyboard.press('F6');
    await page.getByTestId('reconcile').waitFor();
    await page.keyboard.press('F5');
    await page.getByTestId('addendum').waitFor();
    expect(await page.getByTestId('addendum-item').locator('td').nth(3).textContent()).toBe('¥8.00');
    expect(await page.getByTestId('total-net').textContent()).toBe(`¥${formatFen(expected.netFen)}`);
    expect((await ok(bridge.invoke('day:report', { day }))).closed?.report).toEqual(stored.closed?.report);
    await page.getByTestId('reconcile-day').fill(next.day);
    await page.getByTestId('late-settlements').waitFor();
    expect(await page.getByTestId('late-item').locator('td').nth(3).textContent()).toBe('¥8.00');
    await page.getByTestId('reconcile-day').fill(day);
    await page.getByTestId('closed-info').waitFor();
  });

  it('exports CSV and XLSX whose totals equal the report', async () => {
    const save = async (testId: string): Promise<string> => {
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testId).click()]);
      const file = join(downloads.dir, download.suggestedFilename());
      await download.saveAs(file);
      return file;
    };

    const csvFile = await save('export-csv');
    expect(csvFile).toMatch(new RegExp(`day-report-${day}-training\\.csv$`));
    const csv = readFileSync(csvFile, 'utf8');
    expect(csv.charCodeAt(0)).toBe(0xfeff);
    const lines = csv
      .slice(1)
      .split('\r\n')
      .map((l) => l.split(','));
    const total = lines.find((l) => l[0] === '合计');
    expect(total).toEqual(['合计', String(expected.paidCount), formatFen(expected.paidFen), '1', formatFen(refundFen), formatFen(expected.netFen)]);
    expect(lines.find((l) => l[0] === '结账人')?.[1]).toBe('900');
    expect(lines.find((l) => l[0] === '强制结账授权人')?.[1]).toBe('800');
    expect(lines.find((l) => l[0] === '未完成收款')?.[1]).toBe('1');

    const xlsxFile = await save('export-xlsx');
    expect(xlsxFile).toMatch(/\.xlsx$/);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(xlsxFile);
    const sheet = workbook.getWorksheet('汇总');
    expect(sheet).toBeDefined();
    let row: unknown[] | undefined;
    sheet!.eachRow((r) => {
      const values = (r.values as unknown[]).slice(1);
      if (values[0] === '合计') row = values;
    });
    expect(row).toBeDefined();
    const fen = (v: unknown): number => Math.round(Number(v) * 100);
    expect([Number(row![1]), fen(row![2]), Number(row![3]), fen(row![4]), fen(row![5])]).toEqual([
      expected.paidCount,
      expected.paidFen,
      1,
      refundFen,
      expected.netFen,
    ]);
    const payments = workbook.getWorksheet('收款明细');
    expect(payments?.rowCount).toBe(1 + amounts.length + 1);
  });

  it('settings: live refused until configured, field errors, write-only key, test connection', async () => {
    await page.keyboard.press('F10');
    await page.getByTestId('settings').waitFor();

    // Live mode needs the merchant and key first.
    await page.getByTestId('settings-nav-mode').click();
    await page.getByTestId('mode-approval-code').fill('800');
    await page.getByTestId('mode-approval-pin').fill('8888');
    await page.getByTestId('mode-save').click();
    await page.getByTestId('mode-message').waitFor();
    expect(await page.getByTestId('mode-message').textContent()).toContain('请先保存 BPC 商户设置和密钥');
    expect((await ok(bridge.invoke('app:info', undefined))).mode).toBe('training');

    await page.getByTestId('settings-nav-bpc').click();
    await page.getByTestId('bpc-url').fill(bankUrl);
    // 8.7: the form says what the transport and signing are; plain http + unsigned answers is red.
    const transport = page.getByTestId('bpc-transport-state');
    const signedBefore = await page.getByTestId('bpc-require-signed').isChecked();
    if (signedBefore) await page.getByTestId('bpc-require-signed').uncheck();
    expect(await transport.getAttribute('data-refused')).toBe(bankUrl.startsWith('http:') ? 'true' : 'false');
    expect(await transport.textContent()).toContain(bankUrl.startsWith('http:') ? '明文 HTTP' : 'HTTPS');
    expect(await transport.textContent()).toContain('应答签名：不要求');
    await page.getByTestId('bpc-require-signed').check();
    expect(await transport.getAttribute('data-refused')).toBe('false');
    expect(await transport.textContent()).toContain('应答签名：必须带签名');
    if (!signedBefore) await page.getByTestId('bpc-require-signed').uncheck();
    await page.getByTestId('bpc-mid').fill('bad mid!');
    await page.getByTestId('bpc-posno').fill('POS00001');
    await page.getByTestId('bpc-approval-code').fill('800');
    await page.getByTestId('bpc-approval-pin').fill('8888');
    await page.keyboard.press('Enter');
    const midError = page.locator('[data-testid="field-error"][data-field="merchant.mid"]');
    await midError.waitFor();
    expect(await midError.textContent()).toContain('商户号 (mid)');
    expect(await midError.textContent()).toContain('字母和数字');
    expect(await page.getByTestId('bpc-message').textContent()).toContain('1 处');
    expect((await ok(bridge.invoke('settings:get', undefined))).bpc.merchant).toBeNull();

    await page.getByTestId('bpc-mid').fill('898310012345678');
    await page.getByTestId('bpc-approval-pin').fill('8888');
    await page.keyboard.press('Enter');
    await expect.poll(async () => page.getByTestId('bpc-message').textContent()).toBe('已保存');
    expect(await midError.count()).toBe(0);
    expect((await ok(bridge.invoke('settings:get', undefined))).bpc.merchant).toMatchObject({
      url: bankUrl,
      mid: '898310012345678',
      posNo: 'POS00001',
      tellerNo: '001',
    });

    // The key: write-only, masked afterwards, never in the page.
    const key = 'Zq8-secret-KEY-for-e2e-4711xY';
    watchSecret(key);
    expect(await page.getByTestId('key-status').textContent()).toBe('未设置');
    expect(await page.getByTestId('key-cipher').getAttribute('data-cipher')).toBe('file-key');
    expect(await page.getByTestId('key-cipher').textContent()).toContain('保护较弱');
    await page.getByTestId('key-input').fill(key);
    await page.getByTestId('key-approval-code').fill('800');
    await page.getByTestId('key-approval-pin').fill('8888');
    await page.getByTestId('key-save').click();
    await expect.poll(async () => page.getByTestId('key-status').textContent()).toBe('已设置 ••xY');
    expect(await page.getByTestId('key-input').inputValue()).toBe('');
    expect(await page.content()).not.toContain(key);
    // Merchant + key configured, but saving them never starts real charging: still training.
    expect((await ok(bridge.invoke('app:info', undefined))).mode).toBe('training');
    expect(await page.getByTestId('app-mode').textContent()).toBe('培训模式');
    expect(JSON.stringify(await ok(bridge.invoke('settings:get', undefined)))).not.toContain(key);
    // Leaving and coming back: still only the masked state, the field empty.
    await page.getByTestId('settings-nav-qr').click();
    await page.getByTestId('settings-nav-bpc').click();
    expect(await page.getByTestId('key-status').textContent()).toBe('已设置 ••xY');
    expect(await page.getByTestId('key-input').inputValue()).toBe('');
    expect(await page.content()).not.toContain(key);

    await page.getByTestId('test-connection').click();
    const result = page.getByTestId('test-connection-result');
    await result.waitFor({ timeout: 20_000 });
    expect(await result.getAttribute('data-ok')).toBe('true');
    await page.evaluate('window.scrollTo(0, 0)');
    // In Chinese the bank's English message is left out; the address and its answer code stay (9.15).
    expect(await result.textContent()).toMatch(/连接正常，用时 \d+ ms — 银行 http:\/\/127\.0\.0\.1:\d+\S* 应答 25$/);
    // It really went to the configured bank, signed, with the saved merchant.
    expect(bankRequests).toHaveLength(1);
    expect(bankRequests[0]!.body.mid).toBe('898310012345678');
    expect(bankRequests[0]!.sign).toMatch(/\S/);
    expect(JSON.stringify(bankRequests[0])).not.toContain(key);

    await page.screenshot({ path: join(ROOT, 'test-results', 'settings.png'), fullPage: true });
  });

  it('settings: devices and operators validate and save with approval', async () => {
    await page.getByTestId('settings-nav-devices').click();
    await page.getByTestId('device-pole-display').waitFor();
    expect(await page.getByTestId('device-pole-display').getAttribute('data-state')).toBe('not_configured');
    await page.getByTestId('pole-enabled').check();
    await page.getByTestId('devices-approval-code').fill('800');
    await page.getByTestId('devices-approval-pin').fill('8888');
    await page.getByTestId('devices-save').click();
    const pathError = page.locator('[data-testid="field-error"][data-field="poleDisplay.path"]');
    await pathError.waitFor();
    expect(await pathError.textContent()).toContain('串口');
    expect((await ok(bridge.invoke('settings:get', undefined))).devices.poleDisplay).toBeNull();

    await page.getByTestId('pole-protocol').selectOption('cd5220');
    await page.getByTestId('pole-port-path').fill(join(data.dir, 'no-such-tty'));
    await page.getByTestId('pole-encoding').selectOption('gbk');
    await page.getByTestId('devices-approval-pin').fill('8888');
    await page.getByTestId('devices-save').click();
    await expect.poll(async () => page.getByTestId('devices-message').textContent()).toContain('已保存');
    const saved = (await ok(bridge.invoke('settings:get', undefined))).devices.poleDisplay;
    expect(saved).toMatchObject({ protocol: 'cd5220', path: join(data.dir, 'no-such-tty'), encoding: 'gbk', dataBits: 8, parity: 'none' });
    expect(saved?.baudRate).toBeUndefined();
    // A port that cannot open is a status, not a failed save.
    await expect.poll(async () => page.getByTestId('device-pole-display').getAttribute('data-state'), { timeout: 10_000 }).not.toBe('not_configured');
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: join(ROOT, 'test-results', 'settings-devices.png'), fullPage: true });

    await page.getByTestId('settings-nav-operators').click();
    await page.getByTestId('op-001').waitFor();
    await page.getByTestId('op-add').click();
    await page.getByTestId('op-code').fill('002');
    await page.getByTestId('op-name').fill('李四');
    await page.getByTestId('op-pin').fill('2468');
    await page.getByTestId('operator-approval-code').fill('800');
    await page.getByTestId('operator-approval-pin').fill('8888');
    await page.keyboard.press('Enter');
    await page.getByTestId('op-002').waitFor();
    expect(await page.getByTestId('op-002').textContent()).toContain('李四');
    expect(await page.getByTestId('operators-message').textContent()).toContain('002');
    const ops = await ok(bridge.invoke('operators:list', undefined));
    expect(ops.find((o) => o.code === '002')).toMatchObject({ name: '李四', role: 'cashier', active: true });
  });

  it('13.4: no configured key, nor any 8-character window of it, ever came back over the bridge (every frame of every page tapped)', () => {
    const seen = framesSeen();
    expect(seen.received).toBeGreaterThan(100);
    // The tap sees what it claims: the key typed into the write-only field went out in a frame.
    expect(seen.sentWith('Zq8-secret-KEY-for-e2e-4711xY')).toBe(true);
    expect(leakedSecrets()).toEqual([]);
  });
});
