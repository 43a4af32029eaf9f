import { act } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { call } from '../../src/renderer/src/bridge/client';
import { useLang } from '../../src/renderer/src/i18n';
import { mountApp, press, tick, type MountedApp } from './mount';

function setInput(el: HTMLInputElement, value: string): void {
  Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')?.set?.call(el, value);
  el.dispatchEvent(new Event('input', { bubbles: true }));
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
    await press('F12', 'F12', window);
    await tick(50);
    const field = app.q('handover-counted') as HTMLInputElement;
    expect(field).not.toBeNull();
    expect(document.activeElement).toBe(field);
    // Float 0 (default) + 37.80 cash: 37.50 counted is 0.30 short.
    await act(async () => setInput(field, '37.5'));
    await press('Enter', 'Enter', field);
    for (let i = 0; i < 40 && app.q('handover-drawer') === null; i++) await tick(50);
    expect(app.q('handover-expected')?.textContent).toBe('¥37.80');
    expect(app.q('handover-difference')?.textContent).toBe('短款 ¥0.30');
    let shift: Awaited<ReturnType<typeof call<'shift:list'>>>[number] | undefined;
    await act(async () => {
      await call('session:signIn', { code: '800', pin: '8888' });
      shift = (await call('shift:list', { day: (await call('day:current', undefined)).day }))[0];
    });
    expect(shift?.report?.drawer).toMatchObject({ expectedFen: 3_780, countedFen: 3_750, differenceFen: -30 });
  }, 60_000);

  it('F8 with no sale opens the no-sale drawer form; a cashier PIN is refused, a supervisor is recorded (here with no printer: said so)', async () => {
    useLang.getState().setLang('zh');
    app = await mountApp({ code: '001', pin: '1111' });
    expect(app.q('checkout-keys')?.textContent).toContain('开钱箱（主管）');
    await press('F8', 'F8', window);
    await tick(30);
    expect(app.q('drawer-form')).not.toBeNull();
    const fill = async (code: string, pin: string): Promise<void> => {
      await act(async () => {
        setInput(app.q('drawer-reason') as HTMLInputElement, '换零钱');
        setInput(app.q('drawer-code') as HTMLInputElement, code);
        setInput(app.q('drawer-pin') as HTMLInputElement, pin);
      });
      await act(async () => (app.q('drawer-form') as HTMLFormElement).requestSubmit());
      await tick(300);
    };
    await fill('001', '1111');
    expect(app.q('drawer-error')?.textContent).toContain('主管');
    await fill('800', '8888');
    expect(app.q('drawer-error')?.textContent).toContain('未配置');
    const rows = app.core.db.prepare("SELECT type, actor FROM events WHERE entity = 'device' AND type LIKE 'drawer%' ORDER BY id").all();
    expect(rows).toEqual([
      { type: 'drawer_no_sale', actor: '001' },
      { type: 'drawer_failed', actor: '001' },
    ]);
    await press('Escape', 'Escape', app.q('drawer-reason') as HTMLElement);
    await tick(30);
    expect(app.q('drawer-form')).toBeNull();
  }, 60_000);

  it('an empty drawer counted as 0 is a count (all short), not an invalid amount', async () => {
    useLang.getState().setLang('zh');
    app = await mountApp({ code: '001', pin: '1111' });
    await act(async () => {
      await call('payment:create', { amountFen: 500, tender: 'cash', tenderedFen: 500 });
    });
    await press('F12', 'F12', window);
    await tick(50);
    await act(async () => setInput(app.q('handover-counted') as HTMLInputElement, '0'));
    await press('Enter', 'Enter', app.q('handover-counted') as HTMLElement);
    for (let i = 0; i < 40 && app.q('handover-drawer') === null; i++) await tick(50);
    expect(app.q('handover-difference')?.textContent).toBe('短款 ¥5.00');
  }, 60_000);
});
