/**
 * Settings → Yima: the one-time terminal binding panel (issue 11.4). Shown only with `bindingEnabled`;
 * labelled a guess; a manager's code + PIN; Yima's outcome said in words (training mode binds the
 * simulator's training terminal, and says so); a second binding of the same terminal is refused with a
 * message, not sent. A real core over the in-memory bridge, the real Yima simulator on loopback.
 */
import { act } from 'react';
import { createRoot } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call } from '../../src/renderer/src/bridge/client';
import { useLang } from '../../src/renderer/src/i18n';
import '../../src/renderer/src/i18n/back-office';
import { YimaSection } from '../../src/renderer/src/screens/manage/YimaSection';
import { mountApp, tick, type MountedApp } from './mount';
import { YIMA_TEST_SETTINGS as SETTINGS } from '../support/yima';

function setInput(el: HTMLInputElement, value: string): void {
  Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')?.set?.call(el, value);
  el.dispatchEvent(new Event('input', { bubbles: true }));
}

const SUPERVISOR = { code: '800', pin: '8888' };

describe('Settings → Yima: terminal binding', () => {
  let app: MountedApp;
  let host: HTMLElement;
  const q = (id: string): HTMLElement | null => host.querySelector(`[data-testid="${id}"]`);

  beforeEach(async () => {
    useLang.getState().setLang('zh');
    app = await mountApp({ code: '900', pin: '9999' });
    host = document.createElement('div');
    document.body.appendChild(host);
  }, 60_000);
  afterEach(async () => {
    host.remove();
    await app.close();
  }, 60_000);

  async function render(): Promise<() => void> {
    const view = await call('settings:get', undefined);
    const root = createRoot(host);
    await act(async () => root.render(<YimaSection view={view} onSaved={() => undefined} />));
    return () => act(() => root.unmount());
  }

  async function bind(code: string, pin: string): Promise<void> {
    await act(async () => {
      setInput(q('yima-bind-store-name') as HTMLInputElement, '南京路店');
      setInput(q('yima-bind-approval-code') as HTMLInputElement, code);
      setInput(q('yima-bind-approval-pin') as HTMLInputElement, pin);
    });
    await act(async () => (q('section-yima-bind') as HTMLFormElement).requestSubmit());
    for (let i = 0; i < 100 && q('yima-bind-submit')?.hasAttribute('disabled') !== false; i++) await tick(50);
    await tick(50);
  }

  it('hidden unless enabled; bound once by a manager, said as a guess; a second time refused with a message', async () => {
    await act(async () => {
      await call('settings:save', { section: 'yima', value: SETTINGS, approval: SUPERVISOR });
    });
    let unmount = await render();
    expect(q('section-yima-bind')).toBeNull();
    expect(q('yima-binding-enabled')).not.toBeNull();
    unmount();
    await act(async () => {
      await call('settings:save', { section: 'yima', value: { ...SETTINGS, bindingEnabled: true }, approval: SUPERVISOR });
    });
    unmount = await render();
    expect(q('section-yima-bind')?.textContent).toContain('推测');
    await bind('800', '8888');
    expect(q('yima-bind-error')?.textContent).not.toBe('');
    expect(q('yima-bind-result')).toBeNull();
    expect(app.core.trainingYima.countRequests('bind_pos_request')).toBe(0);

    await bind('900', '9999');
    expect(q('yima-bind-result')?.getAttribute('data-verdict')).toBe('bound');
    expect(q('yima-bind-result')?.textContent).toContain('培训');
    expect(app.core.trainingYima.binding('POS01')).toEqual({ storeId: 'TRAIN01', storeName: '南京路店' });

    await bind('900', '9999');
    expect(q('yima-bind-error')?.textContent).toBe('此终端已绑定，绑定只需做一次。更换终端号或门店号后才能再次绑定。');
    expect(app.core.trainingYima.countRequests('bind_pos_request')).toBe(1);
    unmount();
    // Reopened, the panel shows the kept outcome.
    unmount = await render();
    expect(q('yima-bind-result')?.getAttribute('data-verdict')).toBe('bound');
    unmount();
  }, 60_000);
});
