import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTcpPrinterStandIn, type TcpPrinterStandIn } from '../../src/core/devices/printer-standin';
import { startBrowserMode, type BrowserMode } from '../support/browser-mode';
import { launchChromium } from '../support/chromium';
import { receiptText } from '../support/escpos';
import { tempDir } from '../support/temp';
import { signIn, takeTrainingPayment, typeAmount } from '../support/ui';
import { bridgeFor } from '../support/ws-bridge';

/**
 * Receipts through the whole app: browser mode prints on a loopback TCP printer stand-in; a keyboard
 * QR sale prints one receipt, and the code on that receipt, typed into the refund desk's search as a
 * scanner would, finds the sale.
 */
describe('receipts in the browser (training gateway, TCP printer stand-in)', () => {
  let app: BrowserMode;
  let browser: Browser;
  let page: Page;
  let printer: TcpPrinterStandIn;
  let bridge: ReturnType<typeof bridgeFor>;
  let simBase: string;
  const data = tempDir('e2e-receipts-');

  beforeAll(async () => {
    printer = await startTcpPrinterStandIn();
    app = await startBrowserMode(['--data', data.dir, '--quiet']);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(app.url);
    await signIn(page);
    bridge = bridgeFor(app.url);
    const saved = await bridge.invoke('settings:save', {
      section: 'devices',
      value: { poleDisplay: null, cardTerminal: null, receiptPrinter: { transport: 'tcp', host: printer.host, port: printer.port, paperWidth: 58 } },
      approval: { code: '800', pin: '8888' },
    });
    if (!saved.ok) throw new Error(saved.error.message);
    const state = await bridge.invoke('training:state', undefined);
    if (!state.ok || state.value.simulatorUrl === null) throw new Error('no training gateway');
    simBase = new URL(state.value.simulatorUrl).origin;
  });

  afterAll(async () => {
    bridge?.close();
    await browser?.close();
    await app?.stop();
    await printer?.close();
    data.cleanup();
  });

  it('a keyboard QR sale prints one receipt whose code, typed into the refund desk search, finds the sale', async () => {
    const trace = await takeTrainingPayment(page, simBase, '128.5');
    await vi.waitFor(() => expect(printer.sim.jobs()).toHaveLength(1), { timeout: 15_000, interval: 50 });
    const job = printer.sim.jobs()[0]!;
    expect(receiptText(job).some((l) => /^金额 +￥128\.50$/.test(l))).toBe(true);
    const code = job.qr[0] ?? '';
    expect(job.barcodes).toEqual([code]);
    expect(code).toMatch(/^P\d{19}$/);

    await page.keyboard.press('F3');
    await page.getByTestId('refund-desk').waitFor();
    await page.keyboard.type(code);
    await page.keyboard.press('Enter');
    await page.locator('[data-testid="desk-detail"] [data-testid="desk-totals"]').waitFor();
    expect((await page.getByTestId('fact-trace').textContent())?.trim()).toBe(trace);
    expect((await page.getByTestId('desk-paid').textContent())?.trim()).toBe('¥128.50');
    expect(printer.sim.jobs()).toHaveLength(1);
  });

  it('auto print "ask": the checkout asks 打印小票？; Enter prints one receipt, typing the next amount dismisses it without printing', async () => {
    const saved = await bridge.invoke('settings:save', {
      section: 'devices',
      value: {
        poleDisplay: null,
        cardTerminal: null,
        receiptPrinter: { transport: 'tcp', host: printer.host, port: printer.port, paperWidth: 58, autoPrint: 'ask' },
      },
      approval: { code: '800', pin: '8888' },
    });
    if (!saved.ok) throw new Error(saved.error.message);
    const before = printer.sim.jobs().length;
    const paid = async (amount: string): Promise<void> => {
      await typeAmount(page, amount);
      await page.keyboard.press('Enter');
      const scanCode = await page.getByTestId('cashier-qr').getAttribute('data-scan-code');
      const res = await fetch(`${simBase}/sim/pay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ scanCode }) });
      expect(res.status).toBe(200);
      await page.locator('[data-testid="payment-result"][data-status="paid"]').waitFor({ timeout: 15_000 });
    };
    await page.getByTestId('nav-checkout').click();
    await page.getByTestId('trainer-manual').click();
    await paid('21.3');
    expect((await page.getByTestId('receipt-ask').textContent())?.trim()).toBe('打印小票？ Enter 打印 / Esc 不打印');
    await page.waitForTimeout(800);
    expect(printer.sim.jobs()).toHaveLength(before);
    await page.keyboard.press('Enter');
    await vi.waitFor(() => expect(printer.sim.jobs()).toHaveLength(before + 1), { timeout: 15_000, interval: 50 });
    expect(receiptText(printer.sim.jobs()[before]!).some((l) => /^金额 +￥21\.30$/.test(l))).toBe(true);
    await page.getByTestId('amount-display').waitFor();

    await paid('4');
    await page.getByTestId('receipt-ask').waitFor();
    await typeAmount(page, '9');
    await page.getByTestId('receipt-ask').waitFor({ state: 'detached' });
    expect((await page.getByTestId('amount-display').textContent())?.trim()).toBe('¥ 9');
    await page.waitForTimeout(800);
    expect(printer.sim.jobs()).toHaveLength(before + 1);
    await page.keyboard.press('Escape');
  });

  it('a system printer in browser mode: auto print opens the page print dialog with the receipt of the paid sale', async () => {
    const saved = await bridge.invoke('settings:save', {
      section: 'devices',
      value: { poleDisplay: null, cardTerminal: null, receiptPrinter: { transport: 'system', paperWidth: 58, autoPrint: 'auto' } },
      approval: { code: '800', pin: '8888' },
    });
    if (!saved.ok) throw new Error(saved.error.message);
    const jobs = printer.sim.jobs().length;
    await page.keyboard.press('Escape');
    await takeTrainingPayment(page, simBase, '66.6');
    const frame = page.locator('iframe[data-testid="receipt-print-frame"]');
    await frame.waitFor({ state: 'attached', timeout: 15_000 });
    const receipt = page.frameLocator('iframe[data-testid="receipt-print-frame"]');
    const lines = await receipt.locator('body').innerText();
    expect(lines).toMatch(/金额 +￥66\.60/);
    expect(lines).toContain('培训模式');
    expect(await receipt.locator('img').getAttribute('alt')).toMatch(/^P\d{19}$/);
    expect(await page.locator('iframe[data-testid="receipt-print-frame"]').count()).toBe(1);
    // Nothing went to the ESC/POS stand-in.
    expect(printer.sim.jobs()).toHaveLength(jobs);
  });
});
