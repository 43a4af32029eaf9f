import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call } from '../../src/renderer/src/bridge/client';
import { useLang } from '../../src/renderer/src/i18n';
import { mountApp, tick, type MountedApp } from './mount';
import { YIMA_TEST_SETTINGS as SETTINGS } from '../support/yima';

function setInput(el: HTMLInputElement, value: string): void {
  Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')?.set?.call(el, value);
  el.dispatchEvent(new Event('input', { bubbles: true }));
}

const SUPERVISOR = { code: '800', pin: '8888' };

/**
 * Issue 11.4/11.5 on the screen: Transactions → a Yima card sale the cashier abandoned (状态未明) offers
 * the supervisor's re-check by Yima's order_id; Yima's answer is said in words, a bound "paid" shows the
 * sale paid with the masked card number and references, and the event history lists the ask.
 */
describe('Transactions: supervisor re-check of a Yima sale (bcm_orderquery)', () => {
  let app: MountedApp;
  const q = (id: string): HTMLElement | null => app.q(id);
  const input = (id: string): HTMLInputElement => q(id) as HTMLInputElement;

  beforeEach(async () => {
    useLang.getState().setLang('zh');
    app = await mountApp(SUPERVISOR);
  }, 60_000);
  afterEach(async () => app.close(), 60_000);

  async function recheck(orderId: string): Promise<void> {
    await act(async () => {
      setInput(input('recheck-order-id'), orderId);
      setInput(input('recheck-approval-code'), SUPERVISOR.code);
      setInput(input('recheck-approval-pin'), SUPERVISOR.pin);
    });
    await act(async () => (q('recheck-form') as HTMLFormElement).requestSubmit());
    for (let i = 0; i < 100 && q('recheck-result') === null && q('recheck-error') === null; i++) await tick(50);
  }

  it('abandoned, then paid on the terminal while the polls fail: not paid → doctored answer refused → paid with the card facts', async () => {
    const sim = app.core.trainingYima;
    let sale = { id: 0, tradeNo: '' };
    await act(async () => {
      await call('settings:save', { section: 'yima', value: SETTINGS, approval: SUPERVISOR });
      await call('training:script', { script: 'manual' });
      sale = await call('payment:create', { amountFen: 6_600, tender: 'card' });
    });
    for (let i = 0; i < 100 && (await call('payment:get', { id: sale.id })).status !== 'waiting'; i++) await tick(50);
    await act(async () => {
      await call('payment:cancel', { id: sale.id });
    });
    expect((await call('payment:get', { id: sale.id })).status).toBe('unknown');
    const orderId = sim.order(sale.tradeNo)!.orderId;

    await act(async () => window.dispatchEvent(new KeyboardEvent('keydown', { key: 'F4', code: 'F4', bubbles: true, cancelable: true })));
    for (let i = 0; i < 100 && q('tx-row') === null; i++) await tick(50);
    await act(async () => (q('tx-row') as HTMLElement).click());
    for (let i = 0; i < 100 && q('recheck-form') === null; i++) await tick(50);
    expect(q('recheck-form')).not.toBeNull();

    await recheck(orderId);
    expect(q('recheck-result')?.getAttribute('data-verdict')).toBe('not_paid');
    expect(q('recheck-result')?.textContent).toContain('未支付');

    sim.injectFault('bcm_resultquery_request', { kind: 'http_500' }, { count: 1_000_000 });
    expect(sim.pay(sale.tradeNo)).toBe(true);
    sim.injectFault('bcm_orderquery_request', { kind: 'rewrite', fields: { trade_amount: '1' } }, { count: 1 });
    await recheck(orderId);
    expect(q('recheck-result')?.getAttribute('data-verdict')).toBe('rejected');
    expect(q('recheck-result')?.textContent).toContain('不符');
    // The Chinese screen shows no English host text.
    expect(q('recheck-result')?.textContent).not.toMatch(/answer|reports/);
    expect(q('fact-status')?.textContent).not.toBe('已支付');

    await recheck(orderId);
    expect(q('recheck-result')?.getAttribute('data-verdict')).toBe('paid');
    for (let i = 0; i < 100 && q('fact-card-cardNo') === null; i++) await tick(50);
    expect(q('fact-card-cardNo')?.textContent).toMatch(/^622588\*+\d{4}$/);
    expect(q('fact-card-refNo')?.textContent).toMatch(/^\d{12}$/);
    expect(q('fact-card-traceNo')?.textContent).toMatch(/^\d{6}$/);
    const types = [...app.container.querySelectorAll('[data-testid="tx-event"]')].map((e) => e.getAttribute('data-type'));
    expect(types.filter((t) => t === 'supervisor_recheck')).toHaveLength(3);
    expect(types.filter((t) => t === 'yima.orderquery')).toHaveLength(3);
    expect(app.container.textContent).toContain('主管向翼码核对');
  }, 60_000);

  it('a malformed order number is refused on the form, nothing asked', async () => {
    const sim = app.core.trainingYima;
    let sale = { id: 0, tradeNo: '' };
    await act(async () => {
      await call('settings:save', { section: 'yima', value: SETTINGS, approval: SUPERVISOR });
      await call('training:script', { script: 'manual' });
      sale = await call('payment:create', { amountFen: 1_000, tender: 'card' });
    });
    for (let i = 0; i < 100 && (await call('payment:get', { id: sale.id })).status !== 'waiting'; i++) await tick(50);
    await act(async () => {
      await call('payment:cancel', { id: sale.id });
    });
    await act(async () => window.dispatchEvent(new KeyboardEvent('keydown', { key: 'F4', code: 'F4', bubbles: true, cancelable: true })));
    for (let i = 0; i < 100 && q('tx-row') === null; i++) await tick(50);
    await act(async () => (q('tx-row') as HTMLElement).click());
    for (let i = 0; i < 100 && q('recheck-form') === null; i++) await tick(50);
    await recheck('123');
    expect(q('recheck-error')?.textContent).toBe('翼码订单号应为 13 到 31 位字母或数字');
    expect(sim.countRequests('bcm_orderquery_request')).toBe(0);
  }, 60_000);
});
