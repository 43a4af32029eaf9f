import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { withNonces } from '../support/approvals';
import { tempDir } from '../support/temp';

/**
 * The system (spooler) printer path of the desktop app (issue 12.1). Electron cannot run here: the
 * real src/main/index.ts is started against a mocked electron whose windows record what they load and
 * what `webContents.print` is asked; the core behind it is real (ledger, training bank on loopback).
 */
const data = tempDir('main-sysprint-');
const handled = new Map<string, (event: unknown, input: unknown) => Promise<any>>();
interface MockWindow {
  options: Record<string, any>;
  contents: any;
  loadedUrls: string[];
  destroyed: boolean;
}
const windows: MockWindow[] = [];
let whenReadyResolve: () => void = () => undefined;
const ready = new Promise<void>((resolve) => (whenReadyResolve = resolve));
const installed = [
  { name: 'XP-58C', displayName: 'XPrinter XP-58C', description: '', options: {} },
  { name: 'Microsoft Print to PDF', displayName: 'Microsoft Print to PDF', description: '', options: {} },
];
/** What the next print's callback says: [success, failureReason]. */
let printOutcome: [boolean, string] = [true, ''];

vi.mock('electron', () => {
  let nextId = 1;
  class BrowserWindow {
    webContents: any;
    private readonly entry: MockWindow;
    constructor(options: Record<string, any>) {
      const id = nextId++;
      const handlers: Record<string, unknown> = {};
      const entry: MockWindow = { options, contents: null, loadedUrls: [], destroyed: false };
      this.entry = entry;
      this.webContents = {
        id,
        mainFrame: { url: '' },
        isDestroyed: () => entry.destroyed,
        closeDevTools: vi.fn(),
        send: vi.fn(),
        setWindowOpenHandler: vi.fn((fn: unknown) => (handlers.open = fn)),
        on: vi.fn((name: string, fn: unknown) => (handlers[name] = fn)),
        getPrintersAsync: vi.fn(() => Promise.resolve(installed)),
        print: vi.fn((_options: unknown, callback: (ok: boolean, reason: string) => void) => setTimeout(() => callback(...printOutcome), 5)),
        handlers,
      };
      entry.contents = this.webContents;
      windows.push(entry);
    }
    loadFile = vi.fn((file: string) => {
      this.webContents.mainFrame.url = `file://${file}`;
      return Promise.resolve();
    });
    loadURL = vi.fn((url: string) => {
      this.entry.loadedUrls.push(url);
      return Promise.resolve();
    });
    destroy = vi.fn(() => {
      this.entry.destroyed = true;
    });
    isDestroyed = (): boolean => this.entry.destroyed;
    on = vi.fn();
    once = vi.fn();
    show = vi.fn();
    static getAllWindows = () => [];
  }
  return {
    app: {
      requestSingleInstanceLock: () => true,
      whenReady: () => ready,
      getPath: (name: string) => (name === 'userData' ? data.dir : '/nonexistent'),
      getVersion: () => '1.2.3',
      isPackaged: true,
      on: vi.fn(),
      quit: vi.fn(),
      exit: vi.fn(),
    },
    BrowserWindow,
    clipboard: { writeText: vi.fn() },
    dialog: { showMessageBox: vi.fn() },
    ipcMain: { handle: vi.fn((channel: string, fn: any) => handled.set(channel, fn)) },
    Menu: { setApplicationMenu: vi.fn() },
    session: { defaultSession: { setPermissionRequestHandler: vi.fn(), setPermissionCheckHandler: vi.fn(), setDevicePermissionHandler: vi.fn() } },
    safeStorage: {
      isEncryptionAvailable: () => true,
      getSelectedStorageBackend: () => 'gnome_libsecret',
      encryptString: (s: string) => Buffer.from(`enc:${s}`),
      decryptString: (b: Buffer) => b.toString().replace(/^enc:/, ''),
    },
    screen: { getAllDisplays: () => [{ id: 1, bounds: { x: 0, y: 0, width: 1920, height: 1080 } }], getPrimaryDisplay: () => ({ id: 1 }) },
  };
});

afterAll(() => data.cleanup());

const cashier = (): any => windows[0]!.contents;
async function invoke(channel: string, input: unknown): Promise<any> {
  const as = { sender: cashier(), senderFrame: cashier().mainFrame };
  const call = (c: string, i: unknown): Promise<any> => handled.get(c)!(as, i);
  const result = await call(channel, await withNonces(channel, input, call));
  if (!result.ok) throw Object.assign(new Error(`${channel}: ${result.error.code} ${result.error.message}`), result.error);
  return result.value;
}

/** The windows opened to print (not the cashier and the customer display). */
const printWindows = (): MockWindow[] => windows.slice(2);
const printCalls = (): { options: any }[] => printWindows().flatMap((w) => w.contents.print.mock.calls.map((c: unknown[]) => ({ options: c[0] })));
const html = (w: MockWindow): string => decodeURIComponent((w.loadedUrls[0] ?? '').replace(/^data:text\/html;charset=utf-8,/, ''));

/** The receipt events of a payment, read from the ledger file itself. */
function receiptEvents(paymentId: number): string[] {
  const db = new Database(join(data.dir, 'ledger.sqlite'), { readonly: true });
  try {
    const rows = db.prepare("SELECT type FROM events WHERE entity = 'payment' AND entity_id = ? AND type LIKE 'receipt_%' ORDER BY id").all(paymentId) as {
      type: string;
    }[];
    return rows.map((r) => r.type);
  } finally {
    db.close();
  }
}

async function paidSale(amountFen: number): Promise<number> {
  await invoke('training:script', { script: 'manual' });
  const p = await invoke('payment:create', { amountFen });
  await invoke('training:pay', { id: p.id });
  await vi.waitFor(async () => expect((await invoke('payment:get', { id: p.id })).status).toBe('paid'), { timeout: 10_000, interval: 50 });
  return p.id;
}

describe('system printer (Electron main, mocked electron)', () => {
  it('lists the installed printers for Settings', async () => {
    await import('../../src/main/index');
    whenReadyResolve();
    await vi.waitFor(() => expect(handled.size).toBeGreaterThan(10), { timeout: 10_000 });
    await vi.waitFor(() => expect(windows.length).toBeGreaterThanOrEqual(2), { timeout: 5000 });
    await invoke('session:signIn', { code: '001', pin: '1111' });
    expect(await invoke('printer:systemList', undefined)).toEqual({
      available: true,
      printers: [
        { name: 'XP-58C', displayName: 'XPrinter XP-58C' },
        { name: 'Microsoft Print to PDF', displayName: 'Microsoft Print to PDF' },
      ],
    });
    // The listing window is gone again.
    expect(printWindows().every((w) => w.destroyed)).toBe(true);
  });

  it('a paid sale prints its receipt silently on the named printer: the HTML receipt from a hidden, script-less window', async () => {
    await invoke('settings:save', {
      section: 'devices',
      value: {
        poleDisplay: null,
        cardTerminal: null,
        receiptPrinter: { transport: 'system', systemPrinter: 'XP-58C', paperWidth: 58, header: '电话 <b>0755</b>' },
      },
      approval: { code: '800', pin: '8888' },
    });
    const before = printWindows().length;
    const id = await paidSale(12_850);
    await vi.waitFor(() => expect(printCalls()).toHaveLength(1), { timeout: 10_000, interval: 20 });
    const win = printWindows()[before + 0]!;
    expect(printCalls()[0]!.options).toMatchObject({ silent: true, deviceName: 'XP-58C', usePrinterDefaultPageSize: true });
    expect(win.options.show).toBe(false);
    expect(win.options.webPreferences).toMatchObject({ javascript: false, sandbox: true, contextIsolation: true, nodeIntegration: false, devTools: false });
    expect(win.options.webPreferences.preload).toBeUndefined();
    const page = html(win);
    const sale = await invoke('payment:get', { id });
    // The same receipt model as the thermal one: amount line, our order number, the QR of it, the training mark.
    expect(page).toMatch(/金额 +￥128\.50/);
    expect(page).toContain(sale.tradeNo);
    expect(page).toContain('培训模式');
    expect(page).toMatch(new RegExp(`<img alt="${sale.tradeNo}" src="data:image/png;base64,`));
    expect(page).toContain('@page { size: 58mm auto;');
    // The shop's header is text, never markup.
    expect(page).toContain('电话 &lt;b&gt;0755&lt;/b&gt;');
    await vi.waitFor(() => expect(win.destroyed).toBe(true));
    expect(receiptEvents(id)).toEqual(['receipt_printed']);
  });

  it('a print the spooler refuses goes to the print queue and the event log; the sale stays paid; a retry prints it once', async () => {
    printOutcome = [false, 'Print job failed'];
    const id = await paidSale(500);
    await vi.waitFor(async () => expect(await invoke('receipt:queue', undefined)).toHaveLength(1), { timeout: 10_000, interval: 50 });
    const [job] = await invoke('receipt:queue', undefined);
    expect(job).toMatchObject({ kind: 'payment', ref: id, lastCode: 'PRINTER_NOT_READY' });
    expect(job.lastError).toContain('system printer "XP-58C": Print job failed');
    expect((await invoke('payment:get', { id })).status).toBe('paid');
    expect(receiptEvents(id)).toEqual(['receipt_failed']);
    printOutcome = [true, ''];
    const calls = printCalls().length;
    expect(await invoke('receipt:retry', {})).toMatchObject([{ outcome: 'printed' }]);
    expect(printCalls()).toHaveLength(calls + 1);
    expect(await invoke('receipt:queue', undefined)).toEqual([]);
    expect(receiptEvents(id)).toEqual(['receipt_failed', 'receipt_printed']);
  });

  it('a printer that is no longer installed is said by name (DEVICE_NOT_FOUND) and queued, nothing is sent to another printer', async () => {
    await invoke('settings:save', {
      section: 'devices',
      value: { poleDisplay: null, cardTerminal: null, receiptPrinter: { transport: 'system', systemPrinter: 'Gone-80', paperWidth: 80 } },
      approval: { code: '800', pin: '8888' },
    });
    const calls = printCalls().length;
    const id = await paidSale(700);
    await vi.waitFor(async () => expect(await invoke('receipt:queue', undefined)).toHaveLength(1), { timeout: 10_000, interval: 50 });
    const [job] = await invoke('receipt:queue', undefined);
    expect(job).toMatchObject({ ref: id, lastCode: 'DEVICE_NOT_FOUND' });
    expect(job.lastError).toContain('"Gone-80" is not installed');
    expect(printCalls()).toHaveLength(calls);
    expect(printWindows().every((w) => w.destroyed)).toBe(true);
  });
});
