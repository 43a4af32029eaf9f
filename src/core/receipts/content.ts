/**
 * What a receipt says (pure): sale, refund, shift handover and day report as ReceiptBlocks, the same
 * blocks for the thermal printer (receipt-encoder.ts) and for the HTML / browser print path. The QR and
 * the barcode carry our order number (tradeNo): unique for every tender, known before any gateway
 * answer, and the first thing the refund desk's code search tries after the trace
 * (src/core/reports/transactions.ts findPayments).
 */
import { formatFen } from '../../shared/money';
import type { SettlementReportData } from '../../shared/reports';
import type { ReceiptBlock } from '../devices/receipt-encoder';
import { maskPanText } from '../util/logger';

export interface ReceiptContext {
  shopName: string;
  /** The counter / lane (POS number). */
  counter: string;
  header: string;
  footer: string;
  training: boolean;
  reprint: boolean;
  /** Printed time (epoch ms). */
  printedAt: number;
  timeZone?: string | undefined;
}

export interface SaleForReceipt {
  tradeNo: string;
  merOrderNo: string | null;
  tender: string;
  payType: string | null;
  amountFen: number;
  sysTrace: string | null;
  operator: string | null;
  paidAt: number | null;
  createdAt: number;
  memo: string | null;
  /** Card sales: masked card number and terminal references. */
  card?: { cardNo: string; terminalNo: string; voucherNo: string; referenceNo: string; authCode: string; batchNo?: string | undefined } | undefined;
  /** Cash sales: tendered and change, fen. */
  cash?: { tenderedFen: number; changeFen: number } | undefined;
}

export interface RefundForReceipt {
  refundNo: string;
  amountFen: number;
  status: string;
  sysTrace: string | null;
  operator: string | null;
  approvedBy: string | null;
  reason: string;
  createdAt: number;
  payment: { tradeNo: string; sysTrace: string | null; amountFen: number; tender: string; payType: string | null };
  /** What may still be refunded after this refund. */
  remainingFen: number;
}

const PAY_TYPE_NAMES: Record<string, string> = {
  ZFBA: '支付宝',
  WEIX: '微信支付',
  UPAY: '银联云闪付',
  card: '银行卡',
  cash: '现金',
  other: '其他',
};

/** 支付方式 text for a tender + pay type. */
export function payTypeName(tender: string, payType: string | null): string {
  if (tender === 'card') return PAY_TYPE_NAMES.card ?? '银行卡';
  if (tender === 'cash') return PAY_TYPE_NAMES.cash ?? '现金';
  return (payType === null ? undefined : PAY_TYPE_NAMES[payType]) ?? '扫码支付';
}

/** `YYYY-MM-DD HH:mm:ss` in the shop's time zone. */
export function formatDateTime(ms: number, timeZone?: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(ms));
  const get = (type: string): string => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}:${get('second')}`;
}

const yuan = (fen: number): string => `￥${formatFen(fen)}`;

function head(ctx: ReceiptContext, title: string): ReceiptBlock[] {
  const blocks: ReceiptBlock[] = [];
  if (ctx.training) blocks.push({ kind: 'text', text: '培训模式 / 非正式收据', align: 'center', bold: true });
  blocks.push({ kind: 'text', text: ctx.shopName === '' ? '收银小票' : ctx.shopName, align: 'center', bold: true, big: true });
  if (ctx.header.trim() !== '') blocks.push({ kind: 'text', text: ctx.header.trim(), align: 'center' });
  blocks.push({ kind: 'text', text: ctx.reprint ? `${title}（重印）` : title, align: 'center', bold: true });
  blocks.push({ kind: 'rule' });
  return blocks;
}

function tail(ctx: ReceiptContext, code: string): ReceiptBlock[] {
  const blocks: ReceiptBlock[] = [{ kind: 'rule' }];
  if (code !== '') {
    // The line under the codes is the reference as text: a code the printer cannot draw adds no second copy.
    blocks.push(
      { kind: 'qr', data: code, textFallback: false },
      { kind: 'barcode', data: code, textFallback: false },
      { kind: 'text', text: code, align: 'center' },
    );
  }
  if (ctx.reprint) blocks.push({ kind: 'text', text: `重印时间 ${formatDateTime(ctx.printedAt, ctx.timeZone)}`, align: 'center' });
  if (ctx.footer.trim() !== '') blocks.push({ kind: 'text', text: ctx.footer.trim(), align: 'center' });
  if (ctx.training) blocks.push({ kind: 'text', text: '培训模式 / 非正式收据', align: 'center', bold: true });
  return blocks;
}

/** The sale receipt (小票). */
export function saleReceipt(sale: SaleForReceipt, ctx: ReceiptContext): ReceiptBlock[] {
  const at = sale.paidAt ?? sale.createdAt;
  const blocks: ReceiptBlock[] = [
    ...head(ctx, '销售小票'),
    { kind: 'pair', label: '收银台', value: ctx.counter },
    { kind: 'pair', label: '收银员', value: sale.operator ?? '-' },
    { kind: 'pair', label: '时间', value: formatDateTime(at, ctx.timeZone) },
    { kind: 'pair', label: '订单号', value: sale.tradeNo },
  ];
  if (sale.merOrderNo !== null && sale.merOrderNo !== '') blocks.push({ kind: 'pair', label: '商户单号', value: sale.merOrderNo });
  if (sale.memo !== null && sale.memo !== '') blocks.push({ kind: 'pair', label: '备注', value: sale.memo });
  blocks.push({ kind: 'rule' }, { kind: 'pair', label: '金额', value: yuan(sale.amountFen), bold: true, big: true });
  blocks.push({ kind: 'pair', label: '支付方式', value: payTypeName(sale.tender, sale.payType) });
  if (sale.cash !== undefined) {
    blocks.push(
      { kind: 'pair', label: '实收', value: yuan(sale.cash.tenderedFen) },
      { kind: 'pair', label: '找零', value: yuan(sale.cash.changeFen), bold: true },
    );
  }
  if (sale.card !== undefined) {
    blocks.push({ kind: 'pair', label: '卡号', value: maskPanText(sale.card.cardNo) }, { kind: 'pair', label: '终端号', value: sale.card.terminalNo });
    if (sale.card.batchNo !== undefined && sale.card.batchNo.trim() !== '') blocks.push({ kind: 'pair', label: '批次号', value: sale.card.batchNo });
    blocks.push({ kind: 'pair', label: '凭证号', value: sale.card.voucherNo }, { kind: 'pair', label: '参考号', value: sale.card.referenceNo });
    if (sale.card.authCode.trim() !== '') blocks.push({ kind: 'pair', label: '授权码', value: sale.card.authCode });
  } else if (sale.sysTrace !== null && sale.tender !== 'cash') {
    blocks.push({ kind: 'pair', label: '交易流水', value: sale.sysTrace });
  }
  blocks.push(...tail(ctx, sale.tradeNo));
  return blocks;
}

const REFUND_STATUS: Record<string, string> = { succeeded: '退款成功', failed: '退款失败', pending: '处理中', created: '处理中', unknown: '状态未明' };

/** The refund receipt: original sale, refunded amount, what is left to refund, who approved. */
export function refundReceipt(refund: RefundForReceipt, ctx: ReceiptContext): ReceiptBlock[] {
  const blocks: ReceiptBlock[] = [
    ...head(ctx, '退款小票'),
    { kind: 'pair', label: '收银台', value: ctx.counter },
    { kind: 'pair', label: '时间', value: formatDateTime(refund.createdAt, ctx.timeZone) },
    { kind: 'pair', label: '退款单号', value: refund.refundNo },
    { kind: 'pair', label: '原订单号', value: refund.payment.tradeNo },
  ];
  if (refund.payment.sysTrace !== null) blocks.push({ kind: 'pair', label: '原交易流水', value: refund.payment.sysTrace });
  blocks.push(
    { kind: 'pair', label: '原金额', value: yuan(refund.payment.amountFen) },
    { kind: 'pair', label: '支付方式', value: payTypeName(refund.payment.tender, refund.payment.payType) },
    { kind: 'rule' },
    { kind: 'pair', label: '退款金额', value: yuan(refund.amountFen), bold: true, big: true },
    { kind: 'pair', label: '状态', value: REFUND_STATUS[refund.status] ?? refund.status },
    { kind: 'pair', label: '可退余额', value: yuan(refund.remainingFen) },
    { kind: 'pair', label: '原因', value: refund.reason },
    { kind: 'pair', label: '经办', value: refund.operator ?? '-' },
    { kind: 'pair', label: '审批主管', value: refund.approvedBy ?? '-' },
  );
  if (refund.sysTrace !== null) blocks.push({ kind: 'pair', label: '退款流水', value: refund.sysTrace });
  blocks.push(...tail(ctx, refund.payment.tradeNo));
  return blocks;
}

const BUCKET_NAMES: Record<string, string> = { ZFBA: '支付宝', WEIX: '微信支付', UPAY: '银联云闪付', card: '银行卡', cash: '现金', other: '其他' };

/** Shift handover (交班) or end-of-day (日结) report on the thermal printer. */
export function reportReceipt(report: SettlementReportData, ctx: ReceiptContext, extra: ReceiptBlock[] = []): ReceiptBlock[] {
  const title = report.kind === 'shift' ? '交班报表' : '日结报表';
  const blocks: ReceiptBlock[] = [...head(ctx, title), { kind: 'pair', label: '收银台', value: ctx.counter }];
  if (report.kind === 'shift') {
    blocks.push(
      { kind: 'pair', label: '收银员', value: report.operator ?? '-' },
      { kind: 'pair', label: '开始', value: report.from === null ? '-' : formatDateTime(report.from, ctx.timeZone) },
      { kind: 'pair', label: '结束', value: report.to === null ? '-' : formatDateTime(report.to, ctx.timeZone) },
    );
  } else {
    blocks.push({ kind: 'pair', label: '营业日', value: report.day ?? '-' });
    if (report.closed !== null) blocks.push({ kind: 'pair', label: '日结', value: `${formatDateTime(report.closed.at, ctx.timeZone)} ${report.closed.by}` });
    else blocks.push({ kind: 'text', text: '（未日结，草稿）', align: 'center' });
  }
  blocks.push({ kind: 'rule' });
  for (const row of report.byPayType) {
    blocks.push(
      { kind: 'pair', label: `${BUCKET_NAMES[row.payType] ?? row.payType} ${row.paidCount}笔`, value: yuan(row.paidFen) },
      ...(row.refundCount > 0 ? [{ kind: 'pair' as const, label: `  退款 ${row.refundCount}笔`, value: yuan(-row.refundFen) }] : []),
    );
  }
  blocks.push(
    { kind: 'rule' },
    { kind: 'pair', label: `收款 ${report.totals.paidCount}笔`, value: yuan(report.totals.paidFen) },
    { kind: 'pair', label: `退款 ${report.totals.refundCount}笔`, value: yuan(-report.totals.refundFen) },
    { kind: 'pair', label: '净额', value: yuan(report.totals.netFen), bold: true, big: true },
  );
  if (report.kind === 'day' && report.byOperator.length > 0) {
    blocks.push({ kind: 'rule' }, { kind: 'text', text: '按收银员', bold: true });
    for (const row of report.byOperator) blocks.push({ kind: 'pair', label: `${row.operator ?? '-'} ${row.paidCount}笔`, value: yuan(row.netFen) });
  }
  if (report.drawer !== undefined) {
    const d = report.drawer;
    const diff = d.differenceFen === 0 ? '相符' : d.differenceFen < 0 ? `短款 ${yuan(-d.differenceFen)}` : `长款 ${yuan(d.differenceFen)}`;
    blocks.push(
      { kind: 'rule' },
      { kind: 'text', text: '钱箱清点', bold: true },
      { kind: 'pair', label: '备用金', value: yuan(d.floatFen) },
      { kind: 'pair', label: '现金收款', value: yuan(d.cashSalesFen) },
      { kind: 'pair', label: '现金退款', value: yuan(-d.cashRefundsFen) },
      { kind: 'pair', label: '应有现金', value: yuan(d.expectedFen) },
      { kind: 'pair', label: '实点现金', value: yuan(d.countedFen) },
      ...(d.denominations ?? []).map((n) => ({
        kind: 'pair' as const,
        label: `  ${n.valueFen >= 100 ? `￥${n.valueFen / 100}` : `${n.valueFen / 10}角`} × ${n.count}`,
        value: yuan(n.valueFen * n.count),
      })),
      ...((d.coinsFen ?? 0) > 0 ? [{ kind: 'pair' as const, label: '  硬币合计', value: yuan(d.coinsFen ?? 0) }] : []),
      { kind: 'pair', label: '差额', value: diff, bold: true },
    );
  }
  if (report.kind === 'day' && report.drawers !== undefined && report.drawers.length > 0) {
    blocks.push({ kind: 'rule' }, { kind: 'text', text: '钱箱（按班次）', bold: true });
    for (const d of report.drawers) {
      const verdict =
        d.differenceFen === null
          ? d.endedAt === null
            ? '未交班'
            : '未清点'
          : d.differenceFen === 0
            ? '相符'
            : d.differenceFen < 0
              ? `短款 ${yuan(-d.differenceFen)}`
              : `长款 ${yuan(d.differenceFen)}`;
      blocks.push(
        { kind: 'pair', label: `${d.operator} 班次${d.shiftId}`, value: verdict, bold: d.differenceFen !== 0 },
        { kind: 'pair', label: '  应有现金', value: yuan(d.expectedFen) },
        { kind: 'pair', label: '  实点现金', value: d.countedFen === null ? '未清点' : yuan(d.countedFen) },
      );
    }
  }
  const unresolved = report.unresolved.payments.length + report.unresolved.refunds.length;
  if (unresolved > 0) blocks.push({ kind: 'rule' }, { kind: 'text', text: `未决交易 ${unresolved} 笔，请处理`, bold: true });
  blocks.push(...extra);
  blocks.push({ kind: 'rule' }, { kind: 'pair', label: '打印时间', value: formatDateTime(ctx.printedAt, ctx.timeZone) });
  if (ctx.training) blocks.push({ kind: 'text', text: '培训模式 / 非正式收据', align: 'center', bold: true });
  return blocks;
}

/** The settings "test print": shows width, Chinese text, QR, barcode and the cut. */
export function testReceipt(ctx: ReceiptContext, columns: number): ReceiptBlock[] {
  return [
    ...head({ ...ctx, reprint: false }, '打印测试'),
    { kind: 'text', text: '中文测试：收银台小票打印正常' },
    { kind: 'text', text: '0123456789'.repeat(10).slice(0, columns) },
    { kind: 'pair', label: '金额', value: yuan(12_345_67), bold: true, big: true },
    ...tail({ ...ctx, reprint: false }, 'TEST0123456789'),
  ];
}
