import { act } from 'react';
import { createRoot } from 'react-dom/client';
import { startCore, type Core } from '../../src/core/app/core';
import { createMemoryBridge } from '../../src/core/ipc/memory-bridge';
import { createFileKeyCipher } from '../../src/core/secrets/cipher';
import { silentLogger } from '../../src/core/util/logger';
import { App } from '../../src/renderer/src/App';
import { call, setBridge } from '../../src/renderer/src/bridge/client';
import { usePaymentStore } from '../../src/renderer/src/store/payment-store';
import { useSessionStore } from '../../src/renderer/src/store/session-store';
import { tempDir } from '../support/temp';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

/** Lets timers and React run for `ms`. */
export const tick = (ms = 30): Promise<void> => act(() => new Promise<void>((r) => setTimeout(r, ms)));

/** A key as a person presses it: keydown on the focused element (or `target`), bubbling to the window. */
export async function press(key: string, code = key, target: EventTarget = document.activeElement ?? window): Promise<void> {
  await act(async () => {
    target.dispatchEvent(new KeyboardEvent('keydown', { key, code, bubbles: true, cancelable: true }));
  });
}

/** Types like a person: 80 ms between keys (a faster burst ending in Enter is a scanner's). */
export async function typeSlowly(text: string, target?: EventTarget): Promise<void> {
  for (const ch of text) {
    await press(ch, ch === '.' ? 'Period' : `Digit${ch}`, target);
    await tick(80);
  }
}

export interface MountedApp {
  core: Core;
  container: HTMLElement;
  /** The element with this data-testid, or null. */
  q: (id: string) => HTMLElement | null;
  /** Unmounts, closes the core, removes its data directory. */
  close: () => Promise<void>;
}

/**
 * The cashier window's renderer (App) in happy-dom over the in-memory bridge to a real core on a
 * fresh data directory, optionally signed in (training defaults: 001/1111, 800/8888, 900/9999).
 */
export async function mountApp(signIn?: { code: string; pin: string }): Promise<MountedApp> {
  const data = tempDir();
  const core = await startCore({ dataDir: data.dir, version: '1.0.0', platform: 'web', cipher: createFileKeyCipher(data.dir), logger: silentLogger });
  setBridge(createMemoryBridge(core.dispatch, core.bus, 'cashier'));
  usePaymentStore.setState({ payment: null, finalSeenAt: null, leftId: null, latePaid: null });
  const container = document.createElement('div');
  document.body.appendChild(container);
  const root = createRoot(container);
  await act(async () => root.render(<App />));
  await tick(50);
  if (signIn !== undefined) {
    await act(async () => {
      useSessionStore.getState().set(await call('session:signIn', signIn));
    });
    await tick(50);
  }
  return {
    core,
    container,
    q: (id) => container.querySelector(`[data-testid="${id}"]`),
    close: async () => {
      act(() => root.unmount());
      container.remove();
      setBridge(null);
      await core.close();
      data.cleanup();
    },
  };
}

/** A paid training sale of `amountFen` (trainer "manual", then the simulated bank pays it); its row once paid. */
export async function paidTrainingSale(amountFen: number): Promise<{ id: number; tradeNo: string; sysTrace: string }> {
  let out = { id: 0, tradeNo: '', sysTrace: '' };
  await act(async () => {
    await call('training:script', { script: 'manual' });
    const p = await call('payment:create', { amountFen });
    await call('training:pay', { id: p.id });
    for (let i = 0; i < 100; i++) {
      const row = (await call('refund:find', { code: p.tradeNo }))[0];
      if (row?.status === 'paid') {
        out = { id: row.id, tradeNo: row.tradeNo, sysTrace: row.sysTrace ?? '' };
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  if (out.sysTrace === '') throw new Error('the training sale was not paid');
  return out;
}
