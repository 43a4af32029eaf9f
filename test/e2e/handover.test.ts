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
    await page.getByTestId('handover-close').click();
    await page.getByTestId('signin').waitFor();
  });
});
