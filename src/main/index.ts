/**
 * Electron's main process: lifecycle, windows, IPC, secrets. Business logic lives in src/core.
 */
import { app, BrowserWindow, clipboard, dialog, ipcMain, Menu, safeStorage, screen, session, type WebContents } from 'electron';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startCore, type Core } from '../core/app/core';
import { PROVISIONING_FILE } from '../core/config/provisioning';
import { consoleSink, createLogger, type Logger, type LogSink } from '../core/util/logger';
import { createRotatingLog } from '../core/util/log-file';
import { createFileKeyCipher, type SecretCipher } from '../core/secrets/cipher';
import type { WindowRole } from '../shared/ipc/contract';
import { buildDiagnostics } from '../core/app/diagnostics';
import { describeStartupFailure, startupFailureText } from '../core/app/startup-failure';
import { LOG_DIR } from '../core/util/log-file';
import { registerIpc } from './ipc';
import { onStartupWindowLink, startupFailureHtml, startupWindowOptions } from './startup-window';
import { createSafeStorageCipher } from './safe-storage-cipher';
import { createSystemPrinter } from './system-printer';
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

/**
 * The core could not start (ledger locked, damaged, missing after prior use, provisioning refused, a
 * port busy…): a small window says what happened and what to do, with "copy details" and a
 * diagnostics export, instead of an exit with one stderr line nobody sees. The stack goes to the log.
 */
function showStartupFailure(error: unknown): void {
  const userData = app.getPath('userData');
  const logger = mainLogger(userData);
  logger.error('cannot start', error);
  const failure = describeStartupFailure(error, { dataDir: userData });
  process.stderr.write(startupFailureText(failure));
  const win = new BrowserWindow(startupWindowOptions());
  win.on('closed', () => app.quit());
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  win.webContents.on('will-navigate', (event) => event.preventDefault());
  win.webContents.on('did-navigate-in-page', (_event, url) =>
    onStartupWindowLink(url, failure, {
      copy: (text) => {
        void clipboard.writeText(text);
      },
      exportDiagnostics: async () => {
        const zip = await buildDiagnostics({ appVersion: app.getVersion(), platform: 'electron', logDir: join(userData, LOG_DIR), startupError: failure });
        const path = join(userData, zip.fileName);
        writeFileSync(path, zip.bytes, { mode: 0o600 });
        return path;
      },
      notify: (message) => {
        void dialog.showMessageBox(win, { type: 'info', message });
      },
      quit: () => win.close(),
    }),
  );
  void win.loadURL(`data:text/html;charset=utf-8,${encodeURIComponent(startupFailureHtml(failure))}`);
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
      // Receipts for a printer with only a spooler driver: HTML printed silently from a hidden window.
      const systemPrinter = createSystemPrinter({ openWindow: (options) => new BrowserWindow(options) });
      core = await startCore({
        // The desktop waits a few seconds for a locked ledger, then says so in the start-up failure window.
        ledgerBusyMaxWaitMs: 5000,
        dataDir: app.getPath('userData'),
        version: app.getVersion(),
        platform: 'electron',
        cipher: chooseCipher(app.getPath('userData'), logger),
        logger,
        // The well-known provisioning path: drop a file here to configure live mode (docs/provisioning.md).
        provisioningFile: join(app.getPath('userData'), PROVISIONING_FILE),
        systemPrint: (html, printerName) => systemPrinter.print(html, printerName),
        listSystemPrinters: () => systemPrinter.list(),
      });
      registerIpc(ipcMain, core.dispatch, core.bus, {
        roleOf: (id) => windows.get(id)?.role ?? null,
        isAppUrl,
        targets: () => [...windows.values()],
      });
      await createWindows(flavour);
    })
    .catch((error: unknown) => showStartupFailure(error));

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
