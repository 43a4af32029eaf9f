/**
 * The system (spooler) printer path of the desktop app (issue 12.1): for counters whose receipt printer
 * has only a Windows driver, the HTML receipt (src/core/receipts/html.ts, the same lines as the ESC/POS
 * one) is loaded into a hidden, script-less window and printed silently with `webContents.print` to the
 * named printer. One window per job, destroyed after it. A failure rejects with an AppError; the
 * receipt service then queues the print (it never fails the sale).
 */
import type { BrowserWindowConstructorOptions, PrinterInfo, WebContentsPrintOptions } from 'electron';
import { AppError } from '../shared/errors';

/** The part of a BrowserWindow this module uses (a mock in tests). */
export interface PrintWindow {
  readonly webContents: {
    getPrintersAsync(): Promise<PrinterInfo[]>;
    print(options: WebContentsPrintOptions, callback: (success: boolean, failureReason: string) => void): void;
    setWindowOpenHandler(handler: () => { action: 'deny' }): void;
    on(event: 'will-navigate', listener: (event: { preventDefault: () => void }) => void): unknown;
  };
  loadURL(url: string): Promise<void>;
  destroy(): void;
  isDestroyed(): boolean;
}

export interface SystemPrinterInfo {
  name: string;
  displayName: string;
}

export interface SystemPrinter {
  /** Prints the HTML silently on `deviceName` ('' = the system's default printer). */
  print(html: string, deviceName: string): Promise<void>;
  /** The installed printers (Settings lists them). */
  list(): Promise<SystemPrinterInfo[]>;
}

/** A window nobody sees, with no preload, no scripts, no DevTools: it only lays out and prints a receipt. */
export function printWindowOptions(): BrowserWindowConstructorOptions {
  return {
    show: false,
    width: 420,
    height: 900,
    webPreferences: {
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      javascript: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      devTools: false,
      spellcheck: false,
      disableBlinkFeatures: 'Auxclick',
    },
  };
}

/** How long a spooler may take to accept a job before it counts as failed (and is queued). */
export const SYSTEM_PRINT_TIMEOUT_MS = 60_000;

export function createSystemPrinter(deps: { openWindow: (options: BrowserWindowConstructorOptions) => PrintWindow; timeoutMs?: number }): SystemPrinter {
  const timeoutMs = deps.timeoutMs ?? SYSTEM_PRINT_TIMEOUT_MS;

  const withWindow = async <T>(fn: (win: PrintWindow) => Promise<T>): Promise<T> => {
    const win = deps.openWindow(printWindowOptions());
    win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
    win.webContents.on('will-navigate', (event) => event.preventDefault());
    try {
      return await fn(win);
    } finally {
      if (!win.isDestroyed()) win.destroy();
    }
  };

  const installed = async (win: PrintWindow): Promise<SystemPrinterInfo[]> =>
    (await win.webContents.getPrintersAsync()).map((p) => ({ name: p.name, displayName: p.displayName === '' ? p.name : p.displayName }));

  return {
    list: () => withWindow(installed),
    print: (html, deviceName) =>
      withWindow(async (win) => {
        const printers = await installed(win);
        if (printers.length === 0) throw new AppError('DEVICE_NOT_FOUND', 'no system printer is installed');
        if (deviceName !== '' && !printers.some((p) => p.name === deviceName)) {
          throw new AppError('DEVICE_NOT_FOUND', `system printer "${deviceName}" is not installed`, { field: 'receiptPrinter.systemPrinter' });
        }
        await win.loadURL(`data:text/html;charset=utf-8,${encodeURIComponent(html)}`);
        const options: WebContentsPrintOptions = {
          silent: true,
          printBackground: false,
          // The driver's roll paper (58 / 80 mm); the receipt's CSS lays the column out to that width.
          usePrinterDefaultPageSize: true,
          margins: { marginType: 'none' },
          ...(deviceName === '' ? {} : { deviceName }),
        };
        const target = deviceName === '' ? 'the default system printer' : `system printer "${deviceName}"`;
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new AppError('DEVICE_TIMEOUT', `${target} did not take the job within ${timeoutMs / 1000} s`)), timeoutMs);
          try {
            win.webContents.print(options, (success, failureReason) => {
              clearTimeout(timer);
              if (success) resolve();
              else reject(new AppError('PRINTER_NOT_READY', `${target}: ${failureReason === '' ? 'print job failed' : failureReason}`));
            });
          } catch (err) {
            clearTimeout(timer);
            reject(new AppError('PRINTER_NOT_READY', `${target}: ${err instanceof Error ? err.message : String(err)}`));
          }
        });
      }),
  };
}
