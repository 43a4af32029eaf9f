/**
 * A QR sale the cashier cancels while the bank cannot be reached for the close (S lost: reset every time)
 * is 状态未明 — the QR is withdrawn, the core sends the close again and keeps querying — but it must not hold
 * the counter until a supervisor comes: Enter takes the next sale. If the customer had already scanned and
 * pays anyway, the core records a late payment, and the checkout says so (which order, how much, refund at
 * the desk) instead of letting a paid sale nobody wanted pass unseen. The renderer (App) in happy-dom over
 * the in-memory bridge to a real core and the real BPC training simulator on loopback.
 */
import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call } from '../../src/renderer/src/bridge/client';
import { useLang } from '../../src/renderer/src/i18n';
import { mountApp, press, tick, typeSlowly, type MountedApp } from './mount';

describe('checkout after a cancelled QR sale whose close the bank never confirmed', () => {
  let app: MountedApp;
  const q = (id: string): HTMLElement | null => app.q(id);
  const keys = (): string[] => [...(q('checkout-keys')?.querySelectorAll('.key') ?? [])].map((k) => k.textContent ?? '');

  beforeEach(async () => {
    useLang.getState().setLang('zh');
    app = await mountApp({ code: '001', pin: '1111' });
    await act(async () => {
      await call('training:script', { script: 'manual' });
    });
    await tick(50);
  }, 60_000);
  afterEach(async () => app.close(), 60_000);

  async function until(what: string, done: () => boolean): Promise<void> {
    for (let i = 0; i < 200 && !done(); i++) await tick(50);
    expect(done(), what).toBe(true);
  }

  it('状态未明 after Esc does not hold the counter; a late payment of it is shown on the entry until the next sale is taken', async () => {
    await typeSlowly('23.5');
    await press('Enter');
    await until('the QR on screen', () => q('cashier-qr') !== null);
    const sale = (await call('payment:current', undefined)).payment!;
    for (let i = 0; i < 60 && (await call('payment:get', { id: sale.id })).status !== 'waiting'; i++) await tick(50);
    // Every close is lost on its way to the bank (the order stays payable there).
    app.core.trainingGateway.injectFault('S', { kind: 'reset' }, { count: 20 });
    await press('Escape');
    await until('the close unclear → 状态未明', () => q('payment-pending')?.getAttribute('data-status') === 'unknown');
    expect(q('cashier-qr')).toBeNull();
    expect(q('qr-withdrawn')).not.toBeNull();
    expect(q('unknown-help')?.textContent).toContain('可按 Enter 收下一笔');
    expect(keys()).toContainEqual(expect.stringMatching(/^Enter.*下一笔$/));
    expect(keys()).toContainEqual(expect.stringMatching(/^F8 主管处理$/));
    expect(keys()).not.toContainEqual(expect.stringMatching(/^Esc/)); // no second cancel

    await press('Enter');
    await until('an empty entry', () => q('amount-display') !== null);
    expect(q('late-paid')).toBeNull();

    // The customer had scanned before the QR was withdrawn and pays now: a late payment, recorded as paid.
    const sysTrace = (await call('payment:get', { id: sale.id })).sysTrace!;
    expect(app.core.trainingGateway.pay(sysTrace)).toBe(true);
    await act(async () => {
      await call('payment:requery', { id: sale.id });
    });
    await until('the late payment noticed', () => q('late-paid') !== null);
    expect((await call('payment:get', { id: sale.id })).status).toBe('paid');
    expect(q('late-paid')?.textContent).toContain(sale.tradeNo);
    expect(q('late-paid')?.textContent).toContain('23.50');
    expect(q('late-paid')?.textContent).toContain('退款台');
    // Still the entry: the late sale is not brought back on screen.
    expect(q('amount-display')).not.toBeNull();
    expect(q('payment-result')).toBeNull();

    // Taking the next sale clears the notice; a later update of the same sale does not bring it back.
    await act(async () => {
      await call('training:script', { script: 'manual' });
    });
    await typeSlowly('5');
    await press('Enter');
    await until('the next QR', () => q('cashier-qr') !== null);
    expect(q('late-paid')).toBeNull();
    await act(async () => {
      await call('payment:requery', { id: sale.id });
    });
    await tick(200);
    expect(q('late-paid')).toBeNull();

    // At the refund desk the sale says it was paid after the cashier cancelled it.
    await press('Escape');
    await act(async () => window.dispatchEvent(new KeyboardEvent('keydown', { key: 'F3', code: 'F3', bubbles: true, cancelable: true })));
    await until('the refund desk', () => q('refund-desk') !== null);
    const search = q('desk-search') as HTMLInputElement;
    await act(async () => {
      Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')?.set?.call(search, sale.tradeNo);
      search.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await act(async () => search.form?.requestSubmit());
    await until('the sale found', () => q('fact-late-paid') !== null);
    expect(q('fact-late-paid')?.textContent).toContain('退款台');
  }, 60_000);

  it('a close that is merely slow is not abandoned: the sale holds the checkout until the bank says closed', async () => {
    await typeSlowly('8');
    await press('Enter');
    await until('the QR on screen', () => q('cashier-qr') !== null);
    const sale = (await call('payment:current', undefined)).payment!;
    for (let i = 0; i < 60 && (await call('payment:get', { id: sale.id })).status !== 'waiting'; i++) await tick(50);
    app.core.trainingGateway.injectFault('S', { kind: 'delay', ms: 800 });
    await press('Escape');
    await until('the QR withdrawn', () => q('qr-withdrawn') !== null);
    expect(keys()).not.toContainEqual(expect.stringMatching(/^Enter.*下一笔$/));
    await until('closed', () => q('payment-result')?.getAttribute('data-status') === 'closed');
  }, 60_000);
});
