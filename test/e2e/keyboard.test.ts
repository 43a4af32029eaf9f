import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrowserMode, type BrowserMode } from '../support/browser-mode';
import { launchChromium } from '../support/chromium';
import {
  focusedId,
  focusStop,
  invisibleStops,
  positiveTabIndexes,
  tabTo,
  tabWalk,
  typeKeys,
  waitForFocus,
  wrappedRows,
  type FocusStop,
} from '../support/keyboard';
import { tempDir } from '../support/temp';
import { collectPaidSale } from '../support/ui';
import { bridgeFor } from '../support/ws-bridge';

/**
 * Issue 9.12: every back-office screen by keyboard alone, one test per screen, in the real renderer
 * in Chromium against browser mode. No mouse: only keyboard presses (the training gateway is driven
 * over its own HTTP interface, as the customer's phone would). Each walk checks that every Tab stop
 * is drawn as focused (:focus-visible with an outline of at least 2 px) and that no positive tabindex
 * reorders the page; each test then does the screen's main job with keys only.
 */
describe('back office by keyboard alone (9.12)', () => {
  let app: BrowserMode;
  let browser: Browser;
  let page: Page;
  let simBase = '';
  const data = tempDir('e2e-keyboard-');

  const expectAllVisible = (stops: FocusStop[]): void => {
    expect(stops.length, stops.map((s) => s.name).join(' → ')).toBeGreaterThan(2);
    expect(invisibleStops(stops).map((s) => `${s.name} (${s.outlineStyle} ${s.outlineWidth}px, focus-visible ${s.focusVisible})`)).toEqual([]);
  };

  /** Code, Enter, PIN, Enter — typed, never clicked or filled. */
  async function signInByKeys(code: string, pin: string): Promise<void> {
    await page.getByTestId('signin').waitFor();
    await waitForFocus(page, 'signin-code');
    await typeKeys(page, code);
    await page.keyboard.press('Enter');
    await waitForFocus(page, 'signin-pin');
    await typeKeys(page, pin);
    await page.keyboard.press('Enter');
    await page.getByTestId('operator').waitFor();
  }

  async function signOutByHandover(): Promise<void> {
    await page.keyboard.press('F12');
    await page.getByTestId('handover').waitFor();
    await page.keyboard.press('Enter');
    await page.getByTestId('handover-report').waitFor();
    await waitForFocus(page, 'handover-print');
    await page.keyboard.press('Escape');
    await page.getByTestId('signin').waitFor();
    // After 交班 the next person signs in: the code field has the focus, drawn as focused.
    await waitForFocus(page, 'signin-code');
    const stop = await focusStop(page);
    if (stop === null || !stop.focusVisible || stop.outlineWidth < 2) throw new Error(`sign-in field not drawn as focused: ${JSON.stringify(stop)}`);
  }

  /** One paid training sale through the checkout with keys only (F1, digits, Enter; the bank is told over HTTP). */
  async function paidSale(amount: string): Promise<void> {
    const bridge = bridgeFor(app.url);
    await bridge.invoke('training:script', { script: 'manual' });
    bridge.close();
    await page.keyboard.press('F1');
    await page.getByTestId('amount-display').waitFor();
    await collectPaidSale(page, simBase, amount);
  }

  beforeAll(async () => {
    app = await startBrowserMode(['--data', data.dir, '--quiet']);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await page.goto(app.url);
    const bridge = bridgeFor(app.url);
    const state = await bridge.invoke('training:state', undefined);
    bridge.close();
    if (!state.ok || state.value.simulatorUrl === null) throw new Error('no training gateway');
    simBase = new URL(state.value.simulatorUrl).origin;
    await signInByKeys('001', '1111');
    // Two sales of the same amount (a day + amount search finds both) and one other.
    await paidSale('3');
    await paidSale('3');
    await paidSale('7.5');
    // The back office is a supervisor's: 交班 by keys, then the supervisor signs in.
    await signOutByHandover();
    await signInByKeys('800', '8888');
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    data.cleanup();
  });

  it('refund desk: search by day + amount, the first of several hits has the focus, open with Enter, refund with the keyboard', async () => {
    await page.keyboard.press('F3');
    await page.getByTestId('refund-desk').waitFor();
    await waitForFocus(page, 'desk-search');
    expect(await positiveTabIndexes(page)).toBe(0);
    const stops = await tabWalk(page);
    expectAllVisible(stops);
    const order = stops.map((s) => s.name);
    // Top to bottom as on screen: the code search, its button, then the day + amount search.
    const at = (name: string): number => order.indexOf(name);
    expect(at('desk-search-submit')).toBeGreaterThan(at('desk-search') === -1 ? -2 : at('desk-search'));
    expect(at('desk-day')).toBeGreaterThan(at('desk-search-submit'));
    expect(at('desk-amount')).toBeGreaterThan(at('desk-day'));
    expect(at('desk-day-submit')).toBeGreaterThan(at('desk-amount'));

    await tabTo(page, 'desk-amount');
    await typeKeys(page, '3');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('desk-result').count()).toBe(2);
    // Several hits: the first row has the focus, drawn as focused.
    await expect.poll(() => page.evaluate("document.activeElement === document.querySelector('[data-testid=desk-result]')")).toBe(true);
    const row = await focusStop(page);
    expect(row?.focusVisible).toBe(true);
    expect(row?.outlineWidth).toBeGreaterThanOrEqual(2);
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.getByTestId('refund-form').waitFor();
    await waitForFocus(page, 'refund-amount');
    await typeKeys(page, '1');
    await page.keyboard.press('Tab');
    expect(await focusedId(page)).toBe('refund-reason');
    await page.keyboard.type('顾客退货');
    await page.keyboard.press('Tab');
    expect(await focusedId(page)).toBe('refund-approval-code');
    await typeKeys(page, '800');
    await page.keyboard.press('Tab');
    expect(await focusedId(page)).toBe('refund-approval-pin');
    await typeKeys(page, '8888');
    await page.keyboard.press('Enter');
    await page.getByTestId('desk-last-refund').waitFor({ timeout: 15_000 });
    expectAllVisible(await tabWalk(page, 30));
    // Esc goes back to the row it came from.
    await page.keyboard.press('Escape');
    await expect.poll(() => page.evaluate("document.activeElement === document.querySelectorAll('[data-testid=desk-result]')[1]")).toBe(true);
  }, 120_000);

  it('transactions: filters, rows and the detail by keyboard, the focus back on the row after Esc', async () => {
    await page.keyboard.press('F4');
    await page.getByTestId('transactions').waitFor();
    await expect.poll(() => page.getByTestId('tx-row').count()).toBe(3);
    expect(await positiveTabIndexes(page)).toBe(0);
    const stops = await tabWalk(page);
    expectAllVisible(stops);
    const names = stops.map((s) => s.name);
    expect(names).toContain('tx-day');
    expect(names).toContain('tx-search');
    expect(names.filter((n) => n === 'tx-row')).toHaveLength(3);
    expect(names.indexOf('tx-row')).toBeGreaterThan(names.indexOf('tx-search'));
    await tabTo(page, 'tx-row');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.getByTestId('tx-detail').waitFor();
    expectAllVisible(await tabWalk(page, 30));
    await page.keyboard.press('Escape');
    await page.getByTestId('tx-table').waitFor();
    await expect.poll(() => page.evaluate("document.activeElement?.getAttribute('data-testid') === 'tx-row'")).toBe(true);
    // Right after F4 (nothing focused), ↓ goes to the rows, as the footer's "↑↓ 选择" says; Enter opens one.
    await page.keyboard.press('F1');
    await page.getByTestId('amount-display').waitFor();
    await page.keyboard.press('F4');
    await expect.poll(() => page.getByTestId('tx-row').count()).toBe(3);
    expect(await page.evaluate("document.activeElement?.getAttribute('data-testid') ?? 'body'")).not.toBe('tx-row');
    await page.keyboard.press('ArrowDown');
    await expect.poll(() => page.evaluate("document.activeElement?.getAttribute('data-testid')")).toBe('tx-row');
    await page.keyboard.press('Enter');
    await page.getByTestId('tx-detail').waitFor();
    await page.keyboard.press('Escape');
  }, 120_000);

  it('settings: sections with Alt+↓, every field reachable and drawn focused, a section saved with Enter', async () => {
    await page.keyboard.press('F10');
    await page.getByTestId('settings').waitFor();
    expect(await positiveTabIndexes(page)).toBe(0);
    await page.getByTestId('section-bpc').waitFor();
    expectAllVisible(await tabWalk(page, 80));
    // To the shop section with Alt+↓ (bpc → yima → qr → polling → notifications → limits → shop).
    for (let i = 0; i < 6; i++) await page.keyboard.press('Alt+ArrowDown');
    await page.getByTestId('section-shop').waitFor();
    await tabTo(page, 'shop-name');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('键盘小店');
    await tabTo(page, 'shop-approval-code');
    await typeKeys(page, '800');
    await page.keyboard.press('Tab');
    await typeKeys(page, '8888');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('shop-message').getAttribute('class'), { timeout: 15_000 }).toBe('ok');
    expectAllVisible(await tabWalk(page, 40));
  }, 120_000);

  it('status: refresh and the diagnostics export by keyboard, every stop drawn focused', async () => {
    await page.keyboard.press('F11');
    await page.getByTestId('health-panel').waitFor();
    expect(await positiveTabIndexes(page)).toBe(0);
    const stops = await tabWalk(page, 30);
    expectAllVisible(stops);
    const names = stops.map((s) => s.name);
    expect(names.indexOf('diagnostics-code')).toBeGreaterThan(names.indexOf('health-refresh'));
    expect(names.indexOf('diagnostics-pin')).toBeGreaterThan(names.indexOf('diagnostics-code'));
    await tabTo(page, 'health-refresh');
    await page.keyboard.press('Enter');
    await page.getByTestId('health-ledger').waitFor();
    // The diagnostics package: supervisor code, Tab, PIN, Enter.
    await tabTo(page, 'diagnostics-code');
    await typeKeys(page, '800');
    await page.keyboard.press('Tab');
    await typeKeys(page, '8888');
    await page.keyboard.press('Enter');
    await page.getByTestId('diagnostics-message').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('diagnostics-message').getAttribute('class')).toBe('hint');
  }, 120_000);

  it('9.15 in English the header and the toolbars fit one line at 1366 px on every screen (language switched by keyboard)', async () => {
    // The language button is in the header: Shift+Tab from the status screen reaches it.
    const toLanguageButton = async (): Promise<void> => {
      for (let i = 0; i < 40; i++) {
        const name = (await focusStop(page))?.name ?? '';
        if (name.includes('English') || name.includes('中文')) return;
        await page.keyboard.press('Shift+Tab');
      }
      throw new Error('language button not reached');
    };
    await page.keyboard.press('F11');
    await page.getByTestId('health-panel').waitFor();
    await toLanguageButton();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('nav-checkout').textContent()).toContain('Checkout');
    const wraps: string[] = [];
    const screens = { F1: 'amount-display', F3: 'refund-desk', F4: 'transactions', F6: 'reconcile', F10: 'settings', F11: 'health-panel' } as const;
    for (const [key, screen] of Object.entries(screens)) {
      await page.keyboard.press(key);
      await page.getByTestId(screen).waitFor();
      await page.waitForTimeout(200);
      for (const w of await wrappedRows(page)) wraps.push(`${key} ${w}`);
    }
    expect(wraps).toEqual([]);
    // Back to Chinese for the rest.
    await toLanguageButton();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('nav-checkout').textContent()).toContain('收银');
  }, 120_000);

  it('end of day: the report, export and close by keyboard; 交班 from it leaves the focus on the sign-in field', async () => {
    await page.keyboard.press('F6');
    await page.getByTestId('reconcile').waitFor();
    await page.getByTestId('report').waitFor();
    expect(await positiveTabIndexes(page)).toBe(0);
    const stops = await tabWalk(page, 60);
    expectAllVisible(stops);
    const names = stops.map((s) => s.name);
    for (const id of ['reconcile-day', 'export-csv', 'print']) expect(names).toContain(id);
    // F9 opens the close form with its first field focused; the manager closes the day with keys.
    await page.keyboard.press('F9');
    await page.getByTestId('close-form').waitFor();
    const first = await focusStop(page);
    expect(first?.focusVisible).toBe(true);
    expectAllVisible(await tabWalk(page, 30));
    await tabTo(page, 'close-manager-code');
    await typeKeys(page, '900');
    await page.keyboard.press('Tab');
    await typeKeys(page, '9999');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('close-form').count(), { timeout: 15_000 }).toBe(0);
    await signOutByHandover();
  }, 120_000);
});
