import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { SerialPort } from 'serialport';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { hasSocat, startNullModem, type NullModem } from '../../src/core/devices/virtual-port';
import type { DeviceStatus } from '../../src/shared/devices';
import { startBrowserMode, type BrowserMode } from '../support/browser-mode';
import { launchChromium } from '../support/chromium';
import { led8Screen } from '../support/led8';
import { tempDir } from '../support/temp';
import { signIn, takeTrainingPayment, typeAmount } from '../support/ui';
import { bridgeFor } from '../support/ws-bridge';

/**
 * The pole display through the whole app: browser mode drives an LED-8 display on one end of a socat
 * pty pair; this test reads the other end as the display would and checks what the customer sees
 * through a training checkout, then pulls the "cable" (stops socat) and plugs it back.
 */
describe.skipIf(!hasSocat())('pole display over a pty pair, through a training checkout', () => {
  let app: BrowserMode;
  let browser: Browser;
  let page: Page;
  let modem: NullModem;
  let reader: SerialPort | null = null;
  let received = Buffer.alloc(0);
  let bridge: ReturnType<typeof bridgeFor>;
  let simBase: string;
  const statuses: DeviceStatus[] = [];
  const data = tempDir('e2e-devices-');
  const ptyDir = mkdtempSync(join(tmpdir(), 'e2e-pty-'));

  async function openReader(): Promise<void> {
    const port = new SerialPort({ path: modem.b, baudRate: 2400, autoOpen: false });
    port.on('data', (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
    port.on('error', () => undefined);
    await new Promise<void>((ok, fail) => port.open((e) => (e ? fail(e) : ok())));
    reader = port;
  }
  async function closeReader(): Promise<void> {
    const port = reader;
    reader = null;
    if (port?.isOpen === true) await new Promise<void>((ok) => port.close(() => ok()));
  }

  beforeAll(async () => {
    modem = await startNullModem(join(ptyDir, 'display'), join(ptyDir, 'reader'));
    await openReader();
    app = await startBrowserMode(['--data', data.dir, '--quiet']);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(app.url);
    await signIn(page);
    bridge = bridgeFor(app.url);
    bridge.on('device:status', (s) => statuses.push(s));
    const state = await bridge.invoke('training:state', undefined);
    if (!state.ok || state.value.simulatorUrl === null) throw new Error('no training gateway');
    simBase = new URL(state.value.simulatorUrl).origin;
  });

  afterAll(async () => {
    bridge?.close();
    await browser?.close();
    await app?.stop();
    await closeReader();
    await modem?.stop();
    rmSync(ptyDir, { recursive: true, force: true });
    data.cleanup();
  });

  it('the pty is offered as a port, settings need a supervisor, test display shows 12345.67', async () => {
    const devices = { poleDisplay: { protocol: 'led8', path: modem.a, baudRate: 2400 }, cardTerminal: null } as const;
    const refused = await bridge.invoke('settings:save', { section: 'devices', value: devices, approval: { code: '001', pin: '1111' } });
    expect(refused).toMatchObject({ ok: false, error: { code: 'ROLE_REQUIRED' } });
    const saved = await bridge.invoke('settings:save', { section: 'devices', value: devices, approval: { code: '800', pin: '8888' } });
    expect(saved.ok).toBe(true);
    const ports = await bridge.invoke('devices:listPorts', undefined);
    if (!ports.ok) throw new Error(ports.error.message);
    expect(ports.value.ports.map((p) => p.path)).toContain(modem.a);
    await vi.waitFor(async () => {
      const s = await bridge.invoke('devices:status', undefined);
      expect(s.ok && s.value.find((d) => d.device === 'pole-display')?.state).toBe('connected');
    });
    expect(await bridge.invoke('devices:testDisplay', undefined)).toEqual({ ok: true, value: { ok: true } });
    await vi.waitFor(() => expect(led8Screen(received).digits).toBe('12345.67'));
  });

  it('a training payment shows 总计 + amount while waiting and 收款 + amount when paid, then idle', async () => {
    received = Buffer.alloc(0);
    await page.getByTestId('trainer-manual').click();
    await typeAmount(page, '128.5');
    // Typing alone changes nothing on the pole display: it follows the payment, not keystrokes.
    await new Promise((r) => setTimeout(r, 300));
    expect(led8Screen(received).digits).not.toBe('128.5');
    await page.keyboard.press('Enter');
    await vi.waitFor(() => expect(led8Screen(received)).toEqual({ digits: '128.50', lamp: '总计' }), { timeout: 10_000 });
    const scanCode = await page.getByTestId('cashier-qr').getAttribute('data-scan-code');
    await fetch(`${simBase}/sim/pay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ scanCode }) });
    await vi.waitFor(() => expect(led8Screen(received)).toEqual({ digits: '128.50', lamp: '收款' }), { timeout: 15_000 });
    await vi.waitFor(() => expect(led8Screen(received)).toEqual({ digits: '', lamp: 'off' }), { timeout: 15_000 });
  });

  it('pulling the cable gives a clear status; plugging it back reconnects and the display works again', async () => {
    await closeReader();
    await modem.stop();
    await vi.waitFor(() => expect(statuses.at(-1)?.state).toBe('disconnected'), { timeout: 10_000 });
    await modem.restart();
    await openReader();
    await vi.waitFor(() => expect(statuses.at(-1)?.state).toBe('connected'), { timeout: 20_000 });
    received = Buffer.alloc(0);
    await takeTrainingPayment(page, simBase, '7');
    // After the reconnect the display redrew and showed this sale: 收款 lamp, then 7.00.
    await vi.waitFor(() => expect(received.toString('hex')).toContain('1b7333' + '1b5141' + Buffer.from('7.00').toString('hex') + '0d'), { timeout: 10_000 });
  });
});
