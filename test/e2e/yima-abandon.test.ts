import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrowserMode, type BrowserMode } from '../support/browser-mode';
import { launchChromium } from '../support/chromium';
import { tempDir } from '../support/temp';
import { signIn, typeAmount } from '../support/ui';
import { bridgeFor } from '../support/ws-bridge';
import { YIMA_TEST_SETTINGS as SETTINGS } from '../support/yima';

const SLOW = { timeout: 30_000 };

/**
 * Brief item 3 in real Chromium against browser mode, keyboard only: a Yima card sale the cashier
 * abandons with Esc goes 状态未明 and keeps being queried, and the counter takes the next sale at once —
 * Enter 下一笔, a new amount, F9 刷卡, Enter pushes the next order; when the customer pays the abandoned
 * one late, it is recorded paid and does not push itself back onto the checkout.
 */
describe('checkout after an abandoned Yima sale (browser, keyboard only)', () => {
  let app: BrowserMode;
  let browser: Browser;
  let page: Page;
  const data = tempDir('e2e-yima-abandon-');

  beforeAll(async () => {
    app = await startBrowserMode(['--data', data.dir, '--quiet']);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    await page.goto(app.url);
    await signIn(page);
    const bridge = bridgeFor(app.url);
    const saved = await bridge.invoke('settings:save', { section: 'yima', value: SETTINGS, approval: { code: '800', pin: '8888' } });
    bridge.close();
    if (!saved.ok) throw new Error(saved.error.message);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    data.cleanup();
  });

  async function push(amount: string): Promise<{ id: number; tradeNo: string }> {
    const bridge = bridgeFor(app.url);
    await bridge.invoke('training:script', { script: 'manual' });
    if ((await page.getByTestId('tender').getAttribute('data-tender')) !== 'card') await page.keyboard.press('F9');
    expect(await page.getByTestId('tender').getAttribute('data-tender')).toBe('card');
    await typeAmount(page, amount);
    await page.keyboard.press('Enter');
    await page.getByTestId('yima-prompt').waitFor(SLOW);
    await expect
      .poll(async () => {
        const r = await bridge.invoke('payment:current', undefined);
        return r.ok ? r.value.payment?.status : undefined;
      }, SLOW)
      .toBe('waiting');
    const r = await bridge.invoke('payment:current', undefined);
    bridge.close();
    if (!r.ok || r.value.payment === null) throw new Error('no sale');
    return r.value.payment;
  }

  it('Esc → 状态未明, still followed; Enter → the next sale pushed at once; the late payment stays off the checkout', async () => {
    const abandoned = await push('12');
    // The page has the pushed sale on screen (its create answered) before the cashier presses Esc: an Esc
    // while the push is still in flight is not taken (the checkout is busy) — a known gap, not this test's.
    await expect.poll(() => page.getByTestId('payment-pending').getAttribute('data-status'), SLOW).toBe('waiting');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByTestId('payment-pending').getAttribute('data-status'), SLOW).toBe('unknown');
    await expect.poll(() => page.getByTestId('checkout-keys').textContent(), SLOW).toContain('下一笔');
    await page.keyboard.press('Enter');
    await page.getByTestId('amount-display').waitFor(SLOW);
    const next = await push('3');
    expect(next.id).toBeGreaterThan(abandoned.id);
    // The customer pays the abandoned order on the card POS after all.
    const bridge = bridgeFor(app.url);
    const paid = await bridge.invoke('training:pay', { id: abandoned.id });
    expect(paid.ok && paid.value.paid).toBe(true);
    await expect
      .poll(async () => {
        const r = await bridge.invoke('payment:get', { id: abandoned.id });
        return r.ok ? r.value.status : undefined;
      }, SLOW)
      .toBe('paid');
    bridge.close();
    // The checkout still shows the sale in progress.
    await page.waitForTimeout(500);
    expect(await page.locator('.pending .trace').textContent()).toContain(next.tradeNo);
    expect(await page.getByTestId('payment-result').count()).toBe(0);
  }, 120_000);
});
