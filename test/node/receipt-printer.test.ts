import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startCore, type Core } from '../../src/core/app/core';
import { realPortFactory } from '../../src/core/devices/connection';
import { attachSerialPrinterStandIn, startTcpPrinterStandIn, type TcpPrinterStandIn } from '../../src/core/devices/printer-standin';
import { hasSocat, startNullModem } from '../../src/core/devices/virtual-port';
import { createFileKeyCipher } from '../../src/core/secrets/cipher';
import { silentLogger } from '../../src/core/util/logger';
import type { PaymentView } from '../../src/shared/domain';
import type { ReceiptPrinterConfigInput } from '../../src/shared/printer';
import { decodeJobs, receiptText } from '../support/escpos';
import { tempDir } from '../support/temp';
import { withNonces } from '../support/approvals';
import { YIMA_TEST_SETTINGS } from '../support/yima';

const supervisor = { code: '800', pin: '8888' };

/**
 * The receipt printer through the whole core: a training checkout over the real BPC simulator, the
 * printer on a loopback TCP stand-in (port 9100 style) or on the far end of a socat pty pair.
 */
describe('receipt printing from the core', () => {
  let core: Core;
  let data: { dir: string; cleanup: () => void };
  const cleanups: (() => Promise<void> | void)[] = [];

  async function invoke(channel: string, input: unknown): Promise<any> {
    const result = await core.dispatch(channel, await withNonces(channel, input, (c, i) => core.dispatch(c, i, { role: 'cashier' })), { role: 'cashier' });
    if (!result.ok) throw Object.assign(new Error(result.error.message), result.error);
    return result.value;
  }

  async function usePrinter(printer: ReceiptPrinterConfigInput | null): Promise<void> {
    await invoke('settings:save', { section: 'devices', value: { poleDisplay: null, cardTerminal: null, receiptPrinter: printer }, approval: supervisor });
  }

  /**
   * A training sale the simulated customer pays at once: QR by default (the trainer's pay button), or a
   * card sale paid by `pay` (Yima's card POS, or nothing for the training terminal, which approves by itself).
   */
  async function paidSale(amountFen: number, card?: { pay: (tradeNo: string) => void }): Promise<PaymentView> {
    await invoke('training:script', { script: 'manual' });
    const created = (await invoke('payment:create', card === undefined ? { amountFen } : { amountFen, tender: 'card' })) as PaymentView;
    if (card === undefined) await invoke('training:pay', { id: created.id });
    else card.pay(created.tradeNo);
    let paid: PaymentView | undefined;
    await vi.waitFor(
      async () => {
        paid = (await invoke('payment:get', { id: created.id })) as PaymentView;
        expect(paid.status).toBe('paid');
      },
      { timeout: 10_000, interval: 25 },
    );
    return paid as PaymentView;
  }

  beforeEach(async () => {
    data = tempDir('receipts-');
    core = await startCore({
      dataDir: data.dir,
      version: '0',
      platform: 'web',
      cipher: createFileKeyCipher(data.dir),
      logger: silentLogger,
      schedule: { firstQueryMs: 30, fastIntervalMs: 30 },
    });
    await invoke('session:signIn', { code: '001', pin: '1111' });
  });

  afterEach(async () => {
    await core.close();
    for (const c of cleanups.splice(0).reverse()) await c();
    data.cleanup();
  });

  async function tcpPrinter(extra: Partial<ReceiptPrinterConfigInput> = {}): Promise<TcpPrinterStandIn> {
    const printer = await startTcpPrinterStandIn();
    cleanups.push(() => printer.close());
    await usePrinter({
      transport: 'tcp',
      host: printer.host,
      port: printer.port,
      paperWidth: 58,
      header: '电话 021-12345678',
      footer: '七日内凭小票退换',
      ...extra,
    });
    return printer;
  }

  it('a training checkout prints one receipt on a TCP printer, and its code finds the sale at the refund desk', async () => {
    const printer = await tcpPrinter();
    const sale = await paidSale(12_850);
    await vi.waitFor(() => expect(printer.sim.jobs()).toHaveLength(1), { timeout: 5000, interval: 25 });
    // Give a duplicate print every chance to show up.
    await new Promise((r) => setTimeout(r, 300));
    const jobs = printer.sim.jobs();
    expect(jobs).toHaveLength(1);
    const job = jobs[0]!;
    const lines = receiptText(job);
    expect(lines[0]).toBe('培训模式 / 非正式收据');
    expect(lines).toContain('电话 021-12345678');
    expect(lines).toContain('七日内凭小票退换');
    expect(lines.some((l) => /^金额 +￥128\.50$/.test(l))).toBe(true);
    expect(lines.some((l) => l.startsWith('收银员') && l.endsWith('001'))).toBe(true);
    for (const l of job.lines) expect(l.bytes.length * (l.big ? 2 : 1)).toBeLessThanOrEqual(32);
    expect(job.qr).toEqual([sale.tradeNo]);
    expect(job.barcodes).toEqual([sale.tradeNo]);
    // The printer was asked for its status before the job.
    expect(printer.sim.raw().subarray(0, 9)).toEqual(Buffer.from([0x10, 0x04, 0x01, 0x10, 0x04, 0x02, 0x10, 0x04, 0x04]));
    // What the QR says, typed (or scanned) into the refund desk search, finds this sale.
    const found = (await invoke('refund:find', { code: job.qr[0] })) as PaymentView[];
    expect(found.map((p) => p.id)).toEqual([sale.id]);
    const detail = await invoke('refund:detail', { paymentId: sale.id });
    expect(detail.events.map((e: { type: string }) => e.type)).toContain('receipt_printed');
    expect(await invoke('devices:status', undefined)).toContainEqual(expect.objectContaining({ device: 'receipt-printer', state: 'connected' }));
  });

  it('card sales print the card facts their gateway reported: a Yima sale its masked card, terminal, batch, trace and reference; a terminal sale likewise', async () => {
    const printer = await tcpPrinter({ paperWidth: 80 });
    // Yima: the card route goes to Yima's training gateway.
    await invoke('settings:save', { section: 'yima', value: YIMA_TEST_SETTINGS, approval: supervisor });
    const yima = await paidSale(6600, { pay: (tradeNo) => expect(core.trainingYima.pay(tradeNo)).toBe(true) });
    expect(yima.gateway).toBe('yima');
    await vi.waitFor(() => expect(printer.sim.jobs()).toHaveLength(1), { timeout: 5000, interval: 25 });
    const d = yima.gatewayDetail!;
    const lines = receiptText(printer.sim.jobs()[0]!);
    const pair = (label: string, value: unknown): boolean => lines.some((l) => l.startsWith(label) && l.endsWith(` ${String(value)}`));
    expect(String(d.cardNo)).toMatch(/^\d{6}\*+\d{4}$/);
    expect(pair('卡号', d.cardNo)).toBe(true);
    expect(pair('终端号', d.tid)).toBe(true);
    expect(pair('批次号', d.batchNo)).toBe(true);
    expect(pair('凭证号', d.traceNo)).toBe(true);
    expect(pair('参考号', d.refNo)).toBe(true);
    expect(lines.some((l) => l.startsWith('交易流水'))).toBe(false);

    // The training card terminal: its answer's card number comes masked (622202*********0123), and is printed so.
    await invoke('settings:save', { section: 'yima', value: { ...YIMA_TEST_SETTINGS, cardRoute: 'terminal' }, approval: supervisor });
    const terminal = await paidSale(7700, { pay: () => undefined });
    expect(terminal.gateway).toBe('terminal');
    await vi.waitFor(() => expect(printer.sim.jobs()).toHaveLength(2), { timeout: 5000, interval: 25 });
    const t = terminal.gatewayDetail!;
    const tLines = receiptText(printer.sim.jobs()[1]!);
    const tPair = (label: string, value: unknown): boolean => tLines.some((l) => l.startsWith(label) && l.endsWith(` ${String(value)}`));
    expect(String(t.cardNo)).toContain('*');
    expect(tPair('卡号', t.cardNo)).toBe(true);
    expect(tPair('终端号', t.terminalNo)).toBe(true);
    expect(tPair('批次号', t.batchNo)).toBe(true);
    expect(tPair('凭证号', t.voucherNo)).toBe(true);
    expect(tPair('参考号', t.referenceNo)).toBe(true);
  });

  it('paper out: the sale is still paid, the print is queued and recorded, and after paper in a reprint prints it once', async () => {
    const printer = await tcpPrinter();
    printer.sim.set({ paperOut: true });
    const sale = await paidSale(3_780);
    await vi.waitFor(async () => expect(await invoke('receipt:queue', undefined)).toHaveLength(1), { timeout: 5000, interval: 25 });
    expect((await invoke('payment:get', { id: sale.id })).status).toBe('paid');
    const [job] = await invoke('receipt:queue', undefined);
    expect(job).toMatchObject({ kind: 'payment', ref: sale.id, label: sale.tradeNo, lastCode: 'PRINTER_NOT_READY', attempts: 1 });
    expect(job.lastError).toMatch(/paper out/);
    expect(printer.sim.jobs()).toHaveLength(0);
    expect(await invoke('devices:status', undefined)).toContainEqual(
      expect.objectContaining({ device: 'receipt-printer', state: 'error', code: 'PRINTER_NOT_READY' }),
    );
    const health = await invoke('app:health', undefined);
    expect(health.devices).toContainEqual(expect.objectContaining({ name: 'receipt-printer', status: 'error' }));
    const events = (await invoke('refund:detail', { paymentId: sale.id })).events.map((e: { type: string }) => e.type);
    expect(events).toContain('receipt_failed');

    // Still out of paper: trying again keeps it queued, nothing printed.
    expect((await invoke('receipt:retry', {}))[0]).toMatchObject({ outcome: 'queued', code: 'PRINTER_NOT_READY' });
    expect((await invoke('receipt:queue', undefined))[0].attempts).toBe(2);

    printer.sim.set({ paperOut: false });
    const result = await invoke('receipt:print', { kind: 'payment', id: sale.id, reprint: true });
    expect(result.outcome).toBe('printed');
    expect(await invoke('receipt:queue', undefined)).toEqual([]);
    expect(await invoke('receipt:retry', {})).toEqual([]);
    const jobs = printer.sim.jobs();
    expect(jobs).toHaveLength(1);
    // The customer never got the original, so this is the original, not a 重印.
    expect(receiptText(jobs[0]!)).toContain('销售小票');
    expect(jobs[0]!.qr).toEqual([sale.tradeNo]);

    // A real reprint afterwards says 重印.
    await invoke('receipt:print', { kind: 'payment', id: sale.id, reprint: true });
    expect(receiptText(printer.sim.jobs()[1]!)).toContain('销售小票（重印）');
  });

  it('交班 prints the shift handover report on the receipt printer', async () => {
    const printer = await tcpPrinter();
    await paidSale(12_850);
    await paidSale(3_780);
    await vi.waitFor(() => expect(printer.sim.jobs()).toHaveLength(2), { timeout: 5000, interval: 25 });
    const { shift } = await invoke('shift:handover', undefined);
    await vi.waitFor(() => expect(printer.sim.jobs()).toHaveLength(3), { timeout: 5000, interval: 25 });
    const lines = receiptText(printer.sim.jobs()[2]!);
    expect(lines).toContain('交班报表');
    expect(lines.some((l) => /^收银员 +001$/.test(l))).toBe(true);
    expect(lines.some((l) => /^收款 2笔 +￥166\.30$/.test(l))).toBe(true);
    expect(lines.some((l) => /^净额 +￥166\.30$/.test(l))).toBe(true);
    expect(shift.report.totals.paidFen).toBe(16_630);
  });

  it('an unreachable printer never fails the sale; the queue survives a restart', async () => {
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    await usePrinter({ transport: 'tcp', host: '127.0.0.1', port, timeoutMs: 1000 });
    const sale = await paidSale(100);
    await vi.waitFor(async () => expect(await invoke('receipt:queue', undefined)).toHaveLength(1), { timeout: 5000, interval: 25 });
    expect((await invoke('receipt:queue', undefined))[0].lastCode).toBe('DEVICE_DISCONNECTED');
    await core.close();
    core = await startCore({ dataDir: data.dir, version: '0', platform: 'web', cipher: createFileKeyCipher(data.dir), logger: silentLogger });
    await invoke('session:signIn', { code: '001', pin: '1111' });
    expect(await invoke('receipt:queue', undefined)).toEqual([expect.objectContaining({ kind: 'payment', ref: sale.id })]);
    // Discarding is recorded.
    const [job] = await invoke('receipt:queue', undefined);
    expect(await invoke('receipt:discard', { jobId: job.id })).toEqual([]);
    const events = (await invoke('refund:detail', { paymentId: sale.id })).events.map((e: { type: string }) => e.type);
    expect(events).toContain('receipt_discarded');
  });

  it('test print, refund receipt and day report on a Linux printer device file', async () => {
    const file = join(data.dir, 'lp0');
    writeFileSync(file, '');
    await usePrinter({ transport: 'device', path: file, paperWidth: 80 });
    expect(await invoke('printer:test', undefined)).toMatchObject({ outcome: 'printed' });
    const sale = await paidSale(12_850);
    await vi.waitFor(() => expect(decodeJobs(readFileSync(file))).toHaveLength(2), { timeout: 5000, interval: 25 });
    const refund = await invoke('refund:create', { paymentId: sale.id, amountFen: 2_850, reason: '顾客退货', approval: supervisor });
    await vi.waitFor(async () => expect((await invoke('refund:detail', { paymentId: sale.id })).refunds[0].status).toBe('succeeded'), {
      timeout: 10_000,
      interval: 50,
    });
    // The succeeded refund prints its receipt by itself (the customer's proof), once.
    await vi.waitFor(() => expect(decodeJobs(readFileSync(file))).toHaveLength(3), { timeout: 5000, interval: 25 });
    await new Promise((r) => setTimeout(r, 300));
    expect(decodeJobs(readFileSync(file))).toHaveLength(3);
    // Printed again from the desk: marked 重印.
    expect(await invoke('receipt:print', { kind: 'refund', id: refund.id })).toMatchObject({ outcome: 'printed' });
    expect(await invoke('receipt:print', { kind: 'day', day: sale.businessDay })).toMatchObject({ outcome: 'printed' });
    const jobs = decodeJobs(readFileSync(file));
    expect(jobs).toHaveLength(5);
    expect(receiptText(jobs[2]!).join('\n')).not.toContain('重印');
    expect(receiptText(jobs[3]!).join('\n')).toContain('重印');
    expect(receiptText(jobs[3]!).some((l) => /^退款金额 +￥28\.50$/.test(l))).toBe(true);
    const test = receiptText(jobs[0]!);
    expect(test).toContain('打印测试');
    const refundLines = receiptText(jobs[2]!);
    expect(refundLines.some((l) => /^退款金额 +￥28\.50$/.test(l))).toBe(true);
    expect(refundLines.some((l) => /^可退余额 +￥100\.00$/.test(l))).toBe(true);
    expect(refundLines.some((l) => /^审批主管 +800$/.test(l))).toBe(true);
    const day = receiptText(jobs[4]!);
    expect(day).toContain('日结报表');
    expect(day.some((l) => /^净额 +￥100\.00$/.test(l))).toBe(true);
    for (const j of jobs) for (const l of j.lines) expect(l.bytes.length * (l.big ? 2 : 1)).toBeLessThanOrEqual(48);
    // The browser print path gets the same lines.
    const text = await invoke('receipt:text', { kind: 'payment', id: sale.id, reprint: true });
    expect(text.code).toBe(sale.tradeNo);
    expect(text.lines.map((l: { text: string }) => l.text.trimEnd())).toContain('销售小票（重印）');
  });

  it.skipIf(!hasSocat())('over a socat pty: a training checkout prints one receipt; paper out queues it; reprint after paper in prints it once', async () => {
    const ptyDir = mkdtempSync(join(tmpdir(), 'printer-pty-'));
    const modem = await startNullModem(join(ptyDir, 'pos'), join(ptyDir, 'printer'));
    const far = realPortFactory({ path: modem.b, baudRate: 9600, dataBits: 8, stopBits: 1, parity: 'none' });
    await new Promise<void>((resolve, reject) => far.open((err) => (err ? reject(err) : resolve())));
    const printer = attachSerialPrinterStandIn(far);
    cleanups.push(async () => {
      await printer.close();
      await modem.stop();
      rmSync(ptyDir, { recursive: true, force: true });
    });
    await usePrinter({ transport: 'serial', path: modem.a, paperWidth: 80 });
    await vi.waitFor(
      async () => expect(await invoke('devices:status', undefined)).toContainEqual(expect.objectContaining({ device: 'receipt-printer', state: 'connected' })),
      {
        timeout: 5000,
      },
    );
    const sale = await paidSale(12_850);
    await vi.waitFor(() => expect(printer.sim.jobs()).toHaveLength(1), { timeout: 5000, interval: 25 });
    expect(printer.sim.jobs()[0]!.qr).toEqual([sale.tradeNo]);
    expect(printer.sim.raw().subarray(0, 3)).toEqual(Buffer.from([0x10, 0x04, 0x01]));

    printer.sim.set({ paperOut: true });
    const second = await paidSale(500);
    await vi.waitFor(async () => expect(await invoke('receipt:queue', undefined)).toHaveLength(1), { timeout: 5000, interval: 25 });
    expect((await invoke('payment:get', { id: second.id })).status).toBe('paid');
    expect(printer.sim.jobs()).toHaveLength(1);
    printer.sim.set({ paperOut: false });
    expect(await invoke('receipt:print', { kind: 'payment', id: second.id, reprint: true })).toMatchObject({ outcome: 'printed' });
    await vi.waitFor(() => expect(printer.sim.jobs()).toHaveLength(2), { timeout: 5000, interval: 25 });
    await new Promise((r) => setTimeout(r, 200));
    expect(printer.sim.jobs()).toHaveLength(2);
    expect(printer.sim.jobs()[1]!.qr).toEqual([second.tradeNo]);
    expect(await invoke('receipt:queue', undefined)).toEqual([]);
  });
});
