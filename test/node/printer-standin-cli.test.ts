/**
 * `npm run printer`: the receipt printer stand-in a person runs to try printing without hardware. Real
 * bytes over a real loopback TCP socket, as the counter's network printer link sends them; the output is
 * what the person reads.
 */
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main, parseArgs } from '../../src/core/devices/printer-standin-cli';
import { encodeReceipt } from '../../src/core/devices/receipt-encoder';

function send(port: number, bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const got: Buffer[] = [];
    const socket = net.connect(port, '127.0.0.1', () => socket.end(bytes));
    socket.on('data', (d: Buffer) => got.push(d));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(got)));
  });
}

describe('receipt printer stand-in (npm run printer)', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of closers.splice(0)) await c();
  });

  it('shows each received job decoded: lines at their alignment, the QR and barcode payloads, the cut and the drawer kick', async () => {
    let out = '';
    const printer = await main(['--port', '0'], (s) => (out += s));
    closers.push(printer.close);
    const port = Number(printer.address.split(':')[1]);
    expect(out).toContain(`receipt printer stand-in on tcp 127.0.0.1:${port}`);
    const bytes = encodeReceipt(
      [
        { kind: 'text', text: '测试小店', align: 'center', bold: true, big: true },
        { kind: 'pair', label: '金额', value: '￥128.50' },
        { kind: 'qr', data: 'P7526120310261096638' },
        { kind: 'barcode', data: 'P7526120310261096638' },
      ],
      { paperWidth: 58, encoding: 'gbk', cut: 'partial', drawer: { enabled: true, pin: 2, onMs: 100, offMs: 200 } },
    );
    await send(port, bytes);
    await vi.waitFor(() => expect(out).toContain('└'), { timeout: 3000, interval: 20 });
    const lines = out.split('\n');
    const title = lines.find((l) => l.includes('测'))!;
    expect(title).toMatch(/^│ +测 {2}试 {2}小 {2}店 {2} *│ \[bold\] \[2×\]$/);
    expect(lines.some((l) => /^│金额 +￥128\.50│$/.test(l))).toBe(true);
    expect(out).toContain('QR:       P7526120310261096638');
    expect(out).toContain('CODE128:  P7526120310261096638');
    expect(out).toContain('cut:      partial');
    expect(out).toContain('drawer:   pin 2, 100 ms on / 200 ms off');
    // Every paper line is as wide as the paper (32 columns at 58 mm): a double-size Chinese title included.
    const widths = new Set(
      lines.filter((l) => l.startsWith('│')).map((l) => [...l.slice(1, l.lastIndexOf('│'))].reduce((n, ch) => n + (ch.charCodeAt(0) > 0x7f ? 2 : 1), 0)),
    );
    expect([...widths]).toEqual([32]);
  });

  it('answers status queries from its state; paper out loses the job, as a real printer would', async () => {
    let out = '';
    const printer = await main(['--port', '0', '--paper-out'], (s) => (out += s));
    closers.push(printer.close);
    const port = Number(printer.address.split(':')[1]);
    expect(out).toContain('PAPER OUT');
    // DLE EOT 4 (paper sensor): paper-end bits set.
    expect([...(await send(port, Buffer.from([0x10, 0x04, 0x04])))]).toEqual([0x72]);
    await send(port, encodeReceipt([{ kind: 'text', text: 'lost' }], { paperWidth: 58, encoding: 'gbk' }));
    await new Promise((r) => setTimeout(r, 500));
    expect(out).not.toContain('lost');
    printer.sim.set({ paperOut: false });
    expect([...(await send(port, Buffer.from([0x10, 0x04, 0x04])))]).toEqual([0x12]);
  });

  it('refuses bad arguments with a message saying what is wrong', () => {
    expect(() => parseArgs(['--port', 'ninety'])).toThrow('--port must be a whole number from 0 to 65535, not ninety');
    expect(() => parseArgs(['--serial'])).toThrow('--serial needs a value');
    expect(() => parseArgs(['--colour'])).toThrow('unknown option --colour');
    expect(parseArgs(['--serial', '/dev/pts/3', '--baud', '19200'])).toMatchObject({ serial: '/dev/pts/3', baud: 19200 });
  });
});
