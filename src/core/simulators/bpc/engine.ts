/**
 * The simulated bank: orders, refunds and scripts, without any HTTP. Everything is synchronous and
 * driven by an injected clock; time-based transitions (expiry, `pay_after_ms`) are applied lazily
 * whenever an order is looked at, and a timer only nudges `pay_after_ms` so notifications go out on time.
 */
import { AppError } from '../../../shared/errors';
import type { BpcPayType } from '../../gateways/bpc/wire';
import { TraceIssuer, chinaDateTime, newScanCode, randomDigits } from './trace';
import type { NotifyPlan, PaymentScript, RefundScript, SimOrder, SimOrderState, SimRefund, SimRefundState } from './types';

/** Codes the simulator answers with. 00/77/88/99 are the seed's; the failure codes are our choice. */
export const SIM_CODES = {
  success: { code: '00', msg: '交易成功' },
  failed: { code: '77', msg: '交易失败' },
  waiting: { code: '88', msg: '等待用户支付' },
  unknown: { code: '99', msg: '交易状态未明' },
  badSign: { code: 'A0', msg: '签名错误' },
  format: { code: '30', msg: '报文格式错误' },
  merchant: { code: '03', msg: '商户号不符' },
  amount: { code: '13', msg: '金额无效' },
  duplicate: { code: '94', msg: '订单号重复' },
  notFound: { code: '25', msg: '原交易不存在' },
  alreadyPaid: { code: '12', msg: '订单已支付' },
  notPaid: { code: '21', msg: '原交易未支付,不能退货' },
  refundCap: { code: '61', msg: '退货金额超限' },
  tooManyRefunds: { code: '65', msg: '退货次数超限' },
  unsupported: { code: '40', msg: '不支持的交易类型' },
  system: { code: '96', msg: '系统故障' },
} as const;

/** A QR without `qrValidTime` is valid this long (seed §3.2.1: 10 minutes). */
export const DEFAULT_QR_VALID_SECONDS = 600;
const MAX_QR_VALID_SECONDS = 86_400;
/** BPC amounts are at most 12 digits of fen (the sample pads to 12). */
const MAX_AMOUNT_DIGITS = 12;
/** Memory bounds: the oldest orders are forgotten beyond this. */
export const MAX_ORDERS = 20_000;
const MAX_REFUNDS_PER_ORDER = 200;
const MAX_QUEUE = 1_000;

const REQUIRED: Record<string, readonly string[]> = {
  F: ['tranType', 'posNo', 'mid', 'txnAmt', 'tradeNo'],
  G: ['tranType', 'posNo', 'mid', 'orgSysTrace'],
  R: ['tranType', 'posNo', 'mid', 'txnAmt', 'orgSysTrace', 'tradeNo'],
  J: ['tranType', 'posNo', 'mid', 'orgSysTrace'],
  // [guess] S has no field table in the seed; by analogy with G.
  S: ['tranType', 'posNo', 'mid', 'orgSysTrace'],
};

const PAY_TYPES: readonly BpcPayType[] = ['ZFBA', 'WEIX', 'UPAY'];

/** One answer body, in wire order (mid, sysTrace, orgSysTrace, scanCode, respCode, respMsg, extras). */
export type Answer = Record<string, string>;

interface OrderRecord {
  sysTrace: string;
  scanCode: string;
  tradeNo: string;
  merOrderNo: string | null;
  posNo: string;
  tellerNo: string | null;
  amountFen: number;
  validSeconds: number;
  createdAt: number;
  expiresAt: number;
  state: SimOrderState;
  script: PaymentScript;
  /** G queries answered while waiting (drives the query-count scripts). */
  queriesSeen: number;
  requestedPayType: string | null;
  payType: BpcPayType | null;
  paidAt: number | null;
  /** Bank-side transaction id of the wallet that paid. */
  walletTradeId: string;
  notifyPlan: NotifyPlan | null;
  retUrl: string | null;
  loseCloseRace: boolean;
  refunds: RefundRecord[];
}

interface RefundRecord {
  sysTrace: string;
  tradeNo: string;
  orgSysTrace: string;
  amountFen: number;
  state: SimRefundState;
  script: RefundScript;
  queriesSeen: number;
  at: number;
}

export interface EngineDeps {
  mid: string;
  now: () => number;
  /** Run `fn` after `ms` real milliseconds (the server cancels these on close). */
  schedule: (ms: number, fn: () => void) => void;
  /** Called once when an order becomes paid, with the plan to send (scripted plan, or retUrl). */
  onPaid: (sysTrace: string, plan: NotifyPlan | null, retUrl: string | null) => void;
  defaultScript: PaymentScript;
}

/** Throws BAD_INPUT when a script cannot be run (negative counts, a 00 "rejection"). */
export function checkPaymentScript(script: PaymentScript): void {
  const bad = (why: string): never => {
    throw new AppError('BAD_INPUT', `invalid payment script: ${why}`, { field: 'script' });
  };
  switch (script.kind) {
    case 'pay_after_queries':
    case 'unknown_then':
      if (!Number.isSafeInteger(script.queries) || script.queries < 0) bad('queries must be an integer ≥ 0');
      break;
    case 'pay_after_ms':
      if (!Number.isSafeInteger(script.ms) || script.ms < 0) bad('ms must be an integer ≥ 0');
      break;
    case 'reject_create':
      if (!/^[0-9A-Za-z]{2}$/.test(script.respCode) || script.respCode === '00') bad('respCode must be 2 characters and not 00');
      break;
    default:
      break;
  }
}

/** Throws BAD_INPUT for a negative query count. */
export function checkRefundScript(script: RefundScript): void {
  if (script.kind === 'unknown_then' && (!Number.isSafeInteger(script.queries) || script.queries < 0)) {
    throw new AppError('BAD_INPUT', 'invalid refund script: queries must be an integer ≥ 0', { field: 'script' });
  }
}

const fail = (mid: string, c: { code: string; msg: string }, msg?: string): Answer => ({
  mid,
  respCode: c.code,
  respMsg: msg ?? c.msg,
});

const pad12 = (fen: number): string => String(fen).padStart(MAX_AMOUNT_DIGITS, '0');

/** Fen from a digit string (padded or not); null unless 1..12 digits and > 0. */
export function parseAmountFen(text: string): number | null {
  if (!/^\d{1,12}$/.test(text)) return null;
  const fen = Number(text);
  return fen > 0 ? fen : null;
}

export class BpcSimEngine {
  private readonly traces = new TraceIssuer();
  private readonly byTrace = new Map<string, OrderRecord>();
  private readonly byScan = new Map<string, OrderRecord>();
  private readonly byTradeNo = new Map<string, OrderRecord>();
  private readonly refundsByTrace = new Map<string, RefundRecord>();
  private readonly refundsByTradeNo = new Map<string, RefundRecord>();
  /** Traces handed out to queries, so no two answers share one (bounded like orders). */
  private readonly issued = new Set<string>();
  private readonly scriptQueue: { script: PaymentScript; notify: NotifyPlan | null }[] = [];
  private readonly refundQueue: RefundScript[] = [];
  private defaultScript: PaymentScript;

  constructor(private readonly deps: EngineDeps) {
    checkPaymentScript(deps.defaultScript);
    this.defaultScript = deps.defaultScript;
  }

  scriptNext(script: PaymentScript, notify: NotifyPlan | null): void {
    checkPaymentScript(script);
    if (this.scriptQueue.length >= MAX_QUEUE) throw new AppError('BAD_INPUT', 'too many queued scripts');
    this.scriptQueue.push({ script, notify });
  }

  setDefaultScript(script: PaymentScript): void {
    checkPaymentScript(script);
    this.defaultScript = script;
  }

  scriptNextRefund(script: RefundScript): void {
    checkRefundScript(script);
    if (this.refundQueue.length >= MAX_QUEUE) throw new AppError('BAD_INPUT', 'too many queued refund scripts');
    this.refundQueue.push(script);
  }

  /**
   * Every order and refund as plain data, so training mode can keep its simulated bank across a restart
   * of the app (a payment interrupted by a crash then resolves as it would at a real bank).
   */
  exportState(): { version: 1; orders: unknown[] } {
    return { version: 1, orders: [...this.byTrace.values()].map((order) => structuredClone(order)) };
  }

  /** Loads what exportState wrote; entries that do not look like orders are skipped. Returns how many loaded. */
  importState(state: unknown): number {
    if (typeof state !== 'object' || state === null || (state as { version?: unknown }).version !== 1) return 0;
    const orders = (state as { orders?: unknown }).orders;
    if (!Array.isArray(orders)) return 0;
    let loaded = 0;
    for (const candidate of orders) {
      const o = candidate as Partial<OrderRecord>;
      if (
        typeof o.sysTrace !== 'string' ||
        typeof o.scanCode !== 'string' ||
        typeof o.tradeNo !== 'string' ||
        typeof o.amountFen !== 'number' ||
        !Array.isArray(o.refunds)
      )
        continue;
      const order = { ...o, notifyPlan: null, loseCloseRace: false } as OrderRecord;
      this.remember(order);
      this.issued.add(order.sysTrace);
      for (const refund of order.refunds) {
        this.refundsByTrace.set(refund.sysTrace, refund);
        this.refundsByTradeNo.set(refund.tradeNo, refund);
        this.issued.add(refund.sysTrace);
      }
      loaded += 1;
    }
    return loaded;
  }

  /** Forget queued scripts and close-race marks (orders stay). */
  reset(): void {
    this.scriptQueue.length = 0;
    this.refundQueue.length = 0;
    for (const order of this.byTrace.values()) order.loseCloseRace = false;
  }

  /** Mark an order so its next S loses the race with a payment. false when the order is unknown. */
  payOnClose(sysTrace: string): boolean {
    const order = this.byTrace.get(sysTrace);
    if (order === undefined) return false;
    order.loseCloseRace = true;
    return true;
  }

  /** The simulated customer pays. true when a waiting order became paid now. */
  pay(sysTraceOrScanCode: string, payType?: BpcPayType): boolean {
    const order = this.find(sysTraceOrScanCode);
    if (order === undefined) return false;
    this.refresh(order);
    if (order.state !== 'waiting') return false;
    this.markPaid(order, this.deps.now(), payType);
    return true;
  }

  order(sysTraceOrScanCode: string): SimOrder | undefined {
    const order = this.find(sysTraceOrScanCode);
    if (order === undefined) return undefined;
    this.refresh(order);
    return snapshot(order);
  }

  orders(): SimOrder[] {
    return [...this.byTrace.values()].map((o) => {
      this.refresh(o);
      return snapshot(o);
    });
  }

  /** Fields for the payment-result notification (seed §3.2.5 sample shape); undefined unless paid. */
  notificationBody(sysTrace: string): Record<string, string> | undefined {
    const order = this.byTrace.get(sysTrace);
    if (order === undefined) return undefined;
    this.refresh(order);
    if (order.state !== 'paid' || order.paidAt === null || order.payType === null) return undefined;
    const { date, time } = chinaDateTime(order.paidAt);
    return {
      orgSysTrace: order.sysTrace,
      qrValidTime: String(order.validSeconds).padStart(8, '0'),
      bankDate: date,
      bankTime: time,
      qrOrderNo: order.sysTrace,
      limitCount: '1',
      payTypeMap: '111000000',
      oldQrOrderNo: order.sysTrace,
      oldTermId: order.posNo,
      oldPayType: order.payType,
      oldBankDate: date,
      oldBankTime: time,
      oldRespCode: '000000',
      oldRespMsg: '交易成功',
      ...walletIds(order),
      respCode: SIM_CODES.success.code,
      respMsg: '成功',
    };
  }

  /**
   * Answer one request whose JSON and signature were already accepted. Never throws for any input: a
   * bad request gets a failure answer naming the problem.
   */
  handle(body: Record<string, string>): Answer {
    const mid = this.deps.mid;
    const tranType = body.tranType ?? '';
    if (tranType === '') return fail(mid, SIM_CODES.format, '缺少必填字段: tranType');
    const required = REQUIRED[tranType];
    if (required === undefined) return fail(mid, SIM_CODES.unsupported, `不支持的交易类型: ${tranType.slice(0, 16)}`);
    for (const field of required) {
      if ((body[field] ?? '') === '') return fail(mid, SIM_CODES.format, `缺少必填字段: ${field}`);
    }
    if (body.mid !== mid) return fail(mid, SIM_CODES.merchant);
    switch (tranType) {
      case 'F':
        return this.create(body);
      case 'G':
        return this.query(body);
      case 'R':
        return this.refund(body);
      case 'J':
        return this.refundQuery(body);
      default:
        return this.close(body);
    }
  }

  private create(body: Record<string, string>): Answer {
    const mid = this.deps.mid;
    const amountFen = parseAmountFen(body.txnAmt ?? '');
    if (amountFen === null) return fail(mid, SIM_CODES.amount, '金额无效: txnAmt');
    // [guess] The seed gives no unit for qrValidTime; we read digits as seconds (the notification
    // sample's "00000600" matches the 10-minute default in seconds). Empty = 10 minutes.
    let validSeconds = DEFAULT_QR_VALID_SECONDS;
    const valid = body.qrValidTime ?? '';
    if (valid !== '') {
      const seconds = /^\d{1,8}$/.test(valid) ? Number(valid) : NaN;
      if (!(seconds >= 1 && seconds <= MAX_QR_VALID_SECONDS)) return fail(mid, SIM_CODES.format, '字段无效: qrValidTime');
      validSeconds = seconds;
    }
    const tradeNo = body.tradeNo ?? '';
    if (tradeNo.length > 64) return fail(mid, SIM_CODES.format, '字段无效: tradeNo');
    // A repeated tradeNo never makes a second order: this is what stops a retried F from charging twice.
    if (this.byTradeNo.has(tradeNo)) return fail(mid, SIM_CODES.duplicate);

    const queued = this.scriptQueue.shift();
    const script = queued?.script ?? this.defaultScript;
    if (script.kind === 'reject_create') return fail(mid, { code: script.respCode, msg: script.respMsg });

    const now = this.deps.now();
    const sysTrace = this.issueTrace(body.posNo ?? '', now);
    let scanCode = newScanCode();
    while (this.byScan.has(scanCode)) scanCode = newScanCode();
    const retUrl = body.retUrl ?? '';
    const order: OrderRecord = {
      sysTrace,
      scanCode,
      tradeNo,
      merOrderNo: body.merOrderNo ?? body.MerOrderNo ?? null,
      posNo: body.posNo ?? '',
      tellerNo: body.tellerNo ?? null,
      amountFen,
      validSeconds,
      createdAt: now,
      expiresAt: now + validSeconds * 1000,
      state: 'waiting',
      script,
      queriesSeen: 0,
      requestedPayType: body.payType ?? null,
      payType: null,
      paidAt: null,
      walletTradeId: '',
      notifyPlan: queued?.notify ?? null,
      retUrl: retUrl === '' ? null : retUrl,
      loseCloseRace: false,
      refunds: [],
    };
    this.remember(order);
    if (script.kind === 'pay_after_ms') this.nudgePayment(order, script.ms, 3);
    return { mid, sysTrace, scanCode, respCode: SIM_CODES.success.code, respMsg: SIM_CODES.success.msg };
  }

  private query(body: Record<string, string>): Answer {
    const mid = this.deps.mid;
    const orgSysTrace = body.orgSysTrace ?? '';
    const order = this.byTrace.get(orgSysTrace);
    if (order === undefined) return fail(mid, SIM_CODES.notFound);
    this.refresh(order);
    if (order.state === 'waiting') this.advanceOnQuery(order);
    const sysTrace = this.issueTrace(body.posNo ?? order.posNo, this.deps.now());
    const head = { mid, sysTrace, orgSysTrace };
    switch (order.state) {
      case 'paid':
        return { ...head, respCode: SIM_CODES.success.code, respMsg: SIM_CODES.success.msg, ...paidFields(order) };
      case 'failed':
        return { ...head, respCode: SIM_CODES.failed.code, respMsg: '交易失败' };
      case 'closed':
        return { ...head, respCode: SIM_CODES.failed.code, respMsg: '订单已关闭' };
      case 'expired':
        return { ...head, respCode: SIM_CODES.failed.code, respMsg: '二维码已过期' };
      default: {
        const unknown = order.script.kind === 'unknown_then';
        const c = unknown ? SIM_CODES.unknown : SIM_CODES.waiting;
        return { ...head, respCode: c.code, respMsg: c.msg };
      }
    }
  }

  /** One G against a waiting order: count it and apply the query-driven scripts. */
  private advanceOnQuery(order: OrderRecord): void {
    const script = order.script;
    switch (script.kind) {
      case 'pay_after_queries':
        if (order.queriesSeen >= script.queries) this.markPaid(order, this.deps.now());
        else order.queriesSeen += 1;
        return;
      case 'unknown_then':
        if (order.queriesSeen < script.queries) order.queriesSeen += 1;
        else if (script.then === 'paid') this.markPaid(order, this.deps.now());
        else order.state = 'failed';
        return;
      case 'fail':
        order.state = 'failed';
        return;
      default:
        order.queriesSeen += 1;
        return;
    }
  }

  private close(body: Record<string, string>): Answer {
    const mid = this.deps.mid;
    const orgSysTrace = body.orgSysTrace ?? '';
    const order = this.byTrace.get(orgSysTrace);
    if (order === undefined) return fail(mid, SIM_CODES.notFound);
    this.refresh(order);
    if (order.loseCloseRace) {
      order.loseCloseRace = false;
      if (order.state === 'waiting') this.markPaid(order, this.deps.now());
    }
    const head = { mid, sysTrace: this.issueTrace(body.posNo ?? order.posNo, this.deps.now()), orgSysTrace };
    if (order.state === 'paid') return { ...head, respCode: SIM_CODES.alreadyPaid.code, respMsg: SIM_CODES.alreadyPaid.msg };
    // Closing is idempotent; a failed order keeps its state, a waiting or expired one becomes closed.
    if (order.state === 'waiting' || order.state === 'expired') order.state = 'closed';
    return { ...head, respCode: SIM_CODES.success.code, respMsg: '订单已关闭' };
  }

  private refund(body: Record<string, string>): Answer {
    const mid = this.deps.mid;
    const amountFen = parseAmountFen(body.txnAmt ?? '');
    if (amountFen === null) return fail(mid, SIM_CODES.amount, '金额无效: txnAmt');
    const tradeNo = body.tradeNo ?? '';
    if (tradeNo.length > 64) return fail(mid, SIM_CODES.format, '字段无效: tradeNo');
    // A repeated refund number is the same refund: answer with its trace and current state, never refund again.
    const earlier = this.refundsByTradeNo.get(tradeNo);
    if (earlier !== undefined) return refundAnswer(mid, earlier, 'R');

    const orgSysTrace = body.orgSysTrace ?? '';
    const order = this.byTrace.get(orgSysTrace);
    if (order === undefined) return fail(mid, SIM_CODES.notFound);
    this.refresh(order);
    if (order.state !== 'paid') return fail(mid, SIM_CODES.notPaid);
    if (order.refunds.length >= MAX_REFUNDS_PER_ORDER) return fail(mid, SIM_CODES.tooManyRefunds);
    // Unresolved refunds count against the cap: they may still succeed.
    const committed = order.refunds.filter((r) => r.state !== 'failed').reduce((sum, r) => sum + r.amountFen, 0);
    if (committed + amountFen > order.amountFen) return fail(mid, SIM_CODES.refundCap);

    const script = this.refundQueue.shift() ?? { kind: 'success' };
    const now = this.deps.now();
    const refund: RefundRecord = {
      sysTrace: this.issueTrace(body.posNo ?? order.posNo, now),
      tradeNo,
      orgSysTrace,
      amountFen,
      state: script.kind === 'success' ? 'success' : script.kind === 'fail' ? 'failed' : 'pending',
      script,
      queriesSeen: 0,
      at: now,
    };
    order.refunds.push(refund);
    this.refundsByTrace.set(refund.sysTrace, refund);
    this.refundsByTradeNo.set(tradeNo, refund);
    return refundAnswer(mid, refund, 'R');
  }

  private refundQuery(body: Record<string, string>): Answer {
    const mid = this.deps.mid;
    const refund = this.refundsByTrace.get(body.orgSysTrace ?? '');
    if (refund === undefined) return fail(mid, SIM_CODES.notFound);
    if (refund.state === 'pending' && refund.script.kind === 'unknown_then') {
      if (refund.queriesSeen < refund.script.queries) refund.queriesSeen += 1;
      else refund.state = refund.script.then === 'success' ? 'success' : 'failed';
    }
    return refundAnswer(mid, refund, 'J', this.issueTrace(body.posNo ?? '', this.deps.now()));
  }

  /**
   * Apply a `pay_after_ms` payment when it falls due, so its notification goes out without any query.
   * Timers run on the monotonic clock and may fire a little before `now()` says the time has come, so a
   * few retries cover the skew; with a test clock that does not move they simply run out.
   */
  private nudgePayment(order: OrderRecord, ms: number, retries: number): void {
    this.deps.schedule(ms, () => {
      this.refresh(order);
      if (order.state !== 'waiting' || order.script.kind !== 'pay_after_ms' || retries <= 0) return;
      const left = order.createdAt + order.script.ms - this.deps.now();
      if (left > 0) this.nudgePayment(order, left + 2, retries - 1);
    });
  }

  private find(sysTraceOrScanCode: string): OrderRecord | undefined {
    return this.byTrace.get(sysTraceOrScanCode) ?? this.byScan.get(sysTraceOrScanCode);
  }

  /** Apply what the clock implies: a due `pay_after_ms` payment, or expiry of an unpaid QR. */
  private refresh(order: OrderRecord): void {
    if (order.state !== 'waiting') return;
    const now = this.deps.now();
    const script = order.script;
    if (script.kind === 'pay_after_ms') {
      const payAt = order.createdAt + script.ms;
      if (payAt < order.expiresAt && now >= payAt) {
        this.markPaid(order, payAt);
        return;
      }
    }
    if (now >= order.expiresAt) order.state = 'expired';
  }

  private markPaid(order: OrderRecord, at: number, payType?: BpcPayType): void {
    const scripted = order.script.kind === 'pay_after_queries' || order.script.kind === 'pay_after_ms' ? order.script.payType : undefined;
    const requested = PAY_TYPES.find((p) => p === order.requestedPayType);
    const chosen: BpcPayType = payType ?? scripted ?? requested ?? 'WEIX';
    order.state = 'paid';
    order.paidAt = at;
    order.payType = chosen;
    order.walletTradeId = chosen === 'WEIX' ? `42000${randomDigits(23)}` : chosen === 'ZFBA' ? `2019${randomDigits(24)}` : randomDigits(20);
    this.deps.onPaid(order.sysTrace, order.notifyPlan, order.retUrl);
  }

  private issueTrace(posNo: string, now: number): string {
    const trace = this.traces.next(posNo, now, (t) => this.issued.has(t));
    this.issued.add(trace);
    if (this.issued.size > MAX_ORDERS * 4) {
      // Keep the newest half; old query traces are never looked up again.
      let drop = this.issued.size / 2;
      for (const t of this.issued) {
        if (drop-- <= 0) break;
        if (!this.byTrace.has(t) && !this.refundsByTrace.has(t)) this.issued.delete(t);
      }
    }
    return trace;
  }

  private remember(order: OrderRecord): void {
    while (this.byTrace.size >= MAX_ORDERS) {
      const oldest = this.byTrace.values().next().value;
      if (oldest === undefined) break;
      this.forget(oldest);
    }
    this.byTrace.set(order.sysTrace, order);
    this.byScan.set(order.scanCode, order);
    this.byTradeNo.set(order.tradeNo, order);
  }

  private forget(order: OrderRecord): void {
    this.byTrace.delete(order.sysTrace);
    this.byScan.delete(order.scanCode);
    this.byTradeNo.delete(order.tradeNo);
    for (const r of order.refunds) {
      this.refundsByTrace.delete(r.sysTrace);
      this.refundsByTradeNo.delete(r.tradeNo);
    }
  }
}

function walletIds(order: OrderRecord): Record<string, string> {
  return {
    oldTradeNo: order.payType === 'ZFBA' ? order.walletTradeId : '',
    oldTradeId: order.payType === 'WEIX' ? order.walletTradeId : '',
    oldPayVounum: order.payType === 'UPAY' ? order.walletTradeId : '',
  };
}

/** The extra bank fields G returns for a paid order ("其他信息"). */
function paidFields(order: OrderRecord): Record<string, string> {
  const { date, time } = chinaDateTime(order.paidAt ?? order.createdAt);
  const out: Record<string, string> = {
    payType: order.payType ?? '',
    txnAmt: pad12(order.amountFen),
    tradeNo: order.tradeNo,
    bankDate: date,
    bankTime: time,
    ...walletIds(order),
  };
  if (order.merOrderNo !== null) out.merOrderNo = order.merOrderNo;
  return out;
}

function refundAnswer(mid: string, refund: RefundRecord, op: 'R' | 'J', queryTrace?: string): Answer {
  const c =
    refund.state === 'success'
      ? { code: SIM_CODES.success.code, msg: op === 'R' ? SIM_CODES.success.msg : '成功' }
      : refund.state === 'failed'
        ? { code: SIM_CODES.failed.code, msg: '退货失败' }
        : SIM_CODES.unknown;
  const head: Answer = op === 'R' ? { mid, sysTrace: refund.sysTrace } : { mid, sysTrace: queryTrace ?? '', orgSysTrace: refund.sysTrace };
  return { ...head, respCode: c.code, respMsg: c.msg, txnAmt: String(refund.amountFen), tradeNo: refund.tradeNo };
}

function snapshot(order: OrderRecord): SimOrder {
  const refunds: SimRefund[] = order.refunds.map((r) => ({
    sysTrace: r.sysTrace,
    tradeNo: r.tradeNo,
    amountFen: r.amountFen,
    state: r.state,
    at: r.at,
  }));
  const sum = (state: SimRefundState): number => refunds.filter((r) => r.state === state).reduce((s, r) => s + r.amountFen, 0);
  return {
    sysTrace: order.sysTrace,
    scanCode: order.scanCode,
    tradeNo: order.tradeNo,
    merOrderNo: order.merOrderNo,
    posNo: order.posNo,
    tellerNo: order.tellerNo,
    amountFen: order.amountFen,
    state: order.state,
    scriptKind: order.script.kind,
    payType: order.payType,
    createdAt: order.createdAt,
    expiresAt: order.expiresAt,
    paidAt: order.paidAt,
    refundedFen: sum('success'),
    pendingRefundFen: sum('pending'),
    refunds,
  };
}
