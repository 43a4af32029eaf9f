import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startCore } from '../../src/core/app/core';
import { describeStartupFailure, startupFailureText } from '../../src/core/app/startup-failure';
import { createFileKeyCipher } from '../../src/core/secrets/cipher';
import { silentLogger } from '../../src/core/util/logger';
import { startWebHost } from '../../src/core/web/host';
import { AppError } from '../../src/shared/errors';
import { tempDir } from '../support/temp';

/**
 * Issue 15.4: when the core cannot start, the desktop app opens a small window saying what happened
 * and what to do (copy details, diagnostics export); browser mode prints the same text. Electron is
 * mocked; the failures are real (a damaged ledger file, a second connection holding the write lock,
 * a busy port) where they can be made here.
 */
const state = vi.hoisted(() => ({
  userData: '',
  windows: [] as { options: any; url: string; handlers: Record<string, any> }[],
  clipboard: [] as string[],
  exits: [] as number[],
}));

vi.mock('electron', () => {
  class BrowserWindow {
    webContents: any;
    handlers: Record<string, any> = {};
    constructor(options: unknown) {
      const entry = { options, url: '', handlers: this.handlers };
      state.windows.push(entry);
      this.webContents = {
        id: state.windows.length,
        mainFrame: { url: '' },
        isDestroyed: () => false,
        send: vi.fn(),
        closeDevTools: vi.fn(),
        setWindowOpenHandler: vi.fn(),
        on: vi.fn((name: string, fn: unknown) => (this.handlers[name] = fn)),
      };
      this.loadURL = vi.fn((url: string) => {
        entry.url = url;
        return Promise.resolve();
      });
    }
    loadURL: (url: string) => Promise<void>;
    loadFile = vi.fn(() => Promise.resolve());
    on = vi.fn();
    once = vi.fn();
    close = vi.fn();
    static getAllWindows = () => [];
  }
  return {
    app: {
      requestSingleInstanceLock: () => true,
      whenReady: () => Promise.resolve(),
      getPath: (name: string) => (name === 'userData' ? state.userData : '/nonexistent'),
      getVersion: () => '1.2.3',
      isPackaged: true,
      on: vi.fn(),
      quit: vi.fn(),
      exit: vi.fn((code: number) => state.exits.push(code)),
    },
    BrowserWindow,
    clipboard: { writeText: (text: string) => state.clipboard.push(text) },
    dialog: { showMessageBox: vi.fn(() => Promise.resolve({ response: 0 })) },
    ipcMain: { handle: vi.fn() },
    Menu: { setApplicationMenu: vi.fn() },
    session: { defaultSession: { setPermissionRequestHandler: vi.fn(), setPermissionCheckHandler: vi.fn(), setDevicePermissionHandler: vi.fn() } },
    safeStorage: { isEncryptionAvailable: () => false, encryptString: vi.fn(), decryptString: vi.fn() },
    screen: { getAllDisplays: () => [], getPrimaryDisplay: () => ({ id: 1 }) },
  };
});

let dir: { dir: string; cleanup: () => void };
beforeEach(() => {
  dir = tempDir('startfail-');
  state.userData = dir.dir;
  state.windows.length = 0;
  state.clipboard.length = 0;
  state.exits.length = 0;
  vi.resetModules();
});
afterEach(() => dir.cleanup());

async function startMain(): Promise<{ html: string; handlers: Record<string, any> }> {
  await import('../../src/main/index');
  await vi.waitFor(() => expect(state.windows.at(-1)?.url ?? '').toMatch(/^data:text\/html/), { timeout: 15_000, interval: 100 });
  const win = state.windows.at(-1)!;
  return { html: decodeURIComponent(win.url.replace(/^data:text\/html;charset=utf-8,/, '')), handlers: win.handlers };
}

describe('start-up failure window (mocked electron)', () => {
  it('a damaged ledger: a window says so and what to do; copy details and the diagnostics export work; no exit', async () => {
    writeFileSync(join(dir.dir, 'ledger.sqlite'), Buffer.from('this is not a database, just garbage '.repeat(200)));
    const { html, handlers } = await startMain();
    expect(html).toContain('账本文件已损坏');
    expect(html).toContain('The ledger file is damaged');
    expect(html).toContain('备份');
    expect(html).toContain(dir.dir);
    expect(html).not.toMatch(/at .*\.ts:\d+/); // no stack on screen
    expect(state.windows.at(-1)!.options.webPreferences).toMatchObject({ javascript: false, sandbox: true });
    handlers['did-navigate-in-page']({}, 'data:text/html#copy');
    expect(state.clipboard.at(-1)).toContain('The ledger file is damaged');
    handlers['did-navigate-in-page']({}, 'data:text/html#diagnostics');
    await vi.waitFor(() => expect(readdirSync(dir.dir).some((n) => /^diagnostics-.*\.zip$/.test(n))).toBe(true));
    expect(state.exits).toEqual([]);
    // The stack went to the log file instead.
    expect(existsSync(join(dir.dir, 'logs', 'cashier.log'))).toBe(true);
  });

  it('a ledger locked by another program: "locked by another program", close it and start again', async () => {
    const first = await startCore({ dataDir: dir.dir, version: '0', platform: 'web', cipher: createFileKeyCipher(dir.dir), logger: silentLogger });
    await first.close();
    const holder = new Database(join(dir.dir, 'ledger.sqlite'));
    holder.exec('BEGIN EXCLUSIVE');
    try {
      const { html } = await startMain();
      expect(html).toContain('账本正被其他程序占用');
      expect(html).toContain('The ledger is locked by another program');
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
  }, 30_000);
});

describe('start-up failure text (shared by the window and browser mode)', () => {
  it('names each case with what to do', async () => {
    const ctx = { dataDir: '/data/counter' };
    const kind = (error: unknown): string => describeStartupFailure(error, ctx).kind;
    // A real busy port.
    const busy = await startWebHost({ dispatch: vi.fn() as never, bus: { forRole: () => () => undefined } as never, logger: silentLogger, staticDir: dir.dir });
    const portError = await startWebHost({
      dispatch: vi.fn() as never,
      bus: { forRole: () => () => undefined } as never,
      logger: silentLogger,
      staticDir: dir.dir,
      port: busy.port,
    }).catch((e: unknown) => e);
    await busy.close();
    expect(kind(portError)).toBe('port_busy');
    expect(kind(new AppError('CONFIG_INVALID', 'provisioning file: line 3, column 7: bad JSON'))).toBe('config_refused');
    expect(kind(Object.assign(new Error('ledger gone'), { code: 'LEDGER_MISSING' }))).toBe('ledger_missing');
    expect(kind(Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }))).toBe('disk_full');
    expect(kind(Object.assign(new Error('busy'), { code: 'LEDGER_BUSY' }))).toBe('ledger_busy');
    expect(kind(Object.assign(new Error('bad'), { code: 'LEDGER_CORRUPT' }))).toBe('ledger_corrupt');
    expect(kind(new AppError('LEDGER_TOO_NEW', 'schema 99'))).toBe('ledger_too_new');
    expect(kind(new TypeError('x is undefined'))).toBe('unexpected');
    const text = startupFailureText(describeStartupFailure(Object.assign(new Error('ledger gone'), { code: 'LEDGER_MISSING' }), ctx));
    expect(text).toContain('无法启动');
    expect(text).toContain('Cannot start');
    expect(text).toContain('/data/counter');
    expect(text).toContain('备份');
  });
});
