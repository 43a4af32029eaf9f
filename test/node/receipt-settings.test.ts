import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCore, type Core } from '../../src/core/app/core';
import { createFileKeyCipher } from '../../src/core/secrets/cipher';
import { silentLogger } from '../../src/core/util/logger';
import { tempDir } from '../support/temp';
import { withNonces } from '../support/approvals';

/** The receipt printer's settings: the provisioning file fields and the settings screen's validation. */
describe('receipt printer settings', () => {
  let dir: string;
  let cleanup: () => void;
  let core: Core | null = null;

  beforeEach(() => {
    ({ dir, cleanup } = tempDir('printer-settings-'));
  });
  afterEach(async () => {
    await core?.close();
    core = null;
    cleanup();
  });

  async function start(file?: string): Promise<Core> {
    core = await startCore({
      dataDir: dir,
      version: '0',
      platform: 'web',
      cipher: createFileKeyCipher(dir),
      logger: silentLogger,
      ...(file === undefined ? {} : { provisioningFile: file, provisioningRequired: true }),
    });
    await invoke(core, 'session:signIn', { code: '001', pin: '1111' }); // settings are read signed in
    return core;
  }
  async function invoke(c: Core, channel: string, input: unknown): Promise<any> {
    const result = await c.dispatch(channel, await withNonces(channel, input, (ch, i) => c.dispatch(ch, i, { role: 'cashier' })), { role: 'cashier' });
    if (!result.ok) throw Object.assign(new Error(result.error.message), result.error);
    return result.value;
  }

  it('the provisioning file configures the printer and keeps the other devices', { timeout: 60_000 }, async () => {
    let c = await start();
    await invoke(c, 'settings:save', {
      section: 'devices',
      value: { poleDisplay: { protocol: 'led8', path: '/dev/ttyS9' }, cardTerminal: null, receiptPrinter: null },
      approval: { code: '800', pin: '8888' },
    });
    await c.close();
    core = null;
    const file = join(dir, 'provisioning.json');
    writeFileSync(
      file,
      JSON.stringify({
        receiptPrinter: { transport: 'tcp', host: '192.168.1.87', paperWidth: 58, autoPrint: 'ask', footer: '七日内凭小票退换', drawer: { pin: 5 } },
      }),
    );
    c = await start(file);
    expect(c.info().configError).toBeNull();
    const view = await invoke(c, 'settings:get', undefined);
    expect(view.devices.poleDisplay).toMatchObject({ protocol: 'led8', path: '/dev/ttyS9' });
    expect(view.devices.receiptPrinter).toMatchObject({
      transport: 'tcp',
      host: '192.168.1.87',
      port: 9100,
      paperWidth: 58,
      autoPrint: 'ask',
      cut: 'partial',
      drawer: { enabled: true, pin: 5, onMs: 100, offMs: 200 },
    });
  });

  it.each([
    [{ receiptPrinter: { transport: 'tcp' } }, 'receiptPrinter.host'],
    [{ receiptPrinter: { transport: 'usb', path: 'x' } }, 'receiptPrinter.transport'],
    [{ receiptPrinter: { transport: 'serial', path: 'COM3', paperWidth: 76 } }, 'receiptPrinter.paperWidth'],
    [{ receiptPrinter: { transport: 'serial', path: 'COM3', drawer: { pin: 3 } } }, 'receiptPrinter.drawer.pin'],
    [{ receiptPrinter: { transport: 'serial', path: 'COM3', colour: 'red' } }, 'colour'],
  ])('a bad printer section in the provisioning file names the field (%#) and changes nothing', async (content, field) => {
    const file = join(dir, 'provisioning.json');
    writeFileSync(file, JSON.stringify(content));
    const c = await start(file);
    expect(c.info().configError).toContain(field);
    expect((await invoke(c, 'settings:get', undefined)).devices.receiptPrinter).toBeNull();
  });

  it('the settings screen cannot save a network printer without an address', async () => {
    const c = await start();
    await expect(
      invoke(c, 'settings:save', {
        section: 'devices',
        value: { poleDisplay: null, cardTerminal: null, receiptPrinter: { transport: 'tcp', host: '' } },
        approval: { code: '800', pin: '8888' },
      }),
    ).rejects.toMatchObject({ code: 'BAD_INPUT' });
    expect(await invoke(c, 'devices:status', undefined)).toContainEqual(expect.objectContaining({ device: 'receipt-printer', state: 'not_configured' }));
    await expect(invoke(c, 'printer:test', undefined)).rejects.toMatchObject({ code: 'NOT_CONFIGURED' });
  });
});
