import Database from 'better-sqlite3';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startBrowserMode, type BrowserMode } from '../support/browser-mode';
import { launchChromium } from '../support/chromium';
import { decodeQrInScreenshot, decodeQrOnPage } from '../support/qr';
import { tempDir } from '../support/temp';
import { bridgeFor } from '../support/ws-bridge';
import { scannerType } from '../support/keyboard';
import { signIn, typeAmount as typeAmountOn } from '../support/ui';

/**
 * The cashier's main job in a real browser: keyboard-only checkout in training mode, against the
 * built-in simulated BPC gateway, with the customer display following along.
 */
describe('checkout in the browser (training gateway)', () => {
  let app: BrowserMode;
  let browser: Browser;
  let cashier: Page;
  let customer: Page;
  let bridge: ReturnType<typeof bridgeFor>;
  let simBase: string;
  const data = tempDir('e2e-checkout-');

  beforeAll(async () => {
    // A settings-only file: faster polling and a short "unknown" threshold, still training mode.
    const settings = join(data.dir, 'settings.json');
    writeFileSync(settings, JSON.stringify({ polling: { firstQueryMs: 200, fastIntervalMs: 500, unknownAfterMs: 1500 } }));
    app = await startBrowserMode(['--data', data.dir, '--config', settings, '--quiet']);
    browser = await launchChromium();
    cashier = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    customer = await browser.newPage({ viewport: { width: 1024, height: 768 } });
    await cashier.goto(app.url);
    await customer.goto(app.displayUrl);
    await signIn(cashier);
    await cashier.getByTestId('checkout').waitFor();
    await customer.getByTestId('customer-idle').waitFor();
    bridge = bridgeFor(app.url);
    const state = await bridge.invoke('training:state', undefined);
    if (!state.ok || state.value.simulatorUrl === null) throw new Error('no training gateway');
    simBase = new URL(state.value.simulatorUrl).origin;
  });

  afterAll(async () => {
    bridge?.close();
    await browser?.close();
    await app?.stop();
    data.cleanup();
  });

  async function typeAmount(text: string): Promise<void> {
    await typeAmountOn(cashier, text);
  }

  it('keyboard sale: QR on both screens decodes to the gateway scanCode; paid shows on both; ledger has it', async () => {
    await cashier.getByTestId('trainer-manual').click();
    await typeAmount('12.34');
    expect(await cashier.getByTestId('amount-display').textContent()).toContain('12.34');
    await cashier.keyboard.press('Enter');

    await cashier.getByTestId('cashier-qr').waitFor();
    await customer.getByTestId('customer-qr').waitFor();
    const cashierCode = await decodeQrOnPage(cashier, 'cashier-qr');
    const customerCode = await decodeQrOnPage(customer, 'customer-qr');
    expect(cashierCode).not.toBeNull();
    expect(customerCode).toBe(cashierCode);
    expect(await customer.getByTestId('customer-amount').textContent()).toContain('12.34');
    // The gateway answers 88 (customer paying) to the first query although nobody scanned: the scan
    // instruction and the QR stay; "paying" is only a second line.
    await customer.locator('[data-testid="customer-payment"][data-status="waiting"]').waitFor({ timeout: 15_000 });
    expect(await customer.getByTestId('customer-instruction').textContent()).toContain('扫码');
    expect(await customer.getByTestId('customer-qr').isVisible()).toBe(true);
    expect(await customer.getByTestId('customer-paying').isVisible()).toBe(true);
    expect(await customer.getByTestId('customer-countdown').textContent()).toMatch(/二维码有效时间还剩 \d+:\d\d/);
    // Real second screens: 800×480 (QR whole and decodable from a screenshot), 1024×600 (instruction
    // and countdown above the fold), 1920×1080 (the QR grows).
    const sizes: Record<string, number> = {};
    for (const [width, height] of [
      [800, 480],
      [1024, 600],
      [1920, 1080],
    ] as const) {
      await customer.setViewportSize({ width, height });
      await customer.waitForTimeout(300);
      const qrBox = await customer.getByTestId('customer-qr').boundingBox();
      if (qrBox === null) throw new Error('no QR box');
      expect(qrBox.y + qrBox.height, `${width}x${height}`).toBeLessThanOrEqual(height);
      expect(qrBox.x + qrBox.width, `${width}x${height}`).toBeLessThanOrEqual(width);
      for (const id of ['customer-instruction', 'customer-countdown', 'customer-amount']) {
        const box = await customer.getByTestId(id).boundingBox();
        expect(box !== null && box.y + box.height <= height, `${id} at ${width}x${height}`).toBe(true);
      }
      sizes[`${width}`] = qrBox.width;
      if (width === 800) expect(await decodeQrInScreenshot(customer)).toBe(cashierCode);
    }
    expect(sizes['1920']).toBeGreaterThan(600);
    expect(sizes['800']).toBeLessThan(sizes['1024'] ?? 0);
    await customer.setViewportSize({ width: 1024, height: 768 });

    // The simulated bank knows exactly this QR.
    const orders = (await (await fetch(`${simBase}/sim/orders`)).json()) as { orders: { scanCode: string; sysTrace: string; amountFen: number }[] };
    const order = orders.orders.find((o) => o.scanCode === cashierCode);
    expect(order?.amountFen).toBe(1234);

    // The customer "scans and pays" at the simulated bank; the app learns it by querying.
    const paid = await fetch(`${simBase}/sim/pay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ scanCode: cashierCode }),
    });
    expect(paid.status).toBe(200);
    await cashier.locator('[data-testid="payment-result"][data-status="paid"]').waitFor({ timeout: 15_000 });
    await customer.getByTestId('customer-thanks').waitFor({ timeout: 15_000 });
    expect(await customer.getByTestId('customer-payment').textContent()).not.toContain('应付金额');
    expect(await cashier.getByTestId('payment-trace').textContent()).toBe(order?.sysTrace);
    mkdirSync(join(ROOT, 'test-results'), { recursive: true });
    await cashier.screenshot({ path: join(ROOT, 'test-results', 'checkout-paid.png') });
    await customer.screenshot({ path: join(ROOT, 'test-results', 'customer-paid.png') });

    // A display reloaded after the sale does not thank the previous customer again.
    await customer.reload();
    await customer.getByTestId('customer-idle').waitFor();
    await customer.waitForTimeout(500);
    expect(await customer.getByTestId('customer-thanks').count()).toBe(0);

    const db = new Database(join(data.dir, 'ledger.sqlite'), { readonly: true });
    const row = db.prepare('SELECT status, amount_fen, sys_trace, mode FROM payments WHERE sys_trace = ?').get(order?.sysTrace);
    db.close();
    expect(row).toEqual({ status: 'paid', amount_fen: 1234, sys_trace: order?.sysTrace, mode: 'training' });
  }, 240_000);

  it('Esc cancels: the order is closed at the gateway and the sale ends 已关闭', async () => {
    await cashier.keyboard.press('Enter'); // next sale
    await cashier.getByTestId('amount-display').waitFor();
    await cashier.getByTestId('trainer-hang').click();
    await typeAmount('8');
    await cashier.keyboard.press('Enter');
    await cashier.getByTestId('cashier-qr').waitFor();
    await cashier.keyboard.press('Escape');
    await cashier.locator('[data-testid="payment-result"][data-status="closed"]').waitFor({ timeout: 15_000 });
    await customer.locator('[data-testid="customer-payment"][data-status="closed"]').waitFor({ timeout: 15_000 });
  });

  it('bad amounts are refused with a clear message and nothing is sent', async () => {
    await cashier.keyboard.press('Enter');
    await cashier.getByTestId('amount-display').waitFor();
    const before = (await (await fetch(`${simBase}/sim/orders`)).json()) as { orders: unknown[] };
    await cashier.keyboard.press('Enter');
    expect(await cashier.getByTestId('checkout-message').textContent()).toContain('金额无效');
    await typeAmount('0.00');
    await cashier.keyboard.press('Enter');
    expect(await cashier.getByTestId('checkout-message').textContent()).toContain('金额无效');
    await cashier.keyboard.press('Escape');
    await typeAmount('999999');
    await cashier.keyboard.press('Enter');
    await cashier.getByTestId('checkout-message').waitFor();
    expect(await cashier.getByTestId('checkout-message').textContent()).toContain('金额超过单笔上限');
    await cashier.keyboard.press('Escape');
    const after = (await (await fetch(`${simBase}/sim/orders`)).json()) as { orders: unknown[] };
    expect(after.orders.length).toBe(before.orders.length);
  });

  it('状态未明: the sale is never retried, keeps being queried, and a supervisor settles it with a reason', async () => {
    await cashier.getByTestId('trainer-unknown').click();
    await typeAmount('5');
    await cashier.keyboard.press('Enter');
    await cashier.locator('[data-testid="payment-pending"][data-status="unknown"]').waitFor({ timeout: 20_000 });
    const current = await bridge.invoke('payment:current', undefined);
    if (!current.ok || current.value.payment === null) throw new Error('no current payment');
    const tradeNo = current.value.payment.tradeNo;
    await cashier.keyboard.press('F8');
    await cashier.getByTestId('resolve-form').waitFor();
    await cashier.getByTestId('resolve-reason').fill('银行后台核实未收款');
    await cashier.getByTestId('resolve-code').fill('800');
    await cashier.getByTestId('resolve-pin').fill('1234');
    await cashier.keyboard.press('Enter');
    await cashier.getByText('工号或密码错误').waitFor();
    await cashier.getByTestId('resolve-pin').fill('8888');
    await cashier.keyboard.press('Enter');
    await cashier.locator('[data-testid="payment-result"][data-status="failed"]').waitFor({ timeout: 10_000 });
    const db = new Database(join(data.dir, 'ledger.sqlite'), { readonly: true });
    const row = db.prepare('SELECT id, status, resolution, resolved_by FROM payments WHERE trade_no = ?').get(tradeNo) as {
      id: number;
      status: string;
      resolution: string;
      resolved_by: string;
    };
    const queries = db.prepare("SELECT count(*) AS n FROM events WHERE entity = 'payment' AND entity_id = ? AND type = 'bpc.G'").get(row.id) as { n: number };
    db.close();
    expect(row).toMatchObject({ status: 'failed', resolution: '银行后台核实未收款', resolved_by: '800' });
    expect(queries.n).toBeGreaterThanOrEqual(2);
    const fCount = (await (await fetch(`${simBase}/sim/orders`)).json()) as { orders: { tradeNo: string }[] };
    expect(fCount.orders.filter((o) => o.tradeNo === tradeNo)).toHaveLength(1);
  });

  it('keypad only (17 keys, no Enter/Esc/F-keys): collect with +, cancel with / /, switch tender with *, next sale with +', async () => {
    await cashier.keyboard.press('NumpadAdd'); // the previous result → next sale
    await cashier.getByTestId('amount-display').waitFor();
    await cashier.getByTestId('trainer-hang').click();
    await typeAmountOn(cashier, '6.59', 'numpad');
    await cashier.keyboard.press('NumpadSubtract'); // backspace
    await typeAmountOn(cashier, '8', 'numpad');
    expect(await cashier.getByTestId('amount-display').textContent()).toContain('6.58');
    await cashier.keyboard.press('NumpadMultiply');
    expect(await cashier.getByTestId('tender').getAttribute('data-tender')).toBe('card');
    await cashier.keyboard.press('NumpadMultiply');
    expect(await cashier.getByTestId('tender').getAttribute('data-tender')).toBe('cash');
    await cashier.keyboard.press('NumpadMultiply');
    expect(await cashier.getByTestId('tender').getAttribute('data-tender')).toBe('qr');
    expect(await cashier.getByTestId('checkout-keys').textContent()).toMatch(/\+.*收款/);
    await cashier.keyboard.press('NumpadAdd');
    await cashier.getByTestId('cashier-qr').waitFor();
    await cashier.keyboard.press('NumpadDivide');
    await cashier.getByTestId('cancel-confirm').waitFor();
    await cashier.keyboard.press('NumpadDivide');
    await cashier.locator('[data-testid="payment-result"][data-status="closed"]').waitFor({ timeout: 15_000 });
    // The paid path: + collects, the simulated customer pays, + starts the next sale.
    await cashier.keyboard.press('NumpadAdd');
    await cashier.getByTestId('trainer-manual').click();
    await typeAmountOn(cashier, '3', 'numpad');
    await cashier.keyboard.press('NumpadAdd');
    const qr = cashier.getByTestId('cashier-qr');
    await qr.waitFor();
    const scanCode = await qr.getAttribute('data-scan-code');
    await fetch(`${simBase}/sim/pay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ scanCode }) });
    await cashier.locator('[data-testid="payment-result"][data-status="paid"]').waitFor({ timeout: 15_000 });
    await cashier.keyboard.press('NumpadAdd');
    await cashier.getByTestId('amount-display').waitFor();
  });

  it('a scanner burst (a 4-digit code or a customer payment code ending in Enter) starts no sale', async () => {
    const before = (await (await fetch(`${simBase}/sim/orders`)).json()) as { orders: unknown[] };
    await scannerType(cashier, '2580');
    await cashier.getByTestId('checkout-message').waitFor();
    expect(await cashier.getByTestId('checkout-message').textContent()).toContain('2580');
    await scannerType(cashier, '134567890123456789');
    expect(await cashier.getByTestId('checkout-message').textContent()).toContain('付款码');
    expect(await cashier.getByTestId('payment-pending').count()).toBe(0);
    const after = (await (await fetch(`${simBase}/sim/orders`)).json()) as { orders: unknown[] };
    expect(after.orders.length).toBe(before.orders.length);
  });
});
