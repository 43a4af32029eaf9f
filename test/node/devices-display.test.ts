import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import iconv from 'iconv-lite';
import { SerialPort, SerialPortMock } from 'serialport';
import { PoleDisplayConfigSchema } from '../../src/shared/devices';
import type { DisplayState, PoleDisplayConfigInput } from '../../src/shared/devices';
import type { ConnectionEvent, PortFactory } from '../../src/core/devices/connection';
import { mockPortFactory, realPortFactory } from '../../src/core/devices/connection';
import { DisplayFollower, displayStateFor } from '../../src/core/devices/display-state';
import { PoleDisplay } from '../../src/core/devices/pole-display';
import type { Timers } from '../../src/core/devices/timers';
import type { NullModem } from '../../src/core/devices/virtual-port';
import { hasSocat, startNullModem } from '../../src/core/devices/virtual-port';

// The pty tests need socat (Debian package "socat"); without it only they are skipped.
const socat = hasSocat();

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  SerialPortMock.binding.reset();
});

const cfg = (input: PoleDisplayConfigInput) => PoleDisplayConfigSchema.parse(input);

/** What an LED-8 customer sees, replayed from the bytes it received. */
function led8Screen(bytes: Buffer): { digits: string; lamp: string } {
  const lamps = ['off', '单价', '总计', '收款', '找零'];
  let digits = '';
  let lamp = 'off';
  let i = 0;
  while (i < bytes.length) {
    if (bytes[i] === 0x1b && bytes[i + 1] === 0x40) {
      digits = '';
      lamp = 'off';
      i += 2;
    } else if (bytes[i] === 0x0c) {
      digits = '';
      i += 1;
    } else if (bytes[i] === 0x1b && bytes[i + 1] === 0x73 && i + 2 < bytes.length) {
      lamp = lamps[(bytes[i + 2] ?? 0) - 0x30] ?? '?';
      i += 3;
    } else if (bytes[i] === 0x1b && bytes[i + 1] === 0x51 && bytes[i + 2] === 0x41) {
      const end = bytes.indexOf(0x0d, i + 3);
      if (end < 0) break;
      digits = bytes.subarray(i + 3, end).toString('latin1');
      i = end + 1;
    } else {
      throw new Error(`LED-8 got an unexpected byte ${bytes[i]} at ${i}`);
    }
  }
  return { digits, lamp };
}

/** What a CD5220 2×20 customer sees (GBK text decoded). */
function vfdScreen(bytes: Buffer): [string, string] {
  const blank = Buffer.alloc(20, 0x20);
  let lines: [Buffer, Buffer] = [blank, blank];
  let i = 0;
  while (i < bytes.length) {
    if (bytes[i] === 0x1b && bytes[i + 1] === 0x40) {
      lines = [blank, blank];
      i += 2;
    } else if (bytes[i] === 0x0c) {
      lines = [blank, blank];
      i += 1;
    } else if (bytes[i] === 0x1c && bytes[i + 1] === 0x26) {
      i += 2;
    } else if (bytes[i] === 0x1b && bytes[i + 1] === 0x51 && (bytes[i + 2] === 0x41 || bytes[i + 2] === 0x42)) {
      if (i + 24 > bytes.length) break;
      if (bytes[i + 23] !== 0x0d) throw new Error('a CD5220 line must be exactly 20 cells then 0D');
      const line = Buffer.from(bytes.subarray(i + 3, i + 23));
      lines = bytes[i + 2] === 0x41 ? [line, lines[1]] : [lines[0], line];
      i += 24;
    } else {
      throw new Error(`CD5220 got an unexpected byte ${bytes[i]} at ${i}`);
    }
  }
  return [iconv.decode(lines[0], 'gbk'), iconv.decode(lines[1], 'gbk')];
}

/** The mock binding's instance (its package's types do not resolve under `bundler` resolution). */
interface MockBindingLike {
  recording: Buffer;
}
const bindingOf = (p: SerialPortMock | undefined): MockBindingLike | undefined => (p as unknown as { port?: MockBindingLike } | undefined)?.port;

/** A factory that remembers the mock ports it made. */
function recordingFactory(): { factory: PortFactory; ports: SerialPortMock[]; recorded: () => Buffer } {
  const ports: SerialPortMock[] = [];
  return {
    factory: (s) => {
      const p = mockPortFactory(s) as SerialPortMock;
      ports.push(p);
      return p;
    },
    ports,
    recorded: () => Buffer.concat(ports.map((p) => bindingOf(p)?.recording ?? Buffer.alloc(0))),
  };
}

function manualTimers(): { timers: Timers; fire: () => void; count: () => number } {
  const pending = new Map<number, () => void>();
  let next = 0;
  return {
    timers: {
      setTimeout: (fn) => {
        next += 1;
        pending.set(next, fn);
        return next;
      },
      clearTimeout: (h) => {
        pending.delete(h as number);
      },
    },
    fire: () => {
      const due = [...pending.values()];
      pending.clear();
      for (const fn of due) fn();
    },
    count: () => pending.size,
  };
}

describe('displayStateFor', () => {
  it('follows the payment, not the keystrokes', () => {
    expect(displayStateFor(null)).toBe('idle');
    for (const status of ['created', 'qr_issued', 'waiting', 'unknown'] as const) {
      expect(displayStateFor({ status, amountFen: 12850 })).toEqual({ kind: 'total', amountFen: 12850 });
    }
    expect(displayStateFor({ status: 'paid', amountFen: 12850 })).toEqual({ kind: 'paid', amountFen: 12850 });
    expect(displayStateFor({ status: 'failed', amountFen: 12850 })).toBe('idle');
    expect(displayStateFor({ status: 'closed', amountFen: 12850 })).toBe('idle');
    expect(displayStateFor({ status: 'waiting', amountFen: 0 })).toBe('idle');
  });

  it('a paid cash sale shows its change (找零); exact cash shows paid', () => {
    expect(displayStateFor({ status: 'paid', amountFen: 3_780, cash: { changeFen: 6_220 } })).toEqual({ kind: 'change', amountFen: 6_220 });
    expect(displayStateFor({ status: 'paid', amountFen: 3_780, cash: { changeFen: 0 } })).toEqual({ kind: 'paid', amountFen: 3_780 });
    expect(displayStateFor({ status: 'created', amountFen: 3_780, cash: null })).toEqual({ kind: 'total', amountFen: 3_780 });
  });
});

describe('DisplayFollower', () => {
  it('draws changes only, holds paid, then idles; a new sale cuts the hold short', async () => {
    const shown: DisplayState[] = [];
    const t = manualTimers();
    const f = new DisplayFollower({ show: async (s) => void shown.push(s), timers: t.timers, paidHoldMs: 4000 });
    f.update(null);
    f.update({ status: 'created', amountFen: 100 });
    f.update({ status: 'qr_issued', amountFen: 100 });
    f.update({ status: 'waiting', amountFen: 100 });
    f.update({ status: 'paid', amountFen: 100 });
    f.update({ status: 'paid', amountFen: 100 });
    f.update(null); // the cashier cleared the sale: paid stays until the hold ends
    expect(shown).toEqual(['idle', { kind: 'total', amountFen: 100 }, { kind: 'paid', amountFen: 100 }]);
    t.fire();
    expect(shown.at(-1)).toBe('idle');
    f.update({ status: 'paid', amountFen: 200 });
    f.update({ status: 'waiting', amountFen: 300 });
    expect(shown.slice(-2)).toEqual([
      { kind: 'paid', amountFen: 200 },
      { kind: 'total', amountFen: 300 },
    ]);
    expect(t.count()).toBe(0);
  });

  it('follows the newest sale only; a sale given up at the counter (Yima abandoned, QR cancelled) goes idle', () => {
    const shown: DisplayState[] = [];
    const t = manualTimers();
    const f = new DisplayFollower({ show: async (s) => void shown.push(s), timers: t.timers, paidHoldMs: 4000 });
    f.update({ id: 5, gateway: 'yima', status: 'waiting', amountFen: 1200 });
    // Esc at the counter: abandoned, 状态未明 and still queried by the core.
    f.update({ id: 5, gateway: 'yima', closeRequested: true, status: 'unknown', amountFen: 1200 });
    expect(shown).toEqual([{ kind: 'total', amountFen: 1200 }, 'idle']);
    f.update({ id: 6, gateway: 'bpc', status: 'qr_issued', amountFen: 300 });
    // The abandoned sale's next query, and an older 状态未明 QR sale's backoff query: not drawn over sale 6.
    f.update({ id: 5, gateway: 'yima', closeRequested: true, status: 'unknown', amountFen: 1200 });
    f.update({ id: 4, gateway: 'bpc', status: 'unknown', amountFen: 999 });
    f.update({ id: 5, gateway: 'yima', closeRequested: true, status: 'paid', amountFen: 1200 }); // a late payment
    expect(shown).toEqual([{ kind: 'total', amountFen: 1200 }, 'idle', { kind: 'total', amountFen: 300 }]);
    // An abandoned sale that gets paid while it is still the newest shows paid (the customer did pay).
    f.update({ id: 7, gateway: 'yima', status: 'waiting', amountFen: 500 });
    f.update({ id: 7, gateway: 'yima', closeRequested: true, status: 'unknown', amountFen: 500 });
    f.update({ id: 7, gateway: 'yima', closeRequested: true, status: 'paid', amountFen: 500 });
    expect(shown.slice(-3)).toEqual([{ kind: 'total', amountFen: 500 }, 'idle', { kind: 'paid', amountFen: 500 }]);
    // A QR sale cancelled at the counter: idle as soon as the close is asked, before the bank confirms it.
    f.update({ id: 8, gateway: 'bpc', status: 'qr_issued', amountFen: 800 });
    f.update({ id: 8, gateway: 'bpc', closeRequested: true, status: 'qr_issued', amountFen: 800 });
    expect(shown.slice(-2)).toEqual([{ kind: 'total', amountFen: 800 }, 'idle']);
  });

  it('a failing display never throws at the caller', () => {
    const f = new DisplayFollower({ show: () => Promise.reject(new Error('unplugged')) });
    expect(() => f.update({ status: 'waiting', amountFen: 1 })).not.toThrow();
  });
});

describe('PoleDisplay on the mock binding', () => {
  it('LED-8: open initialises and idles; total, paid, change, test byte by byte', async () => {
    SerialPortMock.binding.createPort('/dev/pole-led', { record: true });
    const rec = recordingFactory();
    const d = new PoleDisplay(cfg({ protocol: 'led8', path: '/dev/pole-led' }), { portFactory: rec.factory, reconnect: null });
    cleanups.push(() => d.close());
    await d.open();
    expect(rec.recorded().toString('hex')).toBe('1b40' + '0c' + '1b7330');
    await d.total(12850);
    expect(rec.recorded().subarray(6).toString('hex')).toBe('1b7332' + '1b5141' + Buffer.from('128.50').toString('hex') + '0d');
    await d.paid(12850);
    expect(led8Screen(rec.recorded())).toEqual({ digits: '128.50', lamp: '收款' });
    await d.change(150);
    expect(led8Screen(rec.recorded())).toEqual({ digits: '1.50', lamp: '找零' });
    await d.test();
    expect(led8Screen(rec.recorded())).toEqual({ digits: '12345.67', lamp: '总计' });
    await d.idle();
    expect(led8Screen(rec.recorded())).toEqual({ digits: '', lamp: 'off' });
    expect(rec.ports[0]!.baudRate).toBe(2400);
  });

  it('applies the inter-command delay between commands and screens', async () => {
    SerialPortMock.binding.createPort('/dev/pole-slow', { record: true });
    const rec = recordingFactory();
    const log: string[] = [];
    const d = new PoleDisplay(cfg({ protocol: 'led8', path: '/dev/pole-slow', interCommandDelayMs: 120 }), {
      portFactory: rec.factory,
      reconnect: null,
      sleep: async (ms) => {
        log.push(`sleep ${ms} after ${rec.recorded().length}`);
      },
    });
    cleanups.push(() => d.close());
    await d.open();
    log.length = 0;
    await d.total(100);
    // 6 bytes of init+idle were already there; the lamp is 3 bytes, `1B 51 41 "1.00" 0D` 8.
    expect(log).toEqual(['sleep 120 after 9', 'sleep 120 after 17']);
  });

  it('VFD defaults to 9600 and writes both padded lines', async () => {
    SerialPortMock.binding.createPort('/dev/pole-vfd', { record: true });
    const rec = recordingFactory();
    const d = new PoleDisplay(cfg({ protocol: 'cd5220', path: '/dev/pole-vfd' }), { portFactory: rec.factory, reconnect: null });
    cleanups.push(() => d.close());
    await d.open();
    await d.total(12850);
    expect(vfdScreen(rec.recorded())).toEqual(['TOTAL         128.50', ' '.repeat(20)]);
    expect(rec.ports[0]!.baudRate).toBe(9600);
  });

  it('missing port → DEVICE_NOT_FOUND; port in use → DEVICE_BUSY; bad template → CONFIG_INVALID', async () => {
    const missing = new PoleDisplay(cfg({ protocol: 'led8', path: '/dev/pole-none' }), { portFactory: mockPortFactory, reconnect: null });
    await expect(missing.open()).rejects.toMatchObject({ code: 'DEVICE_NOT_FOUND' });
    SerialPortMock.binding.createPort('/dev/pole-shared');
    const first = new PoleDisplay(cfg({ protocol: 'led8', path: '/dev/pole-shared' }), { portFactory: mockPortFactory, reconnect: null });
    const second = new PoleDisplay(cfg({ protocol: 'led8', path: '/dev/pole-shared' }), { portFactory: mockPortFactory, reconnect: null });
    cleanups.push(
      () => first.close(),
      () => second.close(),
    );
    await first.open();
    await expect(second.open()).rejects.toMatchObject({ code: 'DEVICE_BUSY' });
    const base = cfg({ protocol: 'custom', path: '/dev/pole-custom', custom: { clear: '0C', showLine: '{text}' } });
    let thrown: unknown = null;
    try {
      new PoleDisplay({ ...base, custom: { ...base.custom!, showLine: '1B 5 {text}' } }, { portFactory: mockPortFactory });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toMatchObject({ code: 'CONFIG_INVALID', details: { field: 'custom.showLine' } });
  });

  it('while unplugged the screen is remembered and redrawn after the reconnect', async () => {
    SerialPortMock.binding.createPort('/dev/pole-replug', { record: true });
    const rec = recordingFactory();
    let node: string | null = '/dev/pts/1';
    const states: ConnectionEvent['state'][] = [];
    const d = new PoleDisplay(cfg({ protocol: 'led8', path: '/dev/pole-replug' }), {
      portFactory: rec.factory,
      reconnect: { minMs: 20, maxMs: 40 },
      watchIntervalMs: 10,
      pathIdentity: () => node,
    });
    d.connection.onState((e) => states.push(e.state));
    cleanups.push(() => d.close());
    await d.open();
    node = null; // unplugged
    await expect.poll(() => states.at(-1)).not.toBe('connected');
    await expect(d.total(4200)).rejects.toMatchObject({ code: 'DEVICE_DISCONNECTED' });
    node = '/dev/pts/2'; // plugged in again
    await expect.poll(() => rec.ports.length > 1 && bindingOf(rec.ports.at(-1))?.recording.length, { timeout: 3000 }).toBeTruthy();
    await expect
      .poll(() => bindingOf(rec.ports.at(-1))?.recording.toString('hex'))
      .toBe('1b40' + '1b7332' + '1b5141' + Buffer.from('42.00').toString('hex') + '0d');
    expect(states).toContain('disconnected');
    expect(states.at(-1)).toBe('connected');
  });
});

describe.skipIf(!socat)('PoleDisplay over a socat pty pair', () => {
  let modem: NullModem;
  let reader: SerialPort;
  let received: Buffer;
  let dir: string;

  async function setUp(baudRate: number): Promise<void> {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cashier-pole-'));
    modem = await startNullModem(path.join(dir, 'ttyA'), path.join(dir, 'ttyB'));
    received = Buffer.alloc(0);
    reader = new SerialPort({ path: modem.b, baudRate, autoOpen: false });
    reader.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
    });
    reader.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => reader.open((err) => (err ? reject(err) : resolve())));
    cleanups.push(async () => {
      if (reader.isOpen) await new Promise<void>((resolve) => reader.close(() => resolve()));
      await modem.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    });
  }

  it('LED-8: the customer sees idle → 总计 128.50 → 收款 128.50 → idle', async () => {
    await setUp(2400);
    const display = new PoleDisplay(cfg({ protocol: 'led8', path: modem.a }), { portFactory: realPortFactory, reconnect: null });
    cleanups.push(() => display.close());
    const t = manualTimers();
    const follower = new DisplayFollower({ show: (s) => display.show(s), timers: t.timers, paidHoldMs: 3000 });
    await display.open();
    await expect.poll(() => received.length).toBe(6);
    expect(led8Screen(received)).toEqual({ digits: '', lamp: 'off' });

    follower.update({ status: 'waiting', amountFen: 12850 });
    await expect.poll(() => led8Screen(received)).toEqual({ digits: '128.50', lamp: '总计' });

    follower.update({ status: 'paid', amountFen: 12850 });
    await expect.poll(() => led8Screen(received)).toEqual({ digits: '128.50', lamp: '收款' });
    follower.update(null);
    expect(display.currentView).toEqual({ kind: 'paid', amountFen: 12850 });

    t.fire(); // the paid hold ends
    await expect.poll(() => led8Screen(received)).toEqual({ digits: '', lamp: 'off' });
    // The whole conversation, byte for byte.
    expect(received.toString('hex')).toBe(
      '1b40' +
        '0c1b7330' +
        '1b7332' +
        '1b5141' +
        Buffer.from('128.50').toString('hex') +
        '0d' +
        '1b7333' +
        '1b5141' +
        Buffer.from('128.50').toString('hex') +
        '0d' +
        '0c1b7330',
    );
  });

  it('CD5220 with GBK: 总计 and 收款 lines, exactly 20 cells each', async () => {
    await setUp(9600);
    const display = new PoleDisplay(cfg({ protocol: 'cd5220', path: modem.a, encoding: 'gbk' }), { portFactory: realPortFactory, reconnect: null });
    cleanups.push(() => display.close());
    await display.open();
    await display.total(12850);
    await expect.poll(() => vfdScreen(received)).toEqual(['总计          128.50', ' '.repeat(20)]);
    await display.paid(12850);
    await expect.poll(() => vfdScreen(received)).toEqual(['收款          128.50', '谢谢惠顾            ']);
    await display.idle();
    await expect.poll(() => vfdScreen(received)).toEqual([' '.repeat(20), ' '.repeat(20)]);
  });
});
