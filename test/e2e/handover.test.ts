import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrowserMode, type BrowserMode } from '../support/browser-mode';
import { launchChromium } from '../support/chromium';
import { tempDir } from '../support/temp';
import { signIn, takeTrainingPayment } from '../support/ui';
import { bridgeFor } from '../support/ws-bridge';

/** 交班 at the counter with the keyboard: F12, Enter, the report of this shift, signed out. */
describe('shift handover', () => {
  let app: BrowserMode;
  let browser: Browser;
  let page: Page;
  const data = tempDir('e2e-handover-');

  beforeAll(async () => {
    app = await startBrowserMode(['--data', data.dir, '--quiet']);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(app.url);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    data.cleanup();
  });

  it('shows the shift totals, prints, and signs the cashier out', async () => {
    await signIn(page);
    const bridge = bridgeFor(app.url);
    const state = await bridge.invoke('training:state', undefined);
    bridge.close();
    if (!state.ok || state.value.simulatorUrl === null) throw new Error('no training gateway');
    const simBase = new URL(state.value.simulatorUrl).origin;
    await takeTrainingPayment(page, simBase, '10.5');
    await takeTrainingPayment(page, simBase, '2');
    await page.keyboard.press('F12');
    await page.getByTestId('handover').waitFor();
    await page.keyboard.press('Enter');
    await page.getByTestId('handover-report').waitFor();
    expect(await page.getByTestId('handover-total').textContent()).toContain('2 · ¥12.50');
    // Keyboard only: print has the focus (Enter prints), Esc closes, then the sign-in field has the focus.
    await expect.poll(() => page.evaluate("document.activeElement?.getAttribute('data-testid') ?? null")).toBe('handover-print');
    // Printing prints what is on screen: the handover report (it used to be a blank page).
    await page.emulateMedia({ media: 'print' });
    expect(await page.getByTestId('handover-report').isVisible()).toBe(true);
    expect(await page.getByTestId('handover-total').isVisible()).toBe(true);
    expect(await page.getByTestId('handover-print').isVisible()).toBe(false);
    await page.emulateMedia({ media: 'screen' });
    await page.getByTestId('handover-print').focus();
    await page.keyboard.press('Escape');
    await page.getByTestId('signin').waitFor();
    await expect.poll(() => page.evaluate("document.activeElement?.getAttribute('data-testid') ?? null")).toBe('signin-code');
  });

  it('past handovers are listed per operator and day, and can be reopened and reprinted', async () => {
    await signIn(page, '800', '8888');
    await page.keyboard.press('F6');
    await page.getByTestId('handover-history').waitFor();
    const item = page.getByTestId('handover-item');
    await expect.poll(() => item.count()).toBe(1);
    expect(await item.textContent()).toContain('001');
    expect(await item.textContent()).toContain('¥12.50');
    // One operator's view lists only that operator's handovers.
    await page.getByTestId('reconcile-operator').selectOption('800');
    await expect.poll(() => page.getByTestId('handover-item').count()).toBe(0);
    await page.getByTestId('reconcile-operator').selectOption('001');
    await expect.poll(() => page.getByTestId('handover-item').count()).toBe(1);
    await page.getByTestId('handover-item').focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('past-handover').waitFor();
    expect(await page.getByTestId('handover-total').textContent()).toContain('2 · ¥12.50');
    await page.evaluate('window.printed = 0; window.print = () => { window.printed += 1; };');
    await page.keyboard.press('Enter');
    expect(await page.evaluate('window.printed')).toBe(1);
    await page.emulateMedia({ media: 'print' });
    expect(await page.getByTestId('handover-report').isVisible()).toBe(true);
    expect(await page.getByTestId('report').isVisible()).toBe(false);
    await page.emulateMedia({ media: 'screen' });
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByTestId('past-handover').count()).toBe(0);
    await expect.poll(() => page.evaluate("document.activeElement?.getAttribute('data-testid') ?? null")).toBe('handover-item');
  });
});
