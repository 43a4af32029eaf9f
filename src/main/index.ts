/**
 * Electron's main process: lifecycle, windows, IPC, secrets. Business logic lives in src/core.
 */
import { app, BrowserWindow, ipcMain, Menu, safeStorage, screen, session, type WebContents } from 'electron';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startCore, type Core } from '../core/app/core';
import { PROVISIONING_FILE } from '../core/config/provisioning';
import { consoleSink, createLogger, type Logger, type LogSink } from '../core/util/logger';
import { createRotatingLog } from '../core/util/log-file';
import { createFileKeyCipher, type SecretCipher } from '../core/secrets/cipher';
import type { WindowRole } from '../shared/ipc/contract';
import { registerIpc } from './ipc';
import { createSafeStorageCipher } from './safe-storage-cipher';
import { cashierWindowOptions, displayWindowOptions, hardenSession, hardenWebContents, type BuildFlavour } from './windows';

const here = fileURLToPath(new URL('.', import.meta.url));
const preloadPath = join(here, '../preload/index.cjs');
const rendererDir = join(here, '../renderer');
const devUrl = process.env.ELECTRON_RENDERER_URL;

const windows = new Map<number, { role: WindowRole; contents: WebContents }>();
let core: Core | null = null;

function isAppUrl(url: string): boolean {
  if (devUrl !== undefined && url.startsWith(devUrl)) return true;
  return url.startsWith(pathToFileURL(rendererDir).href + '/');
}

function load(win: BrowserWindow, page: 'index.html' | 'customer.html'): Promise<void> {
  return devUrl !== undefined ? win.loadURL(`${devUrl}/${page}`) : win.loadFile(join(rendererDir, page));
}

async function createWindows(flavour: BuildFlavour): Promise<void> {
  const cashier = new BrowserWindow(cashierWindowOptions(preloadPath, flavour));
  const display = new BrowserWindow(displayWindowOptions(preloadPath, screen.getAllDisplays(), screen.getPrimaryDisplay().id, flavour));
  for (const [win, role] of [
    [cashier, 'cashier'],
    [display, 'display'],
  ] as const) {
    windows.set(win.webContents.id, { role, contents: win.webContents });
    hardenWebContents(win.webContents, isAppUrl, flavour);
    const id = win.webContents.id;
    win.on('closed', () => windows.delete(id));
    win.once('ready-to-show', () => win.show());
  }
  cashier.on('closed', () => app.quit());
  await Promise.all([load(cashier, 'index.html'), load(display, 'customer.html')]);
}

/**
 * The OS keychain when there is one; otherwise (a Linux kiosk without a secret service, say) the
 * labelled file-key fallback, so the counter still starts — Settings then shows "file key".
 */
function chooseCipher(userData: string, logger: Logger): SecretCipher {
  try {
    return createSafeStorageCipher(safeStorage);
  } catch (error) {
    logger.warn('safeStorage unavailable: secrets fall back to the file key in the data directory', error);
    return createFileKeyCipher(userData);
  }
}

/** The log file under userData/logs (a packaged counter has no terminal), plus the console. */
function mainLogger(userData: string): Logger {
  const sinks: LogSink[] = [consoleSink()];
  try {
    sinks.push(createRotatingLog(userData));
  } catch (error) {
    process.stderr.write(`log file unavailable: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  return createLogger('main', sinks);
}

if (!app.requestSingleInstanceLock()) {
  // A second copy on the same counter would share the ledger and the serial ports: hand over and leave.
  app.quit();
} else {
  app.on('second-instance', () => {
    const first = BrowserWindow.getAllWindows()[0];
    if (first !== undefined) {
      if (first.isMinimized()) first.restore();
      first.focus();
    }
  });

  app
    .whenReady()
    .then(async () => {
      const flavour: BuildFlavour = { packaged: app.isPackaged };
      // Before any page exists: no permission is ever granted, and a packaged build has no menu
      // (Electron's default one offers reload and DevTools).
      hardenSession(session.defaultSession);
      if (flavour.packaged) Menu.setApplicationMenu(null);
      const logger = mainLogger(app.getPath('userData'));
      core = await startCore({
        dataDir: app.getPath('userData'),
        version: app.getVersion(),
        platform: 'electron',
        cipher: chooseCipher(app.getPath('userData'), logger),
        logger,
        // The well-known provisioning path: drop a file here to configure live mode (docs/provisioning.md).
        provisioningFile: join(app.getPath('userData'), PROVISIONING_FILE),
      });
      registerIpc(ipcMain, core.dispatch, core.bus, {
        roleOf: (id) => windows.get(id)?.role ?? null,
        isAppUrl,
        targets: () => [...windows.values()],
      });
      await createWindows(flavour);
    })
    .catch((error: unknown) => {
      process.stderr.write(`cannot start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      app.exit(1);
    });

  app.on('window-all-closed', () => app.quit());
  // Quit only after the core has closed in order (timers, devices, listeners, gateways, then the
  // ledger): the quit is held once, the close awaited, then the app really quits.
  app.on('before-quit', (event) => {
    const closing = core;
    if (closing === null) return;
    core = null;
    event.preventDefault();
    void closing
      .close()
      .catch((error: unknown) => process.stderr.write(`core close failed: ${error instanceof Error ? error.message : String(error)}\n`))
      .finally(() => app.quit());
  });
}
