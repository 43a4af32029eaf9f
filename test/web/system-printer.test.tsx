import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startCore, type Core } from '../../src/core/app/core';
import { createMemoryBridge } from '../../src/core/ipc/memory-bridge';
import { createFileKeyCipher } from '../../src/core/secrets/cipher';
import { silentLogger } from '../../src/core/util/logger';
import { call, setBridge } from '../../src/renderer/src/bridge/client';
import { useLang } from '../../src/renderer/src/i18n';
import { hostDetail } from '../../src/renderer/src/lib/host-detail';
import '../../src/renderer/src/i18n/back-office';
import { PrinterFields, PrinterPanel, printerForm } from '../../src/renderer/src/screens/manage/PrinterFields';
import { ReceiptPrinterConfigSchema } from '../../src/shared/printer';
import { usePaymentStore } from '../../src/renderer/src/store/payment-store';
import { tempDir } from '../support/temp';
import { mountApp, press, tick, type MountedApp } from './mount';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

// happy-dom loads no iframe page: the print dialog itself is exercised in Chromium (test/e2e/receipts.test.ts).
const dialogs = vi.hoisted(() => [] as unknown[]);
vi.mock('../../src/renderer/src/lib/print-receipt', () => ({
  printReceiptInBrowser: (request: unknown) => {
    dialogs.push(request);
    return Promise.resolve();
  },
}));

/** Keys go to the window (the checkout's listener), whatever has the focus. */
const pressAtWindow = (key: string, code = key): Promise<void> => press(key, code, window);

/** The system printer (issue 12.1) as the renderer sees it: Settings' printer choice, and browser mode's print dialog. */
describe('system printer in the renderer', () => {
  let core: Core | null = null;
  let root: Root | null = null;
  let container: HTMLElement | null = null;
  let cleanup: (() => void) | null = null;
  let app: MountedApp | null = null;

  afterEach(async () => {
    if (root !== null) act(() => root?.unmount());
    container?.remove();
    setBridge(null);
    await core?.close();
    cleanup?.();
    await app?.close();
    core = null;
    root = null;
    app = null;
    cleanup = null;
  });

  async function renderFields(listSystemPrinters: (() => Promise<{ name: string; displayName: string }[]>) | undefined, saved: string): Promise<HTMLElement> {
    const t = tempDir('sysprint-web-');
    cleanup = t.cleanup;
    core = await startCore({
      dataDir: t.dir,
      version: '1',
      platform: listSystemPrinters === undefined ? 'web' : 'electron',
      cipher: createFileKeyCipher(t.dir),
      logger: silentLogger,
      ...(listSystemPrinters === undefined ? {} : { listSystemPrinters, systemPrint: () => Promise.resolve() }),
    });
    setBridge(createMemoryBridge(core.dispatch, core.bus, 'cashier'));
    useLang.getState().setLang('zh');
    container = document.createElement('div');
    document.body.appendChild(container);
    root = createRoot(container);
    const form = printerForm(ReceiptPrinterConfigSchema.parse({ transport: 'system', systemPrinter: saved }));
    await act(async () => root?.render(<PrinterFields form={form} onChange={() => undefined} />));
    await tick(100);
    return container.querySelector('[data-testid="printer-system-name"]') as HTMLElement;
  }

  it('desktop: the installed printers are offered by name, the default first; a saved printer no longer installed stays, marked', async () => {
    const field = await renderFields(
      () =>
        Promise.resolve([
          { name: 'XP-58C', displayName: 'XPrinter XP-58C' },
          { name: 'POS-80', displayName: 'POS-80' },
        ]),
      'Old-58',
    );
    expect(field.tagName).toBe('SELECT');
    const options = [...field.querySelectorAll('option')].map((o) => [o.value, o.textContent]);
    expect(options).toEqual([
      ['', '系统默认打印机'],
      ['XP-58C', 'XPrinter XP-58C (XP-58C)'],
      ['POS-80', 'POS-80'],
      ['Old-58', 'Old-58（本机未安装）'],
    ]);
    expect((field as HTMLSelectElement).value).toBe('Old-58');
    expect(container?.textContent).toContain('钱箱不能经系统打印机打开');
  }, 60_000);

  it('browser mode: no list (the page’s print dialog chooses), a free field with that hint', async () => {
    const field = await renderFields(undefined, '');
    expect(field.tagName).toBe('INPUT');
    expect(container?.textContent).toContain('浏览器模式下使用浏览器的打印对话框');
  }, 60_000);

  it('browser mode, auto print on a system printer: a paid sale opens the print dialog with its receipt, once', async () => {
    useLang.getState().setLang('zh');
    app = await mountApp({ code: '001', pin: '1111' });
    await act(async () => {
      await call('settings:save', {
        section: 'devices',
        value: { poleDisplay: null, cardTerminal: null, receiptPrinter: { transport: 'system', paperWidth: 58, autoPrint: 'auto' } },
        approval: { code: '800', pin: '8888' },
      });
      await call('training:script', { script: 'manual' });
    });
    await tick(50);
    for (const ch of '9.9') {
      await pressAtWindow(ch, ch === '.' ? 'Period' : `Digit${ch}`);
      await tick(80);
    }
    await pressAtWindow('Enter');
    for (let i = 0; i < 100 && (usePaymentStore.getState().payment?.scanCode ?? null) === null; i++) await tick(30);
    await act(async () => {
      await call('training:pay', { id: usePaymentStore.getState().payment?.id ?? 0 });
    });
    const id = usePaymentStore.getState().payment?.id ?? 0;
    for (let i = 0; i < 200 && dialogs.length === 0; i++) await tick(30);
    expect(dialogs).toEqual([{ kind: 'payment', id }]);
    expect(usePaymentStore.getState().payment?.status).toBe('paid');
    // Once per sale, however often the paid sale is re-rendered or re-announced.
    await tick(400);
    await pressAtWindow('Enter');
    await tick(200);
    expect(dialogs).toHaveLength(1);
  }, 60_000);

  it("the system printer's English details are said in Chinese on a Chinese screen", () => {
    expect(hostDetail('zh', 'system printer "XP-58C" is not installed')).toBe('系统打印机未安装：请在 设置 → 设备 中重新选择打印机');
    expect(hostDetail('zh', 'system printer "XP-58C": Print job failed')).toBe('系统打印机打印失败（缺纸、离线或驱动报错）');
    expect(hostDetail('zh', 'the default system printer did not take the job within 60 s')).toBe('系统打印机 60 秒内未接收打印任务');
    expect(hostDetail('zh', 'system printer (default)')).toBe('系统打印机');
    expect(hostDetail('en', 'system printer "XP-58C": Print job failed')).toBe('system printer "XP-58C": Print job failed');
  });

  it('browser mode: 打印测试页 on a system printer opens the print dialog with the test page', async () => {
    useLang.getState().setLang('zh');
    app = await mountApp({ code: '001', pin: '1111' });
    let page: string[] = [];
    await act(async () => {
      await call('settings:save', {
        section: 'devices',
        value: { poleDisplay: null, cardTerminal: null, receiptPrinter: { transport: 'system', paperWidth: 80 } },
        approval: { code: '800', pin: '8888' },
      });
      page = (await call('receipt:text', { kind: 'test' })).lines.map((l) => l.text);
    });
    expect(page.some((l) => l.includes('打印测试'))).toBe(true);
    const before = dialogs.length;
    const host = document.createElement('div');
    document.body.appendChild(host);
    const panelRoot = createRoot(host);
    await act(async () => panelRoot.render(<PrinterPanel />));
    await act(async () => (host.querySelector('[data-testid="printer-test"]') as HTMLButtonElement).click());
    for (let i = 0; i < 50 && dialogs.length === before; i++) await tick(30);
    expect(dialogs.slice(before)).toEqual([{ kind: 'test' }]);
    expect(host.querySelector('[data-testid="printer-result"]')?.textContent).toBe('请在浏览器打印对话框中选择小票打印机');
    act(() => panelRoot.unmount());
    host.remove();
  }, 60_000);
});
