/**
 * One screen's render failure stays on that screen: the header and its keys still work, F1 goes back to
 * a working checkout — the window is not left blank (React unmounts everything on an uncaught render
 * error). The Transactions screen is replaced by one that throws, as a bug or an unloadable chunk would.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useLang } from '../../src/renderer/src/i18n';
import { mountApp, press, tick, type MountedApp } from './mount';

vi.mock('../../src/renderer/src/screens/Transactions', () => ({
  Transactions: (): never => {
    throw new Error('boom in Transactions');
  },
}));

describe('a screen that throws', () => {
  let app: MountedApp;
  beforeEach(async () => {
    useLang.getState().setLang('zh');
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    app = await mountApp({ code: '001', pin: '1111' });
  }, 60_000);
  afterEach(async () => {
    await app.close();
    vi.restoreAllMocks();
  }, 60_000);

  it('shows what happened on that screen only; F1 brings back a working checkout', async () => {
    await press('F4', 'F4', window);
    for (let i = 0; i < 50 && app.q('screen-failed') === null; i++) await tick(50);
    expect(app.q('screen-failed')?.textContent).toContain('这个页面出错了');
    expect(app.q('screen-failed')?.textContent).toContain('收款和退款不受影响');
    expect(app.q('screen-failed')?.textContent).toContain('boom in Transactions');
    expect(app.q('operator')).not.toBeNull(); // the header is still there
    await press('F1', 'F1', window);
    for (let i = 0; i < 50 && app.q('amount-display') === null; i++) await tick(50);
    expect(app.q('amount-display')).not.toBeNull();
    expect(app.q('screen-failed')).toBeNull();
  }, 60_000);
});
