import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCore, type Core } from '../../src/core/app/core';
import { createMemoryBridge } from '../../src/core/ipc/memory-bridge';
import { createFileKeyCipher } from '../../src/core/secrets/cipher';
import { silentLogger } from '../../src/core/util/logger';
import { App } from '../../src/renderer/src/App';
import { call, setBridge } from '../../src/renderer/src/bridge/client';
import { useLang } from '../../src/renderer/src/i18n';
import { useSessionStore } from '../../src/renderer/src/store/session-store';
import { usePaymentStore } from '../../src/renderer/src/store/payment-store';
import { tempDir } from '../support/temp';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const tick = (ms = 30): Promise<void> => act(() => new Promise<void>((r) => setTimeout(r, ms)));

/** A key on the focused element, as a keyboard (or a keyboard-wedge scanner) sends it; typed into a text field when not prevented. */
function key(name: string): void {
  const target = document.activeElement ?? document.body;
  const e = new KeyboardEvent('keydown', { key: name, code: /^\d$/.test(name) ? `Digit${name}` : name, bubbles: true, cancelable: true });
  const typed = target.dispatchEvent(e);
  if (typed && name.length === 1 && target instanceof HTMLInputElement) {
    Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')?.set?.call(target, target.value + name);
    target.dispatchEvent(new Event('input', { bubbles: true }));
  }
  if (typed && name === 'Enter' && target instanceof HTMLInputElement) target.form?.requestSubmit();
}

async function press(name: string): Promise<void> {
  await act(async () => key(name));
}

/** A scanner: the whole code and its Enter at once (a few ms per key; faster than the screen redraws). */
async function scan(code: string): Promise<void> {
  await act(async () => {
    for (const ch of code) key(ch);
    key('Enter');
  });
}

describe('refund desk: a scan goes to the search wherever the focus is (9.7)', () => {
  let core: Core;
  let cleanup: () => void;
  let root: Root;
  let container: HTMLElement;
  const q = (id: string): HTMLElement | null => container.querySelector(`[data-testid="${id}"]`);
  const input = (id: string): HTMLInputElement => q(id) as HTMLInputElement;

  async function paidSale(amountFen: number): Promise<string> {
    let trace = '';
    await act(async () => {
      await call('training:script', { script: 'manual' });
      const p = await call('payment:create', { amountFen });
      await call('training:pay', { id: p.id });
      for (let i = 0; i < 100; i++) {
        const row = (await call('refund:find', { code: p.tradeNo }))[0];
        if (row?.status === 'paid') {
          trace = row.sysTrace ?? '';
          break;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    });
    return trace;
  }

  beforeEach(async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    core = await startCore({ dataDir: t.dir, version: '1.0.0', platform: 'web', cipher: createFileKeyCipher(t.dir), logger: silentLogger });
    setBridge(createMemoryBridge(core.dispatch, core.bus, 'cashier'));
    usePaymentStore.setState({ payment: null, finalSeenAt: null });
    useLang.getState().setLang('zh');
    container = document.createElement('div');
    document.body.appendChild(container);
    root = createRoot(container);
    await act(async () => root.render(<App />));
    await tick(50);
    await act(async () => {
      useSessionStore.getState().set(await call('session:signIn', { code: '800', pin: '8888' }));
    });
    await tick(50);
  }, 60_000);

  afterEach(async () => {
    act(() => root.unmount());
    container.remove();
    setBridge(null);
    await core.close();
    cleanup();
  }, 60_000);

  async function openDesk(): Promise<void> {
    await press('F3');
    for (let i = 0; i < 50 && q('refund-desk') === null; i++) await tick(50);
    expect(q('refund-desk')).not.toBeNull();
  }

  it('a receipt scanned while the refund amount field has the focus opens that sale, the amount field keeps what was typed, nothing is refunded', async () => {
    const first = await paidSale(1500);
    const second = await paidSale(2500);
    expect(first).not.toBe('');
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
