import { act } from 'react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call } from '../../src/renderer/src/bridge/client';
import { useLang } from '../../src/renderer/src/i18n';
import { mountApp, paidTrainingSale, tick, type MountedApp } from './mount';

/** A keydown as a keyboard (or a keyboard-wedge scanner) sends it. */
function keyEvent(name: string): KeyboardEvent {
  return new KeyboardEvent('keydown', { key: name, code: /^\d$/.test(name) ? `Digit${name}` : name, bubbles: true, cancelable: true });
}

/** Delivers a keydown to the focused element; typed into a text field (and Enter submits) when not prevented. */
function deliver(e: KeyboardEvent): void {
  const target = document.activeElement ?? document.body;
  const typed = target.dispatchEvent(e);
  if (typed && e.key.length === 1 && target instanceof HTMLInputElement) {
    Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')?.set?.call(target, target.value + e.key);
    target.dispatchEvent(new Event('input', { bubbles: true }));
  }
  if (typed && e.key === 'Enter' && target instanceof HTMLInputElement) target.form?.requestSubmit();
}

async function press(name: string): Promise<void> {
  await act(async () => deliver(keyEvent(name)));
}

/**
 * A scanner: the whole code and its Enter pressed within a millisecond or two (the events are made
 * first, so their timestamps are the scanner's, however long the screen takes to redraw after each).
 */
async function scan(code: string): Promise<void> {
  const events = [...code, 'Enter'].map(keyEvent);
  await act(async () => {
    for (const e of events) deliver(e);
  });
}

describe('refund desk: a scan goes to the search wherever the focus is (9.7)', () => {
  let app: MountedApp;
  const q = (id: string): HTMLElement | null => app.q(id);
  const input = (id: string): HTMLInputElement => q(id) as HTMLInputElement;

  beforeEach(async () => {
    useLang.getState().setLang('zh');
    app = await mountApp({ code: '800', pin: '8888' });
  }, 60_000);

  afterEach(async () => {
    await app.close();
  }, 60_000);

  async function openDesk(): Promise<void> {
    await press('F3');
    for (let i = 0; i < 50 && q('refund-desk') === null; i++) await tick(50);
    expect(q('refund-desk')).not.toBeNull();
  }

  it('a receipt scanned while the refund amount field has the focus opens that sale, the amount field keeps what was typed, nothing is refunded', async () => {
    const first = (await paidTrainingSale(1500)).sysTrace;
    const second = (await paidTrainingSale(2500)).sysTrace;
    await openDesk();
    await act(async () => input('desk-search').focus());
    await scan(first);
    for (let i = 0; i < 50 && q('refund-form') === null; i++) await tick(50);
    expect(q('desk-detail')?.textContent).toContain('15.00');
    // The refund amount field has the focus; the cashier typed 3 by hand, then the next receipt is scanned.
    await act(async () => input('refund-amount').focus());
    await press('3');
    await tick(100);
    await scan(second);
    for (let i = 0; i < 50 && !(q('desk-detail')?.textContent ?? '').includes('25.00'); i++) await tick(50);
    expect(input('desk-search').value).toBe(second);
    expect(q('desk-detail')?.textContent).toContain('25.00');
    expect(input('refund-amount').value).toBe('');
    const refunds = await call('refund:find', { code: first });
    expect(refunds[0]?.refundedFen).toBe(0);
  }, 60_000);

  it('a customer 付款码 scanned on the desk is searched and then explained, in zh and en; a hand-typed code is left alone', async () => {
    await openDesk();
    await act(async () => input('desk-day').focus());
    await scan('134567890123456789');
    for (let i = 0; i < 50 && q('desk-results') === null; i++) await tick(50);
    expect(input('desk-search').value).toBe('134567890123456789');
    expect(q('desk-results-count')?.textContent).toBe('未找到匹配的交易');
    expect(q('desk-paycode')?.textContent).toContain('付款码');
    await act(async () => useLang.getState().setLang('en'));
    expect(q('desk-paycode')?.textContent).toContain('payment code');
    expect(q('desk-paycode')?.textContent).not.toMatch(/[\u4e00-\u9fff，。]/);
    // Typed by hand (keys 80 ms apart) into the amount field: stays there, no search.
    await act(async () => input('desk-amount').focus());
    for (const ch of '1234') {
      await press(ch);
      await tick(80);
    }
    await press('Enter');
    await tick(200);
    expect(input('desk-amount').value).toBe('1234');
    expect(input('desk-search').value).toBe('134567890123456789');
  }, 60_000);
});
