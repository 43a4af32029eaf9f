import { createServer } from 'node:net';
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCore, type Core } from '../../src/core/app/core';
import { SETTING } from '../../src/core/config/config';
import { BPC_KEY } from '../../src/core/config/provisioning';
import { writeSetting } from '../../src/core/ledger/settings';
import { hashPin } from '../../src/core/operators/pin';
import { createMemoryBridge } from '../../src/core/ipc/memory-bridge';
import { createFileKeyCipher } from '../../src/core/secrets/cipher';
import { silentLogger } from '../../src/core/util/logger';
import { setBridge } from '../../src/renderer/src/bridge/client';
import { useLang } from '../../src/renderer/src/i18n';
import { Checkout } from '../../src/renderer/src/screens/Checkout';
import { tempDir } from '../support/temp';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

/** A loopback port with nothing listening on it: the bank is down. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((ok) => server.close(() => ok()));
  return port;
}

describe('status light on the checkout (issue 15.3)', () => {
  let core: Core | null = null;
  let root: Root | null = null;
  let container: HTMLElement | null = null;
  let t = tempDir('status-');
  beforeEach(() => {
    t = tempDir('status-');
  });

  afterEach(async () => {
    if (root !== null) act(() => root!.unmount());
    container?.remove();
    setBridge(null);
    await core?.close();
    t.cleanup();
  });

  it('live mode with the bank unreachable at start-up: red with the reason before any sale, in zh and en', async () => {
    // A counter set up for live mode whose bank cannot be reached.
    const setup = await startCore({ dataDir: t.dir, version: '1', platform: 'web', cipher: createFileKeyCipher(t.dir), logger: silentLogger });
    // Written as Settings would (no PIN hashing here: the machine running the tests is slow).
    writeSetting(
      setup.db,
      SETTING.merchant,
      { url: `http://127.0.0.1:${await deadPort()}/payApi`, mid: '104320170118888', posNo: '37381542', tellerNo: '001' },
      Date.now(),
    );
    setup.secrets.write(BPC_KEY, '01AC$@!BGT98aw#C');
    writeSetting(setup.db, SETTING.mode, 'live', Date.now());
    // Live mode is refused while the training PINs work (issue 8.8): give the defaults a new PIN.
    setup.db.prepare('UPDATE operators SET pin_hash = ?').run(await hashPin('246810'));
    await setup.close();

    core = await startCore({ dataDir: t.dir, version: '1', platform: 'web', cipher: createFileKeyCipher(t.dir), logger: silentLogger });
    expect(core.info().mode).toBe('live');
    setBridge(createMemoryBridge(core.dispatch, core.bus, 'cashier'));
    useLang.getState().setLang('zh');
    container = document.createElement('div');
    document.body.appendChild(container);
    root = createRoot(container);
    await act(async () => root!.render(<Checkout />));
    const light = (): HTMLElement | null => container!.querySelector('[data-testid="status-light"]');
    for (let i = 0; i < 100 && light()?.dataset.state !== 'error'; i++) await act(() => new Promise((r) => setTimeout(r, 50)));
    expect(light()?.dataset.state).toBe('error');
    expect(container.querySelector('[data-testid="status-reason-bpc"]')?.textContent).toBe('银行网关无法连接：请检查网络');
    // The ledger is fine and not reported as a problem.
    expect(container.querySelector('[data-testid="status-reason-ledger"]')).toBeNull();
    await act(async () => useLang.getState().setLang('en'));
    expect(container.querySelector('[data-testid="status-reason-bpc"]')?.textContent).toBe('Bank gateway unreachable: check the network');
    // No sale was made: the light said it first.
    expect(core.db.prepare('SELECT count(*) AS n FROM payments').get()).toEqual({ n: 0 });
  }, 30_000);

  it('training mode: green', async () => {
    core = await startCore({ dataDir: t.dir, version: '1', platform: 'web', cipher: createFileKeyCipher(t.dir), logger: silentLogger });
    setBridge(createMemoryBridge(core.dispatch, core.bus, 'cashier'));
    useLang.getState().setLang('zh');
    container = document.createElement('div');
    document.body.appendChild(container);
    root = createRoot(container);
    await act(async () => root!.render(<Checkout />));
    const light = (): HTMLElement | null => container!.querySelector('[data-testid="status-light"]');
    for (let i = 0; i < 100 && light()?.dataset.state === 'unknown'; i++) await act(() => new Promise((r) => setTimeout(r, 50)));
    expect(light()?.dataset.state).toBe('ok');
    expect(light()?.textContent).toContain('系统正常');
  }, 30_000);
});
