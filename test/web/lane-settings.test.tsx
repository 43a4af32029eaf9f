import { act, useState } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCore, type Core } from '../../src/core/app/core';
import { createMemoryBridge } from '../../src/core/ipc/memory-bridge';
import { newOrderNumber } from '../../src/core/ledger/order-numbers';
import { insertPaymentIntent } from '../../src/core/ledger/payments';
import { createFileKeyCipher } from '../../src/core/secrets/cipher';
import { silentLogger } from '../../src/core/util/logger';
import type { SettingsView } from '../../src/shared/ipc/contract';
import { setBridge } from '../../src/renderer/src/bridge/client';
import { useLang } from '../../src/renderer/src/i18n';
// The section's texts come with the back-office screens (Settings imports them; this test renders the section alone).
import '../../src/renderer/src/i18n/back-office';
import { LaneSection } from '../../src/renderer/src/screens/manage/BasicSections';
import { tempDir } from '../support/temp';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

function setInput(el: HTMLInputElement, value: string): void {
  const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')?.set;
  setter?.call(el, value);
  el.dispatchEvent(new Event('input', { bubbles: true }));
}

const tick = (ms = 30): Promise<void> => act(() => new Promise<void>((r) => setTimeout(r, ms)));

/** The lane section of Settings, against a real core over the in-memory bridge. */
describe('Settings: the counter lane', () => {
  let core: Core;
  let cleanup: () => void;
  let root: Root;
  let container: HTMLElement;

  beforeEach(async () => {
    const t = tempDir('lane-web-');
    cleanup = t.cleanup;
    core = await startCore({ dataDir: t.dir, version: '1', platform: 'web', cipher: createFileKeyCipher(t.dir), logger: silentLogger });
    setBridge(createMemoryBridge(core.dispatch, core.bus, 'cashier'));
    useLang.getState().setLang('zh');
    const signIn = await core.dispatch('session:signIn', { code: '001', pin: '1111' }, { role: 'cashier' });
    expect(signIn.ok).toBe(true);
    container = document.createElement('div');
    document.body.appendChild(container);
    root = createRoot(container);
  });
  afterEach(async () => {
    act(() => root.unmount());
    container.remove();
    setBridge(null);
    await core.close();
    cleanup();
  });

  async function view(): Promise<SettingsView> {
    const r = await core.dispatch('settings:get', undefined, { role: 'cashier' });
    if (!r.ok) throw new Error(r.error.message);
    return r.value as SettingsView;
  }

  function Harness({ initial }: { initial: SettingsView }): React.JSX.Element {
    const [v, setV] = useState(initial);
    return <LaneSection key={`${v.lane.code}-${String(v.lane.locked)}`} view={v} onSaved={setV} />;
  }

  const q = <T extends Element>(id: string): T | null => container.querySelector<T>(`[data-testid="${id}"]`);

  it('shows the derived lane, saves a new one with a supervisor, refuses a malformed one, and is read-only after a live sale', async () => {
    const first = await view();
    await act(async () => root.render(<Harness initial={first} />));
    expect(q<HTMLInputElement>('lane-code')?.value).toBe(first.lane.code);
    expect(container.textContent).toContain('首次启动时自动生成');

    setInput(q<HTMLInputElement>('lane-code')!, 'A1');
    setInput(q<HTMLInputElement>('lane-approval-code')!, '800');
    setInput(q<HTMLInputElement>('lane-approval-pin')!, '8888');
    await act(async () => q<HTMLButtonElement>('lane-save')!.click());
    await tick();
    expect(container.querySelector('[data-testid="field-error"][data-field="code"]')).not.toBeNull();
    expect((await view()).lane.code).toBe(first.lane.code);

    setInput(q<HTMLInputElement>('lane-code')!, '12');
    setInput(q<HTMLInputElement>('lane-approval-pin')!, '8888');
    await act(async () => q<HTMLButtonElement>('lane-save')!.click());
    for (let i = 0; i < 50 && (await view()).lane.code !== '12'; i++) await tick(20);
    await tick();
    expect((await view()).lane).toEqual({ code: '12', source: 'settings', locked: false });
    expect(container.textContent).toContain('在设置中设定');

    insertPaymentIntent(core.db, {
      tradeNo: newOrderNumber(core.db, 'P', Date.now()),
      merOrderNo: null,
      memo: null,
      mode: 'live',
      tender: 'qr',
      gateway: 'bpc',
      amountFen: 1,
      operator: '001',
      businessDay: '2026-12-01',
      now: Date.now(),
    });
    const locked = await view();
    await act(async () => root.render(<Harness key="locked" initial={locked} />));
    expect(q('lane-locked')?.textContent).toContain('台号已固定');
    expect(q('lane-code')?.textContent).toBe('12');
    expect(q('lane-save')).toBeNull();
    await act(async () => useLang.getState().setLang('en'));
    expect(q('lane-locked')?.textContent).toContain('the lane is fixed');
  }, 30_000);
});
