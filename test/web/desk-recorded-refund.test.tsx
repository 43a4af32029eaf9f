import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call } from '../../src/renderer/src/bridge/client';
import { useLang } from '../../src/renderer/src/i18n';
import { mountApp, tick, type MountedApp } from './mount';

function setInput(el: HTMLInputElement, value: string): void {
  Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')?.set?.call(el, value);
  el.dispatchEvent(new Event('input', { bubbles: true }));
}

/** The refund desk records refunds with no gateway call: cash back from the drawer, card refunds done on the terminal. */
describe('refund desk: recorded refunds (issue 12.4, 11.7)', () => {
  let app: MountedApp;
  const q = (id: string): HTMLElement | null => app.q(id);
  const input = (id: string): HTMLInputElement => q(id) as HTMLInputElement;

  beforeEach(async () => {
    useLang.getState().setLang('zh');
    app = await mountApp({ code: '800', pin: '8888' });
  }, 60_000);
  afterEach(async () => app.close(), 60_000);

  async function open(code: string): Promise<void> {
    await act(async () => window.dispatchEvent(new KeyboardEvent('keydown', { key: 'F3', code: 'F3', bubbles: true, cancelable: true })));
    for (let i = 0; i < 50 && q('refund-desk') === null; i++) await tick(50);
    await act(async () => setInput(input('desk-search'), code));
    await act(async () => input('desk-search').form?.requestSubmit());
    for (let i = 0; i < 50 && q('refund-form') === null; i++) await tick(50);
    expect(q('refund-form')).not.toBeNull();
  }

  async function fill(amount: string, reference?: string): Promise<void> {
    await act(async () => {
      setInput(input('refund-amount'), amount);
      setInput(input('refund-reason'), '顾客退货');
      if (reference !== undefined) setInput(input('refund-reference'), reference);
      setInput(input('refund-approval-code'), '800');
      setInput(input('refund-approval-pin'), '8888');
    });
    await act(async () => (q('refund-form') as HTMLFormElement).requestSubmit());
    await tick(300);
  }

  it('a cash sale: the form says the drawer opens; the refund is recorded at once and capped', async () => {
    let tradeNo = '';
    await act(async () => {
      tradeNo = (await call('payment:create', { amountFen: 3_780, tender: 'cash', tenderedFen: 5_000 })).tradeNo;
    });
    await open(tradeNo);
    expect(q('refund-cash-note')?.textContent).toContain('钱箱打开');
    // The sale's facts say what the customer handed over and the change (the receipt's 实收 / 找零), not an internal 'cash' answer.
    expect(q('fact-cash-tendered')?.textContent).toBe('¥50.00');
    expect(q('fact-cash-change')?.textContent).toBe('¥12.20');
    expect(q('payment-facts')?.textContent).not.toContain('网关应答');
    expect(q('desk-totals')?.textContent).toContain('已付金额¥37.80');
    expect(q('refund-reference')).toBeNull();
    await fill('10');
    expect(q('desk-last-refund')?.getAttribute('data-status')).toBe('succeeded');
    await fill('30');
    expect(q('refund-error')?.textContent).toContain('27.80');
  }, 60_000);

  it('a card sale: the terminal reference is asked for and recorded', async () => {
    await act(async () => {
      await call('training:script', { script: 'success' });
    });
    let id = 0;
    await act(async () => {
      id = (await call('payment:create', { amountFen: 12_000, tender: 'card' })).id;
    });
    let paid = await call('payment:get', { id });
    for (let i = 0; i < 100 && paid.status !== 'paid'; i++) {
      await tick(100);
      paid = await call('payment:get', { id });
    }
    await open(paid.tradeNo);
    expect(q('desk-card-note')?.textContent).toContain('参考号');
    await fill('50');
    expect(q('refund-error')?.textContent).toBe('请填写刷卡终端退款凭条上的参考号');
    await fill('50', 'T0012345');
    expect(q('desk-last-refund')?.getAttribute('data-status')).toBe('succeeded');
    const detail = await call('refund:detail', { paymentId: id });
    expect(detail.refunds).toEqual([expect.objectContaining({ amountFen: 5_000, gatewayRef: 'T0012345', status: 'succeeded', approvedBy: '800' })]);
  }, 60_000);
});
