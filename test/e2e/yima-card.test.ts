import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrowserMode, type BrowserMode } from '../support/browser-mode';
import { launchChromium } from '../support/chromium';
import { ledgerRows } from '../support/counter';
import { focusedId, tabTo, typeKeys, waitForFocus } from '../support/keyboard';
import { tempDir } from '../support/temp';
import { typeAmount } from '../support/ui';
import { bridgeFor } from '../support/ws-bridge';

/** PIN checks are scrypt (~1.5 s on a loaded machine), polls a few seconds apart: give the answers time. */
const SLOW = { timeout: 30_000 };
const TERMINAL = '0001045907';
const MASKED = /^\d{6}\*+\d{4}$/;

/**
 * Issue 11 end to end, keyboard only, in training mode: the card route switched to Yima in Settings →
 * Yima, then a Yima card sale from the amount to paid on the cashier page and on the customer display —
 * once in JSON and once in GBK XML (the training simulator speaks both and verifies the chosen signing
 * rule); the masked card number, reference, batch and trace on the result and in Transactions; the day
 * report counts both under card and under Yima. The ledger's exchanges prove which format went out.
 */
describe('Yima card sales in the browser (keyboard only)', () => {
  let app: BrowserMode;
  let browser: Browser;
  let page: Page;
  let customer: Page;
  const data = tempDir('e2e-yima-card-');

  beforeAll(async () => {
    app = await startBrowserMode(['--data', data.dir, '--quiet']);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    customer = await browser.newPage({ viewport: { width: 1024, height: 768 } });
    await page.goto(app.url);
    await customer.goto(app.displayUrl);
    await customer.getByTestId('customer-idle').waitFor();
    // The supervisor signs in (the Settings save needs a supervisor's PIN anyway): code, Enter, PIN, Enter.
    await page.getByTestId('signin').waitFor();
    await waitForFocus(page, 'signin-code');
    await typeKeys(page, '800');
    await page.keyboard.press('Enter');
    await waitForFocus(page, 'signin-pin');
    await typeKeys(page, '8888');
    await page.keyboard.press('Enter');
    await page.getByTestId('operator').waitFor();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    data.cleanup();
  });

  /** Moves a focused <select> with the arrow keys until it shows `value`. */
  async function selectByKeys(testId: string, value: string): Promise<void> {
    await tabTo(page, testId, 80);
    const select = page.getByTestId(testId);
    for (let i = 0; i < 6 && (await select.inputValue()) !== value; i++) await page.keyboard.press('ArrowDown');
    for (let i = 0; i < 6 && (await select.inputValue()) !== value; i++) await page.keyboard.press('ArrowUp');
    expect(await select.inputValue()).toBe(value);
  }

  async function typeInto(testId: string, text: string): Promise<void> {
    await tabTo(page, testId, 80);
    await page.keyboard.press('Control+A');
    await page.keyboard.type(text);
  }

  /** Settings (F10) → Yima (Alt+↓ from BPC): the merchant, the terminal, the format and the card route, saved with the supervisor's PIN. */
  async function saveYimaSettings(format: 'json' | 'xml'): Promise<void> {
    await page.keyboard.press('F10');
    await page.getByTestId('settings').waitFor();
    await page.getByTestId('section-bpc').waitFor();
    await page.keyboard.press('Alt+ArrowDown');
    await page.getByTestId('yima-url').waitFor();
    await typeInto('yima-url', 'https://yima.invalid/ipos-sa/gateway');
    await typeInto('yima-isspid', '39493002');
    await typeInto('yima-system-id', '8888');
    await typeInto('yima-store-id', '1511300001');
    await typeInto('yima-pos-id', '1511300001');
    await selectByKeys('yima-device-kind', 'terminalId');
    await typeInto('yima-device-no', TERMINAL);
    await selectByKeys('yima-format', format);
    await selectByKeys('yima-card-route', 'yima');
    await typeInto('yima-approval-code', '800');
    await page.keyboard.press('Tab');
    expect(await focusedId(page)).toBe('yima-approval-pin');
    await typeKeys(page, '8888');
    await page.keyboard.press('Enter');
    await expect.poll(async () => page.getByTestId('yima-message').textContent(), SLOW).toBe('已保存');
  }

  /** F1, F9 (刷卡), the amount, Enter; the prompt names the terminal; F7 (the trainer's "customer pays"); paid with the card's details. */
  async function yimaSale(amount: string): Promise<{ tradeNo: string; cardNo: string }> {
    await page.keyboard.press('F1');
    await page.getByTestId('amount-display').waitFor();
    // The trainer makes the next order wait on the card POS until F7 pays it (set over the bridge, as keyboard.test does).
    const bridge = bridgeFor(app.url);
    await bridge.invoke('training:script', { script: 'manual' });
    bridge.close();
    if ((await page.getByTestId('tender').getAttribute('data-tender')) !== 'card') await page.keyboard.press('F9');
    expect(await page.getByTestId('tender').getAttribute('data-tender')).toBe('card');
    await typeAmount(page, amount);
    await page.keyboard.press('Enter');
    const prompt = page.getByTestId('yima-prompt');
    await prompt.waitFor(SLOW);
    expect(await prompt.textContent()).toContain('请在刷卡机上完成支付');
    expect(await prompt.textContent()).toContain(TERMINAL);
    // Live status: the result queries are counted as they happen.
    await expect.poll(async () => /已查询 (\d+) 次/.exec((await page.getByTestId('yima-live').textContent()) ?? '')?.[1] ?? '0', SLOW).not.toBe('0');
    const current = bridgeFor(app.url);
    const open = await current.invoke('payment:current', undefined);
    current.close();
    if (!open.ok || open.value.payment === null) throw new Error('no open sale');
    const tradeNo = open.value.payment.tradeNo;
    expect(open.value.payment).toMatchObject({ gateway: 'yima', tender: 'card', status: 'waiting' });
    expect(await page.locator('.pending .trace').textContent()).toContain(tradeNo);
    // The customer sees the amount and 请刷卡, no QR.
    await customer.getByTestId('customer-card-title').waitFor(SLOW);
    expect(await customer.getByTestId('customer-card-title').textContent()).toBe('请刷卡');
    expect(await customer.getByTestId('customer-amount').textContent()).toContain(amount);
    expect(await customer.getByTestId('customer-qr').count()).toBe(0);

    await page.keyboard.press('F7');
    await page.locator('[data-testid="payment-result"][data-status="paid"]').waitFor(SLOW);
    const cardNo = (await page.getByTestId('card-cardNo').textContent()) ?? '';
    expect(cardNo).toMatch(MASKED);
    for (const id of ['card-refNo', 'card-batchNo', 'card-traceNo']) expect((await page.getByTestId(id).textContent()) ?? '', id).toMatch(/^\d{6,12}$/);
    await customer.getByTestId('customer-thanks').waitFor(SLOW);
    expect(await customer.getByTestId('customer-amount').textContent()).toContain(amount);
    await page.keyboard.press('Enter');
    await page.getByTestId('amount-display').waitFor();
    return { tradeNo, cardNo };
  }

  /** The create of this sale as it went over the wire (the ledger's exchange event). */
  function createRequest(tradeNo: string): string {
    const rows = ledgerRows<{ data: string }>(
      data.dir,
      "SELECT e.data FROM events e JOIN payments p ON p.id = e.entity_id WHERE e.entity = 'payment' AND e.type = 'yima.create' AND p.trade_no = ?",
      tradeNo,
    );
    expect(rows).toHaveLength(1);
    return (JSON.parse(rows[0]!.data) as { request: string }).request;
  }

  it('card route → Yima; a JSON and an XML card sale paid on the cashier and customer pages; details in Transactions; the day report counts them under card', async () => {
    await saveYimaSettings('json');
    // Test connection (keyboard): one harmless query to the training simulator, answered.
    await tabTo(page, 'yima-test-connection', 120);
    await page.keyboard.press('Enter');
    await expect.poll(async () => page.getByTestId('yima-test-result').getAttribute('data-ok'), SLOW).toBe('true');
    expect(await page.getByTestId('yima-test-result').textContent()).toContain('培训翼码应答');
    const json = await yimaSale('12.34');
    expect(createRequest(json.tradeNo)).toMatch(/^\{"request_type":"bcm_ordercreate_request"/);

    await saveYimaSettings('xml');
    const xml = await yimaSale('5.60');
    const request = createRequest(xml.tradeNo);
    expect(request).toMatch(/^<\?xml version="1.0" encoding="GBK"\?>/);
    expect(request).toContain('<request_type>bcm_ordercreate_request</request_type>');
    expect(request).toContain(`<terminal_id>${TERMINAL}</terminal_id>`);

    // Transactions (F4): both rows; the XML sale's detail (the newest row first) has the card's facts.
    await page.keyboard.press('F4');
    await page.getByTestId('transactions').waitFor();
    await expect.poll(() => page.getByTestId('tx-row').count(), SLOW).toBe(2);
    await tabTo(page, 'tx-row');
    await page.keyboard.press('Enter');
    await page.getByTestId('tx-detail').waitFor();
    await expect.poll(async () => page.getByTestId('fact-trade-no').textContent(), SLOW).toBe(xml.tradeNo);
    expect(await page.getByTestId('fact-card-cardNo').textContent()).toBe(xml.cardNo);
    for (const id of ['fact-card-refNo', 'fact-card-batchNo', 'fact-card-traceNo', 'fact-card-terminal'])
      expect((await page.getByTestId(id).textContent()) ?? '', id).not.toBe('');
    await page.keyboard.press('Escape');
    await page.getByTestId('tx-table').waitFor();

    // End of day (F6): under card (pay type) and under Yima (gateway), 2 sales, ¥17.94.
    await page.keyboard.press('F6');
    await page.getByTestId('report').waitFor();
    await expect.poll(async () => page.getByTestId('paytype-card').textContent(), SLOW).toContain('17.94');
    expect(await page.getByTestId('gateway-yima').textContent()).toContain('17.94');
    const bridge = bridgeFor(app.url);
    const day = ledgerRows<{ business_day: string }>(data.dir, 'SELECT business_day FROM payments WHERE trade_no = ?', xml.tradeNo)[0]!.business_day;
    const report = await bridge.invoke('day:report', { day });
    bridge.close();
    if (!report.ok) throw new Error(report.error.message);
    expect(report.value.report.byPayType.find((b) => b.payType === 'card')).toMatchObject({ paidCount: 2, paidFen: 1794 });
    expect(report.value.report.byGateway?.find((b) => b.gateway === 'yima')).toMatchObject({ paidCount: 2, paidFen: 1794 });
  }, 240_000);
});
