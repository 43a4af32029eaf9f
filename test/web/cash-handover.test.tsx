import { act } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { call } from '../../src/renderer/src/bridge/client';
import { useLang } from '../../src/renderer/src/i18n';
import { mountApp, tick, type MountedApp } from './mount';

function setInput(el: HTMLInputElement, value: string): void {
  Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')?.set?.call(el, value);
  el.dispatchEvent(new Event('input', { bubbles: true }));
}

async function press(key: string, target: EventTarget = document.activeElement ?? window): Promise<void> {
  await act(async () => {
    target.dispatchEvent(new KeyboardEvent('keydown', { key, code: key, bubbles: true, cancelable: true }));
  });
}

/** 交班 with the drawer count (issue 12.5), in the real renderer over a real core. */
describe('handover drawer count (renderer)', () => {
  let app: MountedApp;
  afterEach(async () => app.close());

  it('asks for the counted cash, shows expected (float + cash sales − refunds) against it and the difference', async () => {
    useLang.getState().setLang('zh');
    app = await mountApp({ code: '001', pin: '1111' });
    await act(async () => {
      await call('payment:create', { amountFen: 3_780, tender: 'cash', tenderedFen: 10_000 });
    });
    await press('F12', window);
    await tick(50);
    const field = app.q('handover-counted') as HTMLInputElement;
    expect(field).not.toBeNull();
    expect(document.activeElement).toBe(field);
    // Float 0 (default) + 37.80 cash: 37.50 counted is 0.30 short.
    await act(async () => setInput(field, '37.5'));
    await press('Enter', field);
    for (let i = 0; i < 40 && app.q('handover-drawer') === null; i++) await tick(50);
    expect(app.q('handover-expected')?.textContent).toBe('¥37.80');
    expect(app.q('handover-difference')?.textContent).toBe('短款 ¥0.30');
    await call('session:signIn', { code: '800', pin: '8888' });
    const shift = (await call('shift:list', { day: (await call('day:current', undefined)).day }))[0];
    expect(shift?.report?.drawer).toMatchObject({ expectedFen: 3_780, countedFen: 3_750, differenceFen: -30 });
  }, 60_000);
});
