import { afterAll, describe, expect, it, vi } from 'vitest';
import { CHANNEL_NAMES } from '../../src/shared/ipc/contract';
import { tempDir } from '../support/temp';

/**
 * Electron's binary cannot run here, so `electron` is mocked and the real src/main/index.ts is
 * started against the mock: it must register a handler for every contract channel, open both
 * windows with the hardened options, and keep data under userData.
 */
const data = tempDir('main-');
const handled = new Map<string, (event: unknown, input: unknown) => Promise<unknown>>();
const windows: { options: Record<string, any>; contents: any; loaded: string[] }[] = [];
let whenReadyResolve: () => void = () => undefined;
const ready = new Promise<void>((resolve) => (whenReadyResolve = resolve));
let singleInstanceLock = true;
const sessionHandlers: Record<string, any> = {};
const appMenu: { value: unknown } = { value: 'default' };

vi.mock('electron', () => {
  let nextId = 1;
  class BrowserWindow {
    webContents: any;
    constructor(options: Record<string, unknown>) {
      const id = nextId++;
      const handlers: Record<string, unknown> = {};
      const entry = { options, contents: null as any, loaded: [] as string[] };
      this.webContents = {
        id,
        mainFrame: { url: '' },
        isDestroyed: () => false,
        closeDevTools: vi.fn(),
        send: vi.fn(),
        setWindowOpenHandler: vi.fn((fn: unknown) => (handlers.open = fn)),
        on: vi.fn((name: string, fn: unknown) => (handlers[name] = fn)),
        handlers,
      };
      entry.contents = this.webContents;
      windows.push(entry);
      this.loadFile = vi.fn((file: string) => {
        entry.loaded.push(file);
        this.webContents.mainFrame.url = `file://${file}`;
        return Promise.resolve();
      });
    }
    loadFile: (file: string) => Promise<void>;
    loadURL = vi.fn(() => Promise.resolve());
    on = vi.fn();
    once = vi.fn();
    show = vi.fn();
    static getAllWindows = () => [];
  }
  return {
    app: {
      requestSingleInstanceLock: () => singleInstanceLock,
      whenReady: () => ready,
      getPath: (name: string) => (name === 'userData' ? data.dir : '/nonexistent'),
      getVersion: () => '1.2.3',
      // As in the installed app: the packaged-build rules apply.
      isPackaged: true,
      on: vi.fn(),
      quit: vi.fn(),
      exit: vi.fn(),
    },
    BrowserWindow,
    ipcMain: { handle: vi.fn((channel: string, fn: any) => handled.set(channel, fn)) },
    Menu: { setApplicationMenu: vi.fn((menu: unknown) => (appMenu.value = menu)) },
    session: {
      defaultSession: {
        setPermissionRequestHandler: vi.fn((fn: unknown) => (sessionHandlers.request = fn)),
        setPermissionCheckHandler: vi.fn((fn: unknown) => (sessionHandlers.check = fn)),
        setDevicePermissionHandler: vi.fn((fn: unknown) => (sessionHandlers.device = fn)),
      },
    },
    safeStorage: {
      isEncryptionAvailable: () => true,
      // A Linux desktop without a secret service: Chromium's fixed-password backend.
      getSelectedStorageBackend: () => 'basic_text',
      encryptString: (s: string) => Buffer.from(`enc:${s}`),
      decryptString: (b: Buffer) => b.toString().replace(/^enc:/, ''),
    },
    screen: {
      getAllDisplays: () => [
        { id: 1, bounds: { x: 0, y: 0, width: 1920, height: 1080 } },
        { id: 2, bounds: { x: 1920, y: 0, width: 1024, height: 768 } },
      ],
      getPrimaryDisplay: () => ({ id: 1 }),
    },
  };
});

afterAll(() => data.cleanup());

async function started(): Promise<void> {
  await import('../../src/main/index');
  whenReadyResolve();
  await vi.waitFor(() => expect(windows.length).toBe(2), { timeout: 5000 });
  await vi.waitFor(() => expect(windows[1]!.loaded.length).toBe(1));
}

describe('electron main (mocked electron)', () => {
  it('registers a handler for every contract channel', async () => {
    await started();
    expect([...handled.keys()].sort()).toEqual([...CHANNEL_NAMES].sort());
  });

  it('opens the cashier and the customer display with sandboxed, isolated renderers', () => {
    for (const { options } of windows) {
      expect(options.webPreferences).toMatchObject({ sandbox: true, contextIsolation: true, nodeIntegration: false, webSecurity: true });
      expect(String(options.webPreferences.preload)).toMatch(/preload[/\\]index\.cjs$/);
    }
    expect(windows.map((w) => w.loaded[0]?.replace(/.*[/\\]/, ''))).toEqual(['index.html', 'customer.html']);
  });

  it('puts the customer display full screen on the external display', () => {
    expect(windows[1]!.options).toMatchObject({ x: 1920, y: 0, fullscreen: true });
    expect(windows[0]!.options.fullscreen).toBeUndefined();
  });

  it('denies window.open and navigation away from the app', () => {
    const contents = windows[0]!.contents;
    expect(contents.handlers.open()).toEqual({ action: 'deny' });
    const prevent = vi.fn();
    contents.handlers['will-navigate']({ preventDefault: prevent }, 'https://evil.example/');
    expect(prevent).toHaveBeenCalled();
  });

  it('answers app:info from the core with data under userData, and checks the sender', async () => {
    const contents = windows[0]!.contents;
    const handler = handled.get('app:info')!;
    const ok = await handler({ sender: contents, senderFrame: contents.mainFrame }, undefined);
    expect(ok).toMatchObject({ ok: true, value: { version: '1.2.3', dataDir: data.dir, platform: 'electron', mode: 'training' } });
    const stranger = { id: 99, mainFrame: { url: contents.mainFrame.url } };
    const refused = await handler({ sender: stranger, senderFrame: stranger.mainFrame }, undefined);
    expect(refused).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const subframe = { url: contents.mainFrame.url };
    expect(await handler({ sender: contents, senderFrame: subframe }, undefined)).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const display = windows[1]!.contents;
    const health = await handled.get('app:health')!({ sender: display, senderFrame: display.mainFrame }, undefined);
    expect(health).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  });
});

describe('electron main: what each window hears (issue 8.12)', () => {
  it('pushes session changes to the cashier window only; the display gets display-safe payment fields only', async () => {
    const cashier = windows[0]!.contents;
    const display = windows[1]!.contents;
    const as = (contents: any) => ({ sender: contents, senderFrame: contents.mainFrame });
    expect(await handled.get('session:signIn')!(as(cashier), { code: '001', pin: '1111' })).toMatchObject({ ok: true });
    const sale: any = await handled.get('payment:create')!(as(cashier), { amountFen: 500, memo: 'MEMO-cashier-only' });
    expect(sale).toMatchObject({ ok: true });
    await vi.waitFor(() => expect(display.send.mock.calls.some((c: unknown[]) => c[1] === 'payment:updated')).toBe(true));
    const names = (contents: any) => contents.send.mock.calls.map((c: unknown[]) => c[1]);
    expect(names(cashier)).toContain('session:changed');
    expect(names(display)).not.toContain('session:changed');
    expect(names(display).every((n: string) => n === 'payment:updated' || n === 'app:mode')).toBe(true);
    expect(JSON.stringify(display.send.mock.calls)).not.toContain('MEMO-cashier-only');
    expect(JSON.stringify(cashier.send.mock.calls)).toContain('MEMO-cashier-only');
    const current: any = await handled.get('payment:current')!(as(display), undefined);
    expect(current.value.payment).toMatchObject({ amountFen: 500 });
    expect(current.value.payment.memo).toBeUndefined();
    expect(current.value.payment.operator).toBeUndefined();
    await handled.get('payment:cancel')!(as(cashier), { id: sale.value.id });
  });
});

describe('electron main: secrets under Linux basic_text (issue 8.14)', () => {
  it.runIf(process.platform === 'linux')('refuses the basic_text backend and runs on the labelled file key, said in Settings', async () => {
    const cashier = windows[0]!.contents;
    const view: any = await handled.get('settings:get')!({ sender: cashier, senderFrame: cashier.mainFrame }, undefined);
    expect(view).toMatchObject({ ok: true, value: { cipher: 'file-key' } });
    const { existsSync } = await import('node:fs');
    expect(existsSync(`${data.dir}/secret.key`)).toBe(true);
  });
});

describe('electron main: packaged-build hardening (issue 8.15)', () => {
  it('denies every permission request, check and device request', () => {
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'serial', 'hid', 'usb', 'openExternal']) {
      const callback = vi.fn();
      sessionHandlers.request(windows[0]!.contents, permission, callback, {});
      expect(callback).toHaveBeenCalledWith(false);
      expect(sessionHandlers.check(windows[0]!.contents, permission, 'file://', {})).toBe(false);
    }
    expect(sessionHandlers.device({ deviceType: 'serial', origin: 'file://' })).toBe(false);
  });

  it('has no DevTools and no default menu in a packaged build', () => {
    expect(appMenu.value).toBeNull();
    for (const { options, contents } of windows) {
      expect(options.webPreferences.devTools).toBe(false);
      contents.handlers['devtools-opened']();
      expect(contents.closeDevTools).toHaveBeenCalled();
    }
  });

  it('development builds keep DevTools', async () => {
    const { cashierWindowOptions, displayWindowOptions } = await import('../../src/main/windows');
    expect(cashierWindowOptions('/p.cjs', { packaged: false }).webPreferences?.devTools).toBe(true);
    expect(displayWindowOptions('/p.cjs', [], 1, { packaged: false }).webPreferences?.devTools).toBe(true);
  });

  it('electron-builder.yml flips the fuses: no RunAsNode, NODE_OPTIONS or --inspect; cookie encryption, asar integrity, asar only', async () => {
    const { load } = await import('js-yaml');
    const { readFileSync } = await import('node:fs');
    const config = load(readFileSync(new URL('../../electron-builder.yml', import.meta.url), 'utf8')) as Record<string, any>;
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableCookieEncryption: true,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
    });
    // Only-load-from-asar needs an asar: it must not be switched off.
    expect(config.asar).not.toBe(false);
  });
});

describe('safeStorage cipher', () => {
  it('refuses Linux basic_text (a fixed password) and unknown, accepts a real keyring; other platforms do not ask', async () => {
    const { createSafeStorageCipher } = await import('../../src/main/safe-storage-cipher');
    const storage = (backend: string) => ({
      isEncryptionAvailable: () => true,
      encryptString: (s: string) => Buffer.from(s),
      decryptString: (b: Buffer) => b.toString(),
      getSelectedStorageBackend: () => backend as never,
    });
    expect(() => createSafeStorageCipher(storage('basic_text'), 'linux')).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => createSafeStorageCipher(storage('unknown'), 'linux')).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(createSafeStorageCipher(storage('gnome_libsecret'), 'linux').kind).toBe('safeStorage');
    expect(createSafeStorageCipher(storage('kwallet5'), 'linux').kind).toBe('safeStorage');
    expect(createSafeStorageCipher(storage('basic_text'), 'win32').kind).toBe('safeStorage');
  });

  it('refuses to claim OS encryption when the OS offers none (main then falls back to the labelled file key)', async () => {
    const { createSafeStorageCipher } = await import('../../src/main/safe-storage-cipher');
    expect(() => createSafeStorageCipher({ isEncryptionAvailable: () => false, encryptString: () => Buffer.alloc(0), decryptString: () => '' })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
    const cipher = createSafeStorageCipher({
      isEncryptionAvailable: () => true,
      getSelectedStorageBackend: () => 'gnome_libsecret',
      encryptString: (s: string) => Buffer.from([...Buffer.from(s)].map((b) => b ^ 0x5a)),
      decryptString: (b: Buffer) => Buffer.from([...b].map((x) => x ^ 0x5a)).toString(),
    });
    expect(cipher.kind).toBe('safeStorage');
    expect(cipher.decrypt(cipher.encrypt('密钥 key'))).toBe('密钥 key');
  });
});
