/**
 * Issue 11.7 / brief item 3: a Yima card sale the cashier abandons (Esc) — Yima has no cancel, so the
 * sale stays 状态未明 and keeps being queried — must not hold the counter: the next sale can be taken at
 * once, and the abandoned sale's later updates (each query, a late payment) do not bring it back onto
 * the checkout. The renderer (App) in happy-dom over the in-memory bridge to a real core and the real
 * Yima simulator on loopback.
 */
import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call } from '../../src/renderer/src/bridge/client';
import { useLang } from '../../src/renderer/src/i18n';
import { useAppStore } from '../../src/renderer/src/store/app-store';
import { mountApp, press, tick, typeSlowly, type MountedApp } from './mount';
import { YIMA_TEST_SETTINGS as SETTINGS } from '../support/yima';

const SUPERVISOR = { code: '800', pin: '8888' };

describe('checkout after an abandoned Yima sale', () => {
  let app: MountedApp;
  const q = (id: string): HTMLElement | null => app.q(id);

  beforeEach(async () => {
    useLang.getState().setLang('zh');
    app = await mountApp({ code: '001', pin: '1111' });
    await act(async () => {
      await call('settings:save', { section: 'yima', value: SETTINGS, approval: SUPERVISOR });
      await useAppStore.getState().load();
      await call('training:script', { script: 'manual' });
    });
    await tick(100);
  }, 60_000);
  afterEach(async () => app.close(), 60_000);

  async function until(what: string, done: () => boolean): Promise<void> {
    for (let i = 0; i < 200 && !done(); i++) await tick(50);
    expect(done(), what).toBe(true);
  }

  it('Esc on a Yima sale waiting on the card POS: 状态未明 and still followed, and the counter takes the next sale at once', async () => {
    await press('F9');
    expect(q('tender')?.getAttribute('data-tender')).toBe('card');
    await typeSlowly('12');
    await press('Enter');
    await until('the order is pushed and waiting', () => q('yima-prompt') !== null);
    const abandoned = (await call('payment:current', undefined)).payment!;
    // The push answered (the checkout is no longer busy sending it).
    for (let i = 0; i < 100 && (await call('payment:get', { id: abandoned.id })).status !== 'waiting'; i++) await tick(50);
    await tick(50);
    await press('Escape');
    await until('abandoned → 状态未明', () => q('payment-pending')?.getAttribute('data-status') === 'unknown');
    expect(app.container.textContent).toContain('继续查询');
    // The keys say how to go on; Enter starts the next sale.
    const keys = (): string[] => [...(q('checkout-keys')?.querySelectorAll('.key') ?? [])].map((k) => k.textContent ?? '');
    expect(keys()).toContainEqual(expect.stringMatching(/^Enter.*下一笔$/));
    expect(keys()).toContainEqual(expect.stringMatching(/^F8 主管处理$/));
    await press('Enter');
    await until('an empty entry', () => q('amount-display') !== null);

    // The abandoned sale is queried again (a scheduled query, a notification, F5 elsewhere): it stays off the checkout.
    await act(async () => {
      await call('payment:requery', { id: abandoned.id });
    });
    await tick(100);
    expect(q('amount-display')).not.toBeNull();
    expect(q('payment-pending')).toBeNull();

    // The next sale goes through; the customer pays the abandoned one late: recorded paid, still not on screen.
    await act(async () => {
      await call('training:script', { script: 'manual' });
    });
    await press('F9');
    expect(q('tender')?.getAttribute('data-tender')).toBe('card');
    await typeSlowly('3');
    await press('Enter');
    await until('the next sale is pushed', () => q('yima-prompt') !== null);
    const next = (await call('payment:current', undefined)).payment!;
    expect(next.id).toBeGreaterThan(abandoned.id);
    expect(app.core.trainingYima.pay(abandoned.tradeNo)).toBe(true);
    await act(async () => {
      await call('payment:requery', { id: abandoned.id });
    });
    await until('the late payment recorded', () => true);
    expect((await call('payment:get', { id: abandoned.id })).status).toBe('paid');
    await tick(100);
    // The screen still shows the sale in progress, not the late one — which is named only in the notice that
    // the customer paid it after all (to be refunded on the terminal if the sale is off).
    expect(q('payment-trace')).toBeNull();
    expect(q('payment-pending')?.textContent).toContain(next.tradeNo);
    expect(q('payment-pending')?.textContent).not.toContain(abandoned.tradeNo);
    await until('the late payment noticed', () => q('late-paid') !== null);
    expect(q('late-paid')?.textContent).toContain(abandoned.tradeNo);
    expect(q('late-paid')?.textContent).toContain('刷卡机上为顾客退款');
  }, 60_000);
  it('Esc while the push is still on its way to Yima is not lost: the sale is abandoned once the push is answered, and the counter goes on', async () => {
    // The create is answered after 1.5 s: the sale is on screen (waiting on the card POS) while the call is in flight.
    app.core.trainingYima.injectFault('bcm_ordercreate_request', { kind: 'delay', ms: 1500 });
    await press('F9');
    await typeSlowly('7');
    await press('Enter');
    await until('the sale on screen', () => q('yima-prompt') !== null);
    const sale = (await call('payment:current', undefined)).payment!;
    expect((await call('payment:get', { id: sale.id })).status).toBe('created'); // the push not answered yet
    await press('Escape');
    await until('abandoned → 状态未明', () => q('payment-pending')?.getAttribute('data-status') === 'unknown');
    const after = await call('payment:get', { id: sale.id });
    expect(after.closeRequested).toBe(true);
    expect(app.core.trainingYima.countRequests('bcm_ordercreate_request')).toBe(1); // pushed once
    await press('Enter');
    await until('an empty entry', () => q('amount-display') !== null);
  }, 60_000);
});
