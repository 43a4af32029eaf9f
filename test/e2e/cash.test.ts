import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrowserMode, type BrowserMode } from '../support/browser-mode';
import { launchChromium } from '../support/chromium';
import { typeKeys, waitForFocus } from '../support/keyboard';
import { tempDir } from '../support/temp';
import { bridgeFor } from '../support/ws-bridge';

/**
 * Issue 12: a cash sale with change by keyboard alone (numeric keypad), in the real renderer in
 * Chromium against browser mode, with the customer display following along in a second page.
 */
describe('cash sale by keyboard alone (12)', () => {
  let app: BrowserMode;
  let browser: Browser;
  let cashier: Page;
  let customer: Page;
  const data = tempDir('e2e-cash-');

  beforeAll(async () => {
    app = await startBrowserMode(['--data', data.dir, '--quiet']);
    browser = await launchChromium();
    cashier = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    customer = await browser.newPage({ viewport: { width: 1024, height: 768 } });
    await cashier.goto(app.url);
    await customer.goto(app.displayUrl);
    await cashier.getByTestId('signin').waitFor();
    await waitForFocus(cashier, 'signin-code');
    await typeKeys(cashier, '001');
    await cashier.keyboard.press('Enter');
    await waitForFocus(cashier, 'signin-pin');
    await typeKeys(cashier, '1111');
    await cashier.keyboard.press('Enter');
    await cashier.getByTestId('operator').waitFor();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    data.cleanup();
  });

  it('¥37.80, * * to cash, + then ¥100 tendered: change ¥62.20 on the cashier and customer screens, booked as cash', async () => {
    await cashier.getByTestId('amount-display').waitFor();
    for (const key of ['Numpad3', 'Numpad7', 'NumpadDecimal', 'Numpad8']) {
      await cashier.keyboard.press(key);
      await cashier.waitForTimeout(60);
    }
    await cashier.keyboard.press('NumpadMultiply');
    await cashier.keyboard.press('NumpadMultiply');
    expect(await cashier.getByTestId('tender').getAttribute('data-tender')).toBe('cash');
    expect(await cashier.getByTestId('checkout-keys').textContent()).toContain('扫码 / 刷卡 / 现金');
    await cashier.keyboard.press('NumpadAdd');
    await cashier.getByTestId('cash-entry').waitFor();
    expect(await cashier.getByTestId('cash-due').textContent()).toContain('37.80');
    // Too little first: refused in words, nothing booked.
    for (const key of ['Numpad2', 'Numpad0']) {
      await cashier.keyboard.press(key);
      await cashier.waitForTimeout(60);
    }
    await cashier.keyboard.press('NumpadAdd');
    await expect.poll(() => cashier.getByTestId('checkout-message').textContent()).toContain('实收金额不足');
    await cashier.keyboard.press('NumpadSubtract');
    await cashier.keyboard.press('NumpadSubtract');
    for (const key of ['Numpad1', 'Numpad0', 'Numpad0']) {
      await cashier.keyboard.press(key);
      await cashier.waitForTimeout(60);
    }
    expect(await cashier.getByTestId('cash-change').textContent()).toContain('62.20');
    await cashier.keyboard.press('NumpadAdd');
    await cashier.getByTestId('cash-change-result').waitFor();
    expect(await cashier.getByTestId('payment-result').getAttribute('data-status')).toBe('paid');
    expect(await cashier.getByTestId('cash-change-result').textContent()).toContain('62.20');
    await customer.getByTestId('customer-change').waitFor();
    expect(await customer.getByTestId('customer-change').textContent()).toContain('62.20');
    expect(await customer.getByTestId('customer-amount').textContent()).toContain('37.80');

    const bridge = bridgeFor(app.url);
    try {
      const ok = <T>(r: { ok: true; value: T } | { ok: false; error: unknown }): T => {
        if (!r.ok) throw new Error(JSON.stringify(r.error));
        return r.value;
      };
      const day = ok(await bridge.invoke('day:current', undefined));
      const list = ok(await bridge.invoke('ledger:list', { day: day.day }));
      expect(list.rows).toEqual([
        expect.objectContaining({ tender: 'cash', amountFen: 3_780, status: 'paid', cash: { tenderedFen: 10_000, changeFen: 6_220 } }),
      ]);
      const { report } = ok(await bridge.invoke('day:report', { day: day.day }));
      expect(report.byPayType.find((b: { payType: string }) => b.payType === 'cash')).toMatchObject({ paidCount: 1, paidFen: 3_780 });
    } finally {
      bridge.close();
    }
  });

  it("交班 by keyboard, counted by denomination (F2): Enter walks the notes, the sum is shown, the report keeps the breakdown; the day report has the shift's drawer", async () => {
    await cashier.keyboard.press('Enter');
    await cashier.getByTestId('amount-display').waitFor();
    await cashier.keyboard.press('F12');
    await waitForFocus(cashier, 'handover-counted');
    await cashier.keyboard.press('F2');
    await waitForFocus(cashier, 'handover-denom-10000');
    // ¥100 ¥50 (none), ¥20 ×1, ¥10 ×1, ¥5 ×1, ¥1 ×2, 5角 ×1, 1角 ×3, no loose coins = ¥37.80.
    for (const count of ['', '', '1', '1', '1', '2', '1', '3']) {
      if (count !== '') await typeKeys(cashier, count);
      await cashier.keyboard.press('Enter');
    }
    await waitForFocus(cashier, 'handover-coins');
    expect(await cashier.getByTestId('handover-sum').textContent()).toBe('合计 ¥37.80');
    await cashier.keyboard.press('Enter');
    await cashier.getByTestId('handover-drawer').waitFor();
    expect(await cashier.getByTestId('handover-difference').textContent()).toBe('相符');
    expect(await cashier.getByTestId('handover-breakdown').locator('tr').count()).toBe(6);

    const bridge = bridgeFor(app.url);
    try {
      const ok = <T>(r: { ok: true; value: T } | { ok: false; error: unknown }): T => {
        if (!r.ok) throw new Error(JSON.stringify(r.error));
        return r.value;
      };
      ok(await bridge.invoke('session:signIn', { code: '900', pin: '9999' }));
      const day = ok(await bridge.invoke('day:current', undefined));
      const { report } = ok(await bridge.invoke('day:report', { day: day.day }));
      expect(report.drawers).toEqual([
        expect.objectContaining({ operator: '001', expectedFen: 3_780, countedFen: 3_780, differenceFen: 0, endedAt: expect.any(Number) }),
      ]);
    } finally {
      bridge.close();
    }
  });
});
