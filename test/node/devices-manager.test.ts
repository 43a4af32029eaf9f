import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SerialPort, SerialPortMock } from 'serialport';
import { CardTerminalConfigSchema, DevicesConfigSchema, PoleDisplayConfigSchema } from '../../src/shared/devices';
import type { DeviceStatus } from '../../src/shared/devices';
import type { CardOperationRecord } from '../../src/core/devices/card-terminal';
import { SerialConnection, mapPortError, mockPortFactory, realPortFactory } from '../../src/core/devices/connection';
import type { Timers } from '../../src/core/devices/timers';
import { DeviceManager, deviceHealth } from '../../src/core/devices/manager';
import { findOnPath, listPorts } from '../../src/core/devices/ports';
import type { TerminalSimulator } from '../../src/core/devices/simulator';
import { startTerminalSimulator } from '../../src/core/devices/simulator';
import type { NullModem } from '../../src/core/devices/virtual-port';
import { hasSocat, startNullModem } from '../../src/core/devices/virtual-port';

// The pty tests need socat (Debian package "socat"); without it only they are skipped.
const socat = hasSocat();

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  SerialPortMock.binding.reset();
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cashier-dev-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('listPorts', () => {
  it('without udevadm on PATH: no OS list call, configured ports and a reason', async () => {
    const dir = tempDir();
    const present = path.join(dir, 'ttyX');
    fs.writeFileSync(present, '');
    let listed = 0;
    const result = await listPorts([present, '/dev/ttyNOPE', 'COM3'], {
      platform: 'linux',
      pathEnv: dir,
      list: () => {
        listed += 1;
        return Promise.resolve([]);
      },
    });
    expect(listed).toBe(0);
    expect(result.reason).toMatch(/udevadm/);
    expect(result.ports).toEqual([
      { path: present, source: 'configured', present: true },
      { path: '/dev/ttyNOPE', source: 'configured', present: false },
      { path: 'COM3', source: 'configured', present: true },
    ]);
  });

  it('with udevadm: OS ports first, configured paths added once', async () => {
    const result = await listPorts(['/dev/ttyUSB0', '/tmp/pty-link'], {
      platform: 'linux',
      pathEnv: '/fake/bin',
      isExecutable: (f) => f === path.join('/fake/bin', 'udevadm'),
      exists: () => false,
      list: () => Promise.resolve([{ path: '/dev/ttyUSB0', manufacturer: 'Prolific', vendorId: '067b', productId: '2303', serialNumber: undefined }]),
    });
    expect(result.reason).toBeNull();
    expect(result.ports).toEqual([
      { path: '/dev/ttyUSB0', source: 'system', present: true, manufacturer: 'Prolific', vendorId: '067b', productId: '2303' },
      { path: '/tmp/pty-link', source: 'configured', present: false },
    ]);
  });

  it('a failing OS list becomes a reason, never an exception', async () => {
    const result = await listPorts(['COM1'], { platform: 'win32', list: () => Promise.reject(new Error('boom')) });
    expect(result.reason).toMatch(/boom/);
    expect(result.ports).toHaveLength(1);
  });

  it('the real list with an empty PATH does not spawn and does not crash', async () => {
    const result = await listPorts([], { pathEnv: '' });
    if (process.platform === 'linux') expect(result.reason).toMatch(/udevadm/);
    expect(Array.isArray(result.ports)).toBe(true);
  });

  it('findOnPath finds an executable', () => {
    const dir = tempDir();
    const tool = path.join(dir, 'udevadm');
    fs.writeFileSync(tool, '#!/bin/sh\n');
    fs.chmodSync(tool, 0o755);
    expect(findOnPath('udevadm', `/nonexistent${path.delimiter}${dir}`)).toBe(tool);
    expect(findOnPath('udevadm', '/nonexistent')).toBeNull();
  });
});

describe('error mapping', () => {
  it('maps the bindings’ messages to stable codes', () => {
    expect(mapPortError(new Error('Error: No such file or directory, cannot open /dev/x'), '/dev/x').code).toBe('DEVICE_NOT_FOUND');
    expect(mapPortError(new Error('Error Resource temporarily unavailable Cannot lock port'), '/dev/x').code).toBe('DEVICE_BUSY');
    expect(mapPortError(new Error('Opening COM3: Access denied'), 'COM3').code).toBe('DEVICE_BUSY');
    expect(mapPortError(new Error('EIO: i/o error, write'), '/dev/x').code).toBe('DEVICE_DISCONNECTED');
  });
});

describe('SerialConnection backoff', () => {
  it('doubles the delay up to the maximum and stops on close', async () => {
    const delays: number[] = [];
    const pending: (() => void)[] = [];
    const timers: Timers = {
      setTimeout: (fn, ms) => {
        delays.push(ms);
        pending.push(fn);
        return pending.length;
      },
      clearTimeout: () => undefined,
    };
    const events: string[] = [];
    const c = new SerialConnection({
      serial: { path: '/dev/ttyGONE', baudRate: 9600, dataBits: 8, stopBits: 1, parity: 'none' },
      portFactory: mockPortFactory,
      timers,
      reconnect: { minMs: 100, maxMs: 400 },
    });
    c.onState((e) => events.push(`${e.state}:${e.code ?? ''}`));
    await expect(c.open()).rejects.toMatchObject({ code: 'DEVICE_NOT_FOUND' });
    for (let i = 0; i < 3; i += 1) {
      pending.shift()!();
      await expect.poll(() => delays.length).toBe(i + 2);
    }
    expect(delays).toEqual([100, 200, 400, 400]);
    expect(events[0]).toBe('connecting:');
    expect(events[1]).toBe('error:DEVICE_NOT_FOUND');
    await c.close();
    pending.shift()!();
    expect(delays).toHaveLength(4);
    expect(c.state.state).toBe('closed');
  });
});

describe('DeviceManager', () => {
  const journal = {
    records: [] as CardOperationRecord[],
    markSent(op: CardOperationRecord) {
      this.records.push(op);
    },
  };

  it('nothing configured: not_configured statuses and clear errors', async () => {
    const statuses: DeviceStatus[] = [];
    const m = new DeviceManager({ portFactory: mockPortFactory, journal, onStatus: (s) => statuses.push(s) });
    await m.apply(DevicesConfigSchema.parse({}));
    expect(m.statuses().map((s) => s.state)).toEqual(['not_configured', 'not_configured']);
    await expect(m.testDisplay()).rejects.toMatchObject({ code: 'NOT_CONFIGURED' });
    expect(() => m.requireTerminal()).toThrow(expect.objectContaining({ code: 'NOT_CONFIGURED' }));
    expect(() => m.showPayment({ status: 'waiting', amountFen: 1 })).not.toThrow();
    expect(deviceHealth(m.statuses()[0]!)).toEqual({ name: 'pole-display', status: 'not_configured', detail: 'no pole display configured' });
    await m.stop();
  });

  it('a missing port is a status (error, DEVICE_NOT_FOUND), not an exception; bad templates reject before anything changes', async () => {
    const statuses: DeviceStatus[] = [];
    const m = new DeviceManager({ portFactory: mockPortFactory, journal, onStatus: (s) => statuses.push(s), reconnect: { minMs: 1000, maxMs: 1000 } });
    cleanups.push(() => m.stop());
    await m.apply({ poleDisplay: PoleDisplayConfigSchema.parse({ protocol: 'led8', path: '/dev/ttyMISSING' }), cardTerminal: null });
    const last = m.statuses()[0]!;
    expect(last).toMatchObject({ device: 'pole-display', state: 'error', code: 'DEVICE_NOT_FOUND', port: '/dev/ttyMISSING' });
    // card-terminal stays not_configured: unchanged statuses are not emitted again.
    expect(statuses.map((s) => `${s.device}:${s.state}`)).toEqual(['pole-display:connecting', 'pole-display:error']);
    expect(deviceHealth(last).status).toBe('error');

    const bad = PoleDisplayConfigSchema.parse({ protocol: 'custom', path: '/dev/x', custom: { clear: '0C', showLine: '{text}' } });
    await expect(m.apply({ poleDisplay: { ...bad, custom: { ...bad.custom!, clear: 'XYZ' } }, cardTerminal: null })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
    expect(m.display?.connection.path).toBe('/dev/ttyMISSING');
  });

  it('mock ports: connected statuses, the display follows payments, the terminal is handed out', async () => {
    SerialPortMock.binding.createPort('/dev/mgr-pole', { record: true });
    SerialPortMock.binding.createPort('/dev/mgr-term');
    const statuses: DeviceStatus[] = [];
    const m = new DeviceManager({ portFactory: mockPortFactory, journal, onStatus: (s) => statuses.push(s), paidHoldMs: 10 });
    cleanups.push(() => m.stop());
    await m.apply({
      poleDisplay: PoleDisplayConfigSchema.parse({ protocol: 'led8', path: '/dev/mgr-pole' }),
      cardTerminal: CardTerminalConfigSchema.parse({ path: '/dev/mgr-term' }),
    });
    expect(m.statuses().map((s) => s.state)).toEqual(['connected', 'connected']);
    expect(m.requireTerminal()).toBe(m.terminal);
    m.showPayment({ status: 'waiting', amountFen: 999 });
    await expect.poll(() => m.display?.currentView).toEqual({ kind: 'total', amountFen: 999 });
    m.showPayment({ status: 'paid', amountFen: 999 });
    await expect.poll(() => m.display?.currentView).toEqual({ kind: 'idle' });
    await m.testDisplay();
    expect(m.display?.currentView).toEqual({ kind: 'test' });
  });
});

describe.skipIf(!socat)('DeviceManager over socat: unplug and replug', () => {
  let poleModem: NullModem;
  let termModem: NullModem;
  let reader: SerialPort | null = null;
  let received = Buffer.alloc(0);
  let sim: TerminalSimulator | null = null;

  async function openReader(p: string): Promise<void> {
    received = Buffer.alloc(0);
    const r = new SerialPort({ path: p, baudRate: 2400, autoOpen: false });
    r.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
    });
    r.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => r.open((err) => (err ? reject(err) : resolve())));
    reader = r;
  }

  async function closeReader(): Promise<void> {
    const r = reader;
    reader = null;
    if (r?.isOpen === true) await new Promise<void>((resolve) => r.close(() => resolve()));
  }

  it('stop socat → disconnected; start it again → connected, screen redrawn, sales work again', async () => {
    const dir = tempDir();
    poleModem = await startNullModem(path.join(dir, 'poleA'), path.join(dir, 'poleB'));
    termModem = await startNullModem(path.join(dir, 'termA'), path.join(dir, 'termB'));
    cleanups.push(async () => {
      await closeReader();
      await sim?.close();
      await poleModem.stop();
      await termModem.stop();
    });
    await openReader(poleModem.b);
    sim = await startTerminalSimulator({ path: termModem.b });

    const statuses: DeviceStatus[] = [];
    const records: CardOperationRecord[] = [];
    // While `gated`, the display's port counts as absent: the reconnect must not win the race against
    // the test's reader reopening the other end (a pty drops bytes written before its reader opens).
    let gated = false;
    const m = new DeviceManager({
      portFactory: (settings) => {
        if (gated && settings.path === poleModem.a) throw new Error(`No such file or directory, cannot open ${settings.path}`);
        return realPortFactory(settings);
      },
      journal: { markSent: (op) => void records.push(op) },
      onStatus: (s) => statuses.push(s),
      reconnect: { minMs: 50, maxMs: 200 },
      watchIntervalMs: 50,
    });
    cleanups.push(() => m.stop());
    await m.apply({
      poleDisplay: PoleDisplayConfigSchema.parse({ protocol: 'led8', path: poleModem.a }),
      cardTerminal: CardTerminalConfigSchema.parse({ path: termModem.a, ackTimeoutMs: 500, answerTimeoutMs: 2000 }),
    });
    expect(m.statuses().map((s) => s.state)).toEqual(['connected', 'connected']);
    const listed = await listPorts([poleModem.a]);
    expect(listed.ports).toContainEqual({ path: poleModem.a, source: 'configured', present: true });

    m.showPayment({ status: 'waiting', amountFen: 12850 });
    await expect.poll(() => received.toString('latin1')).toContain('128.50');

    // Unplug both.
    gated = true;
    await closeReader();
    await sim.close();
    await poleModem.stop();
    await termModem.stop();
    await expect.poll(() => m.statuses().map((s) => s.state), { timeout: 5000 }).toEqual(['disconnected', 'disconnected']);
    expect(m.statuses()[0]).toMatchObject({ code: 'DEVICE_DISCONNECTED', port: poleModem.a });
    expect(() => m.requireTerminal()).toThrow(expect.objectContaining({ code: 'DEVICE_DISCONNECTED' }));
    // Failed reopen attempts keep the state "disconnected" and say why in the detail.
    await expect.poll(() => m.statuses()[0]!.detail, { timeout: 5000 }).toMatch(/not found.*retrying/);
    expect(m.statuses()[0]!.state).toBe('disconnected');

    // Plug them back in.
    await poleModem.restart();
    await termModem.restart();
    await openReader(poleModem.b);
    sim = await startTerminalSimulator({ path: termModem.b });
    gated = false;
    await expect.poll(() => m.statuses().map((s) => s.state), { timeout: 5000 }).toEqual(['connected', 'connected']);

    // The display was re-initialised and shows the open payment again without anyone asking.
    await expect.poll(() => received.toString('hex'), { timeout: 5000 }).toBe('1b40' + '1b7332' + '1b5141' + Buffer.from('128.50').toString('hex') + '0d');

    const result = await m.requireTerminal().sale({ amountFen: 100 });
    expect(result.kind).toBe('approved');
    expect(records).toHaveLength(1);
    expect(sim.saleFrameCount()).toBe(1);

    const seen = statuses.filter((s) => s.device === 'pole-display').map((s) => s.state);
    expect(seen.indexOf('disconnected')).toBeGreaterThan(seen.indexOf('connected'));
    expect(seen.at(-1)).toBe('connected');
  });
});
