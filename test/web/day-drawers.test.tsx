import { act } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { call } from '../../src/renderer/src/bridge/client';
import { useLang } from '../../src/renderer/src/i18n';
import { useSessionStore } from '../../src/renderer/src/store/session-store';
import { mountApp, tick, type MountedApp } from './mount';

/** 日结 (F6): the day's drawers shift by shift (issue 12.5), in the real renderer over a real core. */
describe('end of day screen: cash drawers by shift', () => {
  let app: MountedApp;
  afterEach(async () => app.close());

  it('shows each shift: operator, float, cash, expected, counted and the verdict; short in words; the open shift as not counted', async () => {
    useLang.getState().setLang('zh');
    app = await mountApp();
    await act(async () => {
      await call('session:signIn', { code: '001', pin: '1111', floatFen: 10_000 });
      await call('payment:create', { amountFen: 3_780, tender: 'cash', tenderedFen: 5_000 });
      await call('shift:handover', { countedFen: 13_750 });
      await call('session:signIn', { code: '800', pin: '8888', floatFen: 0 });
      await call('payment:create', { amountFen: 1_000, tender: 'cash', tenderedFen: 1_000 });
      useSessionStore.getState().set(await call('session:current', undefined));
    });
    await tick(50);
    await act(async () => {
      window.dispatchEvent(new KeyboardEvent('keydown', { key: 'F6', code: 'F6', bubbles: true, cancelable: true }));
    });
    for (let i = 0; i < 100 && app.q('drawers-table') === null; i++) await tick(50);
    const table = app.q('drawers-table');
    expect(table).not.toBeNull();
    const rows = [...(table?.querySelectorAll('tbody tr') ?? [])].map((r) => [...r.querySelectorAll('td')].map((c) => c.textContent));
    expect(rows).toEqual([
      ['001', '¥100.00', '¥37.80', '¥0.00', '¥137.80', '¥137.50', '短款 ¥0.30'],
      ['800', '¥0.00', '¥10.00', '¥0.00', '¥10.00', '—', '未交班（未清点）'],
      ['', '¥100.00', '¥47.80', '¥0.00', '¥147.80', '¥137.50', '短款 ¥0.30'],
    ]);
  }, 60_000);
});
