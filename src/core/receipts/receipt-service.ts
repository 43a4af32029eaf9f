/**
 * The receipt printer service: renders receipts from the ledger, sends them through the configured
 * link, and never lets a print block or fail a sale. A print that cannot be done (paper out, cover
 * open, printer unreachable) is kept in a queue (stored in the settings table, so it survives a
 * restart), recorded in the event log, and offered again; printing it — or reprinting the same sale —
 * removes it, so the customer gets one receipt. Jobs run one at a time.
 */
import { AppError } from '../../shared/errors';
import type { DeviceStatus } from '../../shared/devices';
import type { AutoPrint, PrinterStatus, PrintJobView, PrintResult, ReceiptPrinterConfig, ReceiptText } from '../../shared/printer';
import { PAPER, PrintJobViewSchema } from '../../shared/printer';
import type { AppMode } from '../../shared/ipc/contract';
import type { GatewayDetail } from '../../shared/domain';
import type { Db } from '../ledger/db';
import { appendEvent, listEvents, type EventEntity } from '../ledger/events';
import { getPayment } from '../ledger/payments';
import { getRefund } from '../ledger/refunds';
import { readSetting, writeSetting } from '../ledger/settings';
import { getShift } from '../operators/shifts';
import { buildDayReport, getClosedDay } from '../reports/day-report';
import { paymentDetail } from '../reports/transactions';
import type { Logger } from '../util/logger';
import { silentLogger } from '../util/logger';
import type { PortFactory, ReconnectPolicy } from '../devices/connection';
import { decodeEscpos } from '../devices/escpos-decoder';
import type { PrinterLink } from '../devices/printer-link';
import { deviceLink, serialLink, tcpLink, UNKNOWN_STATUS } from '../devices/printer-link';
import type { ReceiptBlock } from '../devices/receipt-encoder';
import { encodeDrawerKick, encodeReceipt } from '../devices/receipt-encoder';
import type { Timers } from '../devices/timers';
import type { ReceiptContext, SaleForReceipt } from './content';
import { refundReceipt, reportReceipt, saleReceipt, testReceipt } from './content';
import { receiptHtml } from './html';

export const RECEIPT_QUEUE_SETTING = 'receipts.queue';

export type PrintKind = 'payment' | 'refund' | 'shift' | 'day' | 'test';

export interface PrintRequest {
  kind: PrintKind;
  /** Payment / refund / shift id; the business day for `day`. */
  ref: number | string;
  reprint?: boolean;
}

export interface ReceiptServiceDeps {
  db: Db;
  now: () => number;
  mode: () => AppMode;
  shopName: () => string;
  /** The counter (lane / POS number) printed on every receipt. */
  counter: () => string;
  portFactory: PortFactory;
  onStatus: (status: DeviceStatus) => void;
  /** The queue changed (the status bar shows how many prints wait). */
  onQueue?: (jobs: PrintJobView[]) => void;
  /** Electron only: print HTML silently to a named system printer ('' = default). */
  systemPrint?: ((html: string, printerName: string) => Promise<void>) | undefined;
  /** Electron only: the installed system printers. */
  listSystemPrinters?: (() => Promise<{ name: string; displayName: string }[]>) | undefined;
  /** A chain's receipt header / footer from headquarters' snapshot (null fields: the printer's own are used). */
  hqReceipt?: () => { header: string | null; footer: string | null } | null;
  /** Extra lines for a sale (cash tendered / change), from the cash module. */
  cashFor?: (paymentId: number) => { tenderedFen: number; changeFen: number } | undefined;
  timeZone?: string | undefined;
  timers?: Timers;
  logger?: Logger;
  reconnect?: ReconnectPolicy | null;
  watchIntervalMs?: number;
  statusTimeoutMs?: number;
}

type QueuedJob = PrintJobView;

/**
 * What the checkout needs to know about receipts (app:info): the auto print setting, and whether a
 * receipt goes through the page's print dialog (a system printer without Electron's silent print).
 */
export function receiptCounterInfo(config: ReceiptPrinterConfig | null, canSystemPrint: boolean): { after: AutoPrint; dialog: boolean } | null {
  if (config === null) return null;
  return { after: config.autoPrint, dialog: config.transport === 'system' && !canSystemPrint };
}

function notConfigured(): DeviceStatus {
  return { device: 'receipt-printer', state: 'not_configured', detail: 'no receipt printer configured' };
}

function statusDetail(status: PrinterStatus): string {
  const parts: string[] = [];
  if (status.online === null && status.paperOut === null) return 'ready (the printer does not report its status)';
  if (status.paperOut === true) parts.push('paper out');
  if (status.coverOpen === true) parts.push('cover open');
  if (status.online === false) parts.push('offline');
  if (status.paperNearEnd === true) parts.push('paper near end');
  return parts.length === 0 ? 'ready' : parts.join(', ');
}

export class ReceiptService {
  private readonly deps: ReceiptServiceDeps;
  private readonly logger: Logger;
  private config: ReceiptPrinterConfig | null = null;
  private link: PrinterLink | null = null;
  private unsubscribe: (() => void) | null = null;
  private current: DeviceStatus = notConfigured();
  private tail: Promise<unknown> = Promise.resolve();
  private jobs: QueuedJob[];
  private nextId: number;
  private readonly autoPrinted = new Set<number>();
  private readonly autoPrintedRefunds = new Set<number>();

  constructor(deps: ReceiptServiceDeps) {
    this.deps = deps;
    this.logger = deps.logger ?? silentLogger;
    const stored = PrintJobViewSchema.array().safeParse(readSetting(deps.db, RECEIPT_QUEUE_SETTING) ?? []);
    this.jobs = stored.success ? stored.data : [];
    this.nextId = this.jobs.reduce((max, j) => Math.max(max, j.id), 0) + 1;
  }

  get printerConfig(): ReceiptPrinterConfig | null {
    return this.config;
  }

  status(): DeviceStatus {
    return this.current;
  }

  /** Replaces the printer. Never rejects for a printer that is not there (that is a status). */
  async apply(config: ReceiptPrinterConfig | null): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    const old = this.link;
    this.link = null;
    await old?.close().catch(() => undefined);
    this.config = config;
    if (config === null) {
      this.emit(notConfigured());
      return;
    }
    const link = this.createLink(config);
    this.link = link;
    if (link === null) {
      this.emit({
        device: 'receipt-printer',
        state: 'connected',
        detail:
          this.deps.systemPrint === undefined
            ? 'system printer: the browser print dialog is used'
            : `system printer ${config.systemPrinter === '' ? '(default)' : config.systemPrinter}`,
      });
      return;
    }
    if (link.onState !== undefined) {
      this.unsubscribe = link.onState((e) => {
        if (e.state === 'idle' || e.state === 'closed') return;
        const state = e.state === 'connected' ? 'connected' : e.state === 'connecting' ? 'connecting' : e.state === 'disconnected' ? 'disconnected' : 'error';
        this.emit({
          device: 'receipt-printer',
          state,
          detail: e.detail,
          port: link.target,
          ...(e.code === undefined ? {} : { code: e.code as DeviceStatus['code'] & string }),
        });
      });
      this.emit({ device: 'receipt-printer', state: 'connecting', detail: `opening ${link.target}`, port: link.target });
    } else {
      this.emit({ device: 'receipt-printer', state: 'connected', detail: 'not checked yet', port: link.target });
    }
    await link.open();
  }

  private createLink(config: ReceiptPrinterConfig): PrinterLink | null {
    const timing = this.deps.statusTimeoutMs === undefined ? {} : { statusTimeoutMs: this.deps.statusTimeoutMs };
    switch (config.transport) {
      case 'tcp':
        return tcpLink(config.host, config.port, config.timeoutMs, { ...timing, ...(this.deps.timers === undefined ? {} : { timers: this.deps.timers }) });
      case 'device':
        return deviceLink(config.path);
      case 'serial':
        return serialLink(config, {
          portFactory: this.deps.portFactory,
          logger: this.logger,
          ...timing,
          ...(this.deps.timers === undefined ? {} : { timers: this.deps.timers }),
          ...(this.deps.reconnect === undefined ? {} : { reconnect: this.deps.reconnect }),
          ...(this.deps.watchIntervalMs === undefined ? {} : { watchIntervalMs: this.deps.watchIntervalMs }),
        });
      case 'system':
        return null;
    }
  }

  /** Asks the printer now (health screen). Never rejects. */
  async refreshStatus(): Promise<DeviceStatus> {
    const link = this.link;
    if (this.config === null || link === null || !link.canReadStatus || !this.config.statusQuery) return this.current;
    try {
      const status = await this.exclusive(() => link.status());
      if (status.online === null && status.paperOut === null) {
        this.emit({ device: 'receipt-printer', state: 'connected', detail: 'reachable; no status answer', port: link.target });
      } else {
        const bad = status.paperOut === true || status.coverOpen === true || status.online === false;
        this.emit({
          device: 'receipt-printer',
          state: bad ? 'error' : 'connected',
          detail: statusDetail(status),
          port: link.target,
          ...(bad ? { code: 'PRINTER_NOT_READY' as const } : {}),
        });
      }
    } catch (err) {
      const e = err instanceof AppError ? err : new AppError('DEVICE_DISCONNECTED', String(err));
      this.emit({
        device: 'receipt-printer',
        state: e.code === 'DEVICE_DISCONNECTED' ? 'disconnected' : 'error',
        detail: e.message,
        port: link.target,
        code: e.code,
      });
    }
    return this.current;
  }

  /** The failed prints waiting to be offered again, oldest first. */
  queue(): PrintJobView[] {
    return this.jobs.map((j) => ({ ...j }));
  }

  /**
   * Prints after a paid sale when the setting says `auto` (once per payment per run). Never rejects:
   * a failure is queued and recorded.
   */
  autoPrintPayment(paymentId: number): void {
    if (this.config === null || this.config.autoPrint !== 'auto' || this.autoPrinted.has(paymentId)) return;
    this.autoPrinted.add(paymentId);
    // After a restart: a sale that already printed (or queued) its receipt does not print again.
    if (this.printedBefore('payment', paymentId, true)) return;
    this.print({ kind: 'payment', ref: paymentId }).catch((err: unknown) => this.logger.error('auto print failed', { error: err }));
  }

  /**
   * Prints a succeeded refund's receipt — the customer's proof of the money back — when receipts print
   * after a sale (`auto`, and `ask`: the refund desk has no question to ask), once per refund; never rejects.
   */
  autoPrintRefund(refundId: number): void {
    if (this.config === null || this.config.autoPrint === 'off' || this.autoPrintedRefunds.has(refundId)) return;
    this.autoPrintedRefunds.add(refundId);
    if (this.printedBefore('refund', refundId, true)) return;
    this.print({ kind: 'refund', ref: refundId }).catch((err: unknown) => this.logger.error('refund receipt print failed', { error: err }));
  }

  /** Whether this sale's / refund's receipt was printed already (or, with `orQueued`, failed and was queued). */
  private printedBefore(entity: 'payment' | 'refund', id: number, orQueued = false): boolean {
    return listEvents(this.deps.db, entity, id).some((e) => e.type === 'receipt_printed' || (orQueued && e.type === 'receipt_failed'));
  }

  /**
   * Prints one receipt. Resolves with `printed`, `queued` (failed and kept; the result says why) or
   * `browser` (system printer in browser mode: the page prints it). Rejects only for requests that
   * can never print: NOT_CONFIGURED (no printer), NOT_FOUND (no such payment / refund / shift).
   */
  async print(request: PrintRequest): Promise<PrintResult> {
    const config = this.config;
    if (config === null) throw new AppError('NOT_CONFIGURED', 'no receipt printer configured');
    // A sale whose receipt is still queued was never printed: print that one (as the original), once.
    const queued = this.jobs.find((j) => j.kind === request.kind && j.ref === request.ref);
    // Reprint unless told: a sale's or refund's receipt that was printed before is marked 重印.
    const before = (): boolean => (request.kind === 'payment' || request.kind === 'refund') && this.printedBefore(request.kind, Number(request.ref));
    const reprint = queued === undefined ? (request.reprint ?? before()) : queued.reprint;
    const blocks = this.render({ ...request, reprint }, config);
    return this.exclusive(() => this.run({ ...request, reprint }, blocks, config, queued));
  }

  /** Prints every queued job again (oldest first); stops at the first one that still fails. */
  async retryAll(): Promise<PrintResult[]> {
    const results: PrintResult[] = [];
    for (const job of this.queue()) {
      const result = await this.print({ kind: job.kind as PrintKind, ref: job.ref, reprint: job.reprint }).catch((err: unknown) => {
        this.drop(job.id, 'unprintable');
        const e = err instanceof AppError ? err : new AppError('INTERNAL', String(err));
        return { outcome: 'queued' as const, jobId: null, detail: e.message, code: e.code };
      });
      results.push(result);
      if (result.outcome === 'queued') break;
    }
    return results;
  }

  /** Prints one queued job again. NOT_FOUND when it is not queued. */
  retry(jobId: number): Promise<PrintResult> {
    const job = this.jobs.find((j) => j.id === jobId);
    if (job === undefined) throw new AppError('NOT_FOUND', `print job ${jobId} is not queued`, { id: jobId });
    return this.print({ kind: job.kind as PrintKind, ref: job.ref, reprint: job.reprint });
  }

  /** Gives up on a queued job (recorded). */
  discard(jobId: number, by: string | null): PrintJobView[] {
    const job = this.jobs.find((j) => j.id === jobId);
    if (job === undefined) throw new AppError('NOT_FOUND', `print job ${jobId} is not queued`, { id: jobId });
    this.drop(jobId, 'discarded', by);
    return this.queue();
  }

  /** Kicks the cash drawer (through the receipt printer). Rejects with NOT_CONFIGURED / DEVICE_* errors. */
  async openDrawer(): Promise<void> {
    const config = this.config;
    if (config === null) throw new AppError('NOT_CONFIGURED', 'no receipt printer configured (the cash drawer opens through it)');
    if (!config.drawer.enabled) throw new AppError('NOT_CONFIGURED', 'the cash drawer is switched off in the printer settings');
    const link = this.link;
    if (link === null) throw new AppError('NOT_CONFIGURED', 'a system printer cannot open the cash drawer; use an ESC/POS transport');
    // No status check: a drawer opens with the paper out.
    await this.exclusive(() => link.send(encodeDrawerKick(config.drawer), false));
  }

  /** The system printers Settings offers (Electron); browser mode has none: its page's print dialog chooses. */
  async systemPrinters(): Promise<{ available: boolean; printers: { name: string; displayName: string }[] }> {
    const list = this.deps.listSystemPrinters;
    if (list === undefined) return { available: false, printers: [] };
    try {
      return { available: true, printers: await list() };
    } catch (err) {
      throw new AppError('DEVICE_NOT_FOUND', `the system printers could not be listed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** The receipt as lines (browser print dialog, HTML path). */
  text(request: PrintRequest): ReceiptText {
    const config = this.config ?? null;
    const width = config?.paperWidth ?? 80;
    const blocks = this.render(request, config);
    return this.toText(blocks, width);
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    await this.link?.close().catch(() => undefined);
    this.link = null;
  }

  private toText(blocks: ReceiptBlock[], width: 58 | 80): ReceiptText {
    const decoded = decodeEscpos(encodeReceipt(blocks, { paperWidth: width, encoding: 'gb18030', cut: 'none', feedLines: 0 }));
    const code = blocks.find((b): b is Extract<ReceiptBlock, { kind: 'qr' }> => b.kind === 'qr')?.data ?? '';
    return { lines: decoded.lines.map((l) => ({ text: l.text, align: l.align, bold: l.bold, big: l.big })), code, columns: PAPER[width].columns };
  }

  private context(training: boolean, reprint: boolean, config: ReceiptPrinterConfig | null): ReceiptContext {
    return {
      shopName: this.deps.shopName(),
      counter: this.deps.counter(),
      header: this.deps.hqReceipt?.()?.header ?? config?.header ?? '',
      footer: this.deps.hqReceipt?.()?.footer ?? config?.footer ?? '',
      training,
      reprint,
      printedAt: this.deps.now(),
      timeZone: this.deps.timeZone,
    };
  }

  private render(request: PrintRequest, config: ReceiptPrinterConfig | null): ReceiptBlock[] {
    const { db } = this.deps;
    const reprint = request.reprint === true;
    switch (request.kind) {
      case 'payment': {
        const p = getPayment(db, Number(request.ref));
        if (p.status !== 'paid') throw new AppError('INVALID_STATE', `payment ${p.id} is ${p.status}: only paid sales get a receipt`, { id: p.id });
        const sale: SaleForReceipt = {
          tradeNo: p.tradeNo,
          merOrderNo: p.merOrderNo,
          tender: p.tender,
          payType: p.payType,
          amountFen: p.amountFen,
          sysTrace: p.sysTrace,
          operator: p.operator,
          paidAt: p.paidAt,
          createdAt: p.createdAt,
          memo: p.memo,
          card: p.tender === 'card' ? (cardFromDetail(p.gatewayDetail) ?? cardDetails(db, p.id)) : undefined,
          cash: this.deps.cashFor?.(p.id),
        };
        return saleReceipt(sale, this.context(p.mode === 'training', reprint, config));
      }
      case 'refund': {
        const r = getRefund(db, Number(request.ref));
        const detail = paymentDetail(db, r.paymentId);
        const p = detail.payment;
        return refundReceipt(
          {
            refundNo: r.refundNo,
            amountFen: r.amountFen,
            status: r.status,
            sysTrace: r.sysTrace,
            operator: r.operator,
            approvedBy: r.approvedBy,
            reason: r.reason,
            createdAt: r.createdAt,
            payment: { tradeNo: p.tradeNo, sysTrace: p.sysTrace, amountFen: p.amountFen, tender: p.tender, payType: p.payType },
            remainingFen: detail.remainingFen,
          },
          this.context(r.mode === 'training', reprint, config),
        );
      }
      case 'shift': {
        const shift = getShift(db, Number(request.ref));
        if (shift.report === null) throw new AppError('INVALID_STATE', `shift ${shift.id} has not been handed over yet`, { id: shift.id });
        return reportReceipt(shift.report, this.context(shift.mode === 'training', reprint, config));
      }
      case 'day': {
        const day = String(request.ref);
        const mode = this.deps.mode();
        const report =
          getClosedDay(db, mode, day)?.report ??
          buildDayReport(db, { mode, day, ...(this.deps.timeZone === undefined ? {} : { timeZone: this.deps.timeZone }) });
        return reportReceipt(report, this.context(mode === 'training', reprint, config));
      }
      case 'test':
        return testReceipt(this.context(this.deps.mode() === 'training', false, config), PAPER[config?.paperWidth ?? 80].columns);
    }
  }

  private async run(
    request: PrintRequest & { reprint: boolean },
    blocks: ReceiptBlock[],
    config: ReceiptPrinterConfig,
    queued: QueuedJob | undefined,
  ): Promise<PrintResult> {
    const link = this.link;
    try {
      if (link === null) {
        if (this.deps.systemPrint === undefined) return { outcome: 'browser', jobId: null, detail: 'print it with the browser print dialog', code: null };
        const html = await receiptHtml(this.toText(blocks, config.paperWidth));
        await this.deps.systemPrint(html, config.systemPrinter);
      } else {
        const bytes = encodeReceipt(blocks, {
          paperWidth: config.paperWidth,
          encoding: config.encoding,
          chineseMode: config.chineseMode,
          cut: config.cut,
          feedLines: config.feedLines,
        });
        const status = await link.send(bytes, config.statusQuery && link.canReadStatus);
        this.emit({ device: 'receipt-printer', state: 'connected', detail: statusDetail(status), port: link.target });
      }
      if (queued !== undefined) this.jobs = this.jobs.filter((j) => j.id !== queued.id);
      this.saveQueue();
      this.record(request, 'receipt_printed', { reprint: request.reprint, ...(queued === undefined ? {} : { fromQueue: queued.id }) });
      return { outcome: 'printed', jobId: null, detail: link === null ? 'sent to the system printer' : `printed on ${link.target}`, code: null };
    } catch (err) {
      const e = err instanceof AppError ? err : new AppError('DEVICE_DISCONNECTED', err instanceof Error ? err.message : String(err));
      if (request.kind === 'test') {
        // A test print is not kept: the person is looking at the printer.
        this.emitFailure(e, link);
        return { outcome: 'queued', jobId: null, detail: e.message, code: e.code };
      }
      const job: QueuedJob =
        queued === undefined
          ? {
              id: this.nextId++,
              kind: request.kind,
              ref: request.ref,
              reprint: request.reprint,
              label: this.label(request),
              createdAt: this.deps.now(),
              attempts: 1,
              lastError: e.message,
              lastCode: e.code,
            }
          : { ...queued, attempts: queued.attempts + 1, lastError: e.message, lastCode: e.code };
      this.jobs = [...this.jobs.filter((j) => j.id !== job.id), job].sort((a, b) => a.id - b.id);
      this.saveQueue();
      this.record(request, 'receipt_failed', { reprint: request.reprint, jobId: job.id, code: e.code, message: e.message });
      this.emitFailure(e, link);
      this.logger.warn('receipt print failed; queued', { jobId: job.id, code: e.code, message: e.message });
      return { outcome: 'queued', jobId: job.id, detail: e.message, code: e.code };
    }
  }

  private emitFailure(e: AppError, link: PrinterLink | null): void {
    const state = e.code === 'DEVICE_DISCONNECTED' || e.code === 'DEVICE_NOT_FOUND' ? 'disconnected' : 'error';
    this.emit({ device: 'receipt-printer', state, detail: e.message, code: e.code, ...(link === null ? {} : { port: link.target }) });
  }

  private label(request: PrintRequest): string {
    try {
      if (request.kind === 'payment') return getPayment(this.deps.db, Number(request.ref)).tradeNo;
      if (request.kind === 'refund') return getRefund(this.deps.db, Number(request.ref)).refundNo;
    } catch {
      // fall through
    }
    return `${request.kind} ${String(request.ref)}`;
  }

  private drop(jobId: number, why: string, by: string | null = null): void {
    const job = this.jobs.find((j) => j.id === jobId);
    if (job === undefined) return;
    this.jobs = this.jobs.filter((j) => j.id !== jobId);
    this.saveQueue();
    this.record({ kind: job.kind as PrintKind, ref: job.ref }, 'receipt_discarded', { jobId, why }, by);
  }

  private saveQueue(): void {
    writeSetting(this.deps.db, RECEIPT_QUEUE_SETTING, this.jobs, this.deps.now());
    try {
      this.deps.onQueue?.(this.queue());
    } catch (err) {
      this.logger.error('print queue listener failed', { error: err });
    }
  }

  private record(request: PrintRequest, type: string, data: Record<string, unknown>, actor: string | null = null): void {
    const entity: EventEntity = request.kind === 'payment' ? 'payment' : request.kind === 'refund' ? 'refund' : 'device';
    const entityId = request.kind === 'payment' || request.kind === 'refund' ? Number(request.ref) : null;
    try {
      appendEvent(this.deps.db, { at: this.deps.now(), entity, entityId, type, actor, data: { kind: request.kind, ref: request.ref, ...data } });
    } catch (err) {
      this.logger.error('could not record a print event', { error: err });
    }
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private emit(status: DeviceStatus): void {
    const prev = this.current;
    if (prev.state === status.state && prev.detail === status.detail && prev.code === status.code && prev.port === status.port) return;
    this.current = status;
    try {
      this.deps.onStatus(status);
    } catch (err) {
      this.logger.error('printer status listener failed', { error: err });
    }
  }
}

/**
 * Card number and references from the sale's gateway detail (masked by the core before it was stored),
 * named as the serial terminal link keeps them (terminalNo, voucherNo, referenceNo) or as Yima does (tid,
 * traceNo, refNo). Null when the detail names no card (a sale recorded before the detail column).
 */
function cardFromDetail(detail: GatewayDetail | null): SaleForReceipt['card'] | null {
  if (detail === null) return null;
  const s = (...keys: string[]): string => {
    for (const k of keys) {
      const v = detail[k];
      if ((typeof v === 'string' && v.trim() !== '') || typeof v === 'number') return String(v).trim();
    }
    return '';
  };
  const card = {
    cardNo: s('cardNo'),
    terminalNo: s('terminalNo', 'tid'),
    batchNo: s('batchNo'),
    voucherNo: s('voucherNo', 'traceNo'),
    referenceNo: s('referenceNo', 'refNo'),
    authCode: s('authCode'),
  };
  return card.cardNo === '' && card.referenceNo === '' ? null : card;
}

/** Card number and terminal references from the terminal's answer recorded with the payment (older sales). */
function cardDetails(db: Db, paymentId: number): SaleForReceipt['card'] {
  const events = listEvents(db, 'payment', paymentId);
  for (let i = events.length - 1; i >= 0; i -= 1) {
    const data = events[i]?.data as { response?: Record<string, unknown> } | undefined;
    const r = data?.response;
    if (r !== undefined && typeof r.cardNo === 'string' && r.returnCode === '00') {
      const s = (k: string): string => {
        const v = r[k];
        return typeof v === 'string' ? v.trim() : '';
      };
      return { cardNo: s('cardNo'), terminalNo: s('terminalNo'), voucherNo: s('voucherNo'), referenceNo: s('referenceNo'), authCode: s('authCode') };
    }
  }
  return undefined;
}

export { UNKNOWN_STATUS };
