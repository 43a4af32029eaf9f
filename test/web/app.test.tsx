import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCore, type Core } from '../../src/core/app/core';
import { createMemoryBridge } from '../../src/core/ipc/memory-bridge';
import { createFileKeyCipher } from '../../src/core/secrets/cipher';
import { silentLogger } from '../../src/core/util/logger';
import { App } from '../../src/renderer/src/App';
import { setBridge } from '../../src/renderer/src/bridge/client';
import { useLang } from '../../src/renderer/src/i18n';
import { tempDir } from '../support/temp';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

describe('cashier shell (renderer, real core over the in-memory bridge)', () => {
  let core: Core;
  let cleanup: () => void;
  let root: Root;
  let container: HTMLElement;

  beforeEach(async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    core = await startCore({ dataDir: t.dir, version: '4.5.6', platform: 'web', cipher: createFileKeyCipher(t.dir), logger: silentLogger });
    setBridge(createMemoryBridge(core.dispatch, core.bus, 'cashier'));
    container = document.createElement('div');
    document.body.appendChild(container);
    root = createRoot(container);
    useLang.getState().setLang('zh');
  });

  afterEach(async () => {
    act(() => root.unmount());
    container.remove();
    setBridge(null);
    await core.close();
    cleanup();
  });

  it('shows the training banner, mode and version that came from the core', async () => {
    await act(async () => root.render(<App />));
    await act(() => new Promise((r) => setTimeout(r, 50)));
    expect(container.querySelector('[data-testid="training-banner"]')?.textContent).toContain('培训模式');
    expect(container.querySelector('[data-testid="app-version"]')?.textContent).toContain('4.5.6');
    expect(container.querySelector('[data-testid="signin"]')).not.toBeNull();
  });

  it('switches to English and back without hard-coded strings', async () => {
    await act(async () => root.render(<App />));
    await act(() => new Promise((r) => setTimeout(r, 50)));
    const button = container.querySelector('button.lang') as HTMLButtonElement;
    await act(async () => button.click());
    expect(container.querySelector('[data-testid="training-banner"]')?.textContent).toContain('TRAINING MODE');
    await act(async () => (container.querySelector('button.lang') as HTMLButtonElement).click());
    expect(container.querySelector('[data-testid="training-banner"]')?.textContent).toContain('培训模式');
  });
});
