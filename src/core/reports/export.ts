/**
 * Exports of settlement reports and transaction lists. Amounts are integer fen until the last moment:
 * CSV writes yuan text via formatFen (no floating point), XLSX stores fen/100 as a number only in the
 * cell, formatted 0.00. CSV is UTF-8 with a BOM (so Excel reads Chinese) and RFC 4180 quoting, CRLF.
 */
import ExcelJS from 'exceljs';
import { formatFen } from '../../shared/money';
import type { PaymentStatus, RefundStatus } from '../../shared/domain';
import { payTypeBucket, type GatewayBucket, type PayTypeBucket, type ReportPayment, type ReportRefund, type SettlementReport } from './day-report';
import type { TransactionRow } from './rows';
import { shiftDrawerTotals } from './shift-drawers';
import { localClock, type LocalClock } from './time';

export type ExportLang = 'zh' | 'en';

export interface ExportOptions {
  /** Labels language; Chinese by default. */
  lang?: ExportLang;
}

/** UTF-8 byte order mark: without it Excel opens a CSV as the ANSI code page and garbles Chinese. */
export const CSV_BOM = '\uFEFF';

const LABELS = {
  zh: {
    dayReport: '日结报表',
    shiftReport: '交班报表',
    day: '营业日',
    shift: '班次',
    mode: '模式',
    modes: { live: '正式', training: '培训' },
    operator: '操作员',
    allOperators: '全部',
    timeZone: '时区',
    closedAt: '结账时间',
    closedBy: '结账人',
    overrideBy: '强制结账授权人',
    overrideReason: '强制结账原因',
    notClosed: '未结账',
    payType: '支付方式',
    paidCount: '收款笔数',
    paidAmount: '收款金额',
    refundCount: '退款笔数',
    refundAmount: '退款金额',
    net: '净额',
    total: '合计',
    hour: '小时',
    unresolved: '未完成',
    unresolvedPayments: '未完成收款',
    unresolvedRefunds: '未完成退款',
    payments: '收款明细',
    refunds: '退款明细',
    late: '迟到结算（之前已日结的营业日在本日完成的交易，不计入上方合计）',
    kind: '类型',
    kinds: { payment: '收款', refund: '退款' },
    summary: '汇总',
    id: '编号',
    createdAt: '创建时间',
    paidAt: '支付时间',
    amount: '金额',
    tender: '收款方式',
    tenders: { qr: '扫码', card: '刷卡', cash: '现金' },
    status: '状态',
    tradeNo: '订单号',
    sysTrace: '系统参考号',
    merOrderNo: '商户订单号',
    refunded: '已退款',
    memo: '备注',
    settledBy: '主管确认',
    refundNo: '退款单号',
    paymentTradeNo: '原订单号',
    paymentSysTrace: '原系统参考号',
    reason: '原因',
    approvedBy: '授权人',
    finalAt: '完成时间',
    businessDay: '营业日',
    noOperator: '(无)',
    drawers: '钱箱（按班次：应有现金 = 备用金 + 现金收款 − 现金退款）',
    startedAt: '开班时间',
    endedAt: '交班时间',
    float: '备用金',
    cashSales: '现金收款',
    cashRefunds: '现金退款',
    expected: '应有现金',
    counted: '实点现金',
    difference: '差额（负数为短款）',
    openShift: '未交班',
    notCounted: '未清点',
    uncounted: '未清点的班次',
    buckets: { ZFBA: '支付宝', WEIX: '微信支付', UPAY: '银联云闪付', card: '银行卡', cash: '现金', other: '其他' } satisfies Record<PayTypeBucket, string>,
    gateway: '支付通道',
    gateways: { bpc: 'BPC 扫码', terminal: '刷卡终端', yima: '翼码刷卡', cash: '现金', other: '其他' } satisfies Record<GatewayBucket, string>,
    paymentStatuses: {
      created: '已创建',
      qr_issued: '已出码',
      waiting: '等待支付',
      paid: '支付成功',
      failed: '支付失败',
      closed: '已关闭',
      unknown: '状态未明',
    } satisfies Record<PaymentStatus, string>,
    refundStatuses: {
      created: '已创建',
      pending: '处理中',
      succeeded: '退款成功',
      failed: '退款失败',
      unknown: '状态未明',
    } satisfies Record<RefundStatus, string>,
  },
  en: {
    dayReport: 'Day report',
    shiftReport: 'Shift report',
    day: 'Business day',
    shift: 'Shift',
    mode: 'Mode',
    modes: { live: 'Live', training: 'Training' },
    operator: 'Operator',
    allOperators: 'All',
    timeZone: 'Time zone',
    closedAt: 'Closed at',
    closedBy: 'Closed by',
    overrideBy: 'Override by',
    overrideReason: 'Override reason',
    notClosed: 'Not closed',
    payType: 'Pay type',
    paidCount: 'Paid count',
    paidAmount: 'Paid amount',
    refundCount: 'Refund count',
    refundAmount: 'Refund amount',
    net: 'Net',
    total: 'Total',
    hour: 'Hour',
    unresolved: 'Unresolved',
    unresolvedPayments: 'Unresolved payments',
    unresolvedRefunds: 'Unresolved refunds',
    payments: 'Payments',
    refunds: 'Refunds',
    late: 'Late settlements (items of earlier closed days that settled on this day; not in the totals above)',
    kind: 'Kind',
    kinds: { payment: 'Payment', refund: 'Refund' },
    summary: 'Summary',
    id: 'ID',
    createdAt: 'Created',
    paidAt: 'Paid',
    amount: 'Amount',
    tender: 'Tender',
    tenders: { qr: 'QR', card: 'Card', cash: 'Cash' },
    status: 'Status',
    tradeNo: 'Order no.',
    sysTrace: 'System trace',
    merOrderNo: 'Merchant order no.',
    refunded: 'Refunded',
    memo: 'Memo',
    settledBy: 'Settled by supervisor',
    refundNo: 'Refund no.',
    paymentTradeNo: 'Payment order no.',
    paymentSysTrace: 'Payment trace',
    reason: 'Reason',
    approvedBy: 'Approved by',
    finalAt: 'Final',
    businessDay: 'Business day',
    noOperator: '(none)',
    buckets: { ZFBA: 'Alipay', WEIX: 'WeChat Pay', UPAY: 'UnionPay', card: 'Card', cash: 'Cash', other: 'Other' } satisfies Record<PayTypeBucket, string>,
    drawers: 'Cash drawers by shift (expected = float + cash sales − cash refunds)',
    startedAt: 'Started',
    endedAt: 'Handed over',
    float: 'Float',
    cashSales: 'Cash sales',
    cashRefunds: 'Cash refunds',
    expected: 'Expected cash',
    counted: 'Counted cash',
    difference: 'Difference (negative = short)',
    openShift: 'not handed over',
    notCounted: 'not counted',
    uncounted: 'Shifts not counted',
    gateway: 'Gateway',
    gateways: { bpc: 'BPC QR', terminal: 'Card terminal', yima: 'Yima card', cash: 'Cash', other: 'Other' } satisfies Record<GatewayBucket, string>,
    paymentStatuses: {
      created: 'Created',
      qr_issued: 'QR issued',
      waiting: 'Waiting',
      paid: 'Paid',
      failed: 'Failed',
      closed: 'Closed',
      unknown: 'Unknown',
    } satisfies Record<PaymentStatus, string>,
    refundStatuses: {
      created: 'Created',
      pending: 'Pending',
      succeeded: 'Succeeded',
      failed: 'Failed',
      unknown: 'Unknown',
    } satisfies Record<RefundStatus, string>,
  },
} as const;

type Labels = (typeof LABELS)[ExportLang];

/** A cell: text, or an amount in fen (written as yuan). */
type Cell = string | number | null | { fen: number };

const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV field per RFC 4180: quoted when it holds a comma, quote, CR or LF (quotes doubled). Free
 * text that Excel would run as a formula (= + - @ at the start) gets a leading apostrophe.
 */
export function csvField(value: string): string {
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

function csvCell(cell: Cell): string {
  if (cell === null) return '';
  if (typeof cell === 'number') return String(cell);
  if (typeof cell === 'object') return formatFen(cell.fen);
  return csvField(cell);
}

function toCsv(rows: readonly (readonly Cell[])[]): string {
  return CSV_BOM + rows.map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

const fen = (value: number): { fen: number } => ({ fen: value });

function title(report: SettlementReport, l: Labels, clock: LocalClock): Cell[][] {
  const rows: Cell[][] = [];
  if (report.kind === 'day') rows.push([l.dayReport, report.day]);
  else rows.push([l.shiftReport, `${clock.dateTimeOf(report.from ?? 0)} – ${clock.dateTimeOf(report.to ?? 0)}`]);
  rows.push([l.mode, l.modes[report.mode]]);
  rows.push([l.operator, report.operator ?? l.allOperators]);
  rows.push([l.timeZone, report.timeZone]);
  if (report.closed === null) {
    if (report.kind === 'day') rows.push([l.closedAt, l.notClosed]);
  } else {
    rows.push([l.closedAt, clock.dateTimeOf(report.closed.at)]);
    rows.push([l.closedBy, report.closed.by]);
    if (report.closed.overrideBy !== null) {
      rows.push([l.overrideBy, report.closed.overrideBy]);
      rows.push([l.overrideReason, report.closed.overrideReason]);
    }
  }
  return rows;
}

const totalsHeader = (l: Labels, first: string): Cell[] => [first, l.paidCount, l.paidAmount, l.refundCount, l.refundAmount, l.net];

function payTypeRows(report: SettlementReport, l: Labels): Cell[][] {
  const t = report.totals;
  return [
    totalsHeader(l, l.payType),
    ...report.byPayType.map((p) => [l.buckets[p.payType], p.paidCount, fen(p.paidFen), p.refundCount, fen(p.refundFen), fen(p.netFen)]),
    [l.total, t.paidCount, fen(t.paidFen), t.refundCount, fen(t.refundFen), fen(t.netFen)],
  ];
}

/** BPC / card terminal / Yima / other; empty for reports frozen before gateways were reported. */
function gatewayRows(report: SettlementReport, l: Labels): Cell[][] {
  if (report.byGateway === undefined) return [];
  return [
    totalsHeader(l, l.gateway),
    ...report.byGateway.map((g) => [l.gateways[g.gateway], g.paidCount, fen(g.paidFen), g.refundCount, fen(g.refundFen), fen(g.netFen)]),
  ];
}

function operatorRows(report: SettlementReport, l: Labels): Cell[][] {
  return [
    totalsHeader(l, l.operator),
    ...report.byOperator.map((o) => [o.operator ?? l.noOperator, o.paidCount, fen(o.paidFen), o.refundCount, fen(o.refundFen), fen(o.netFen)]),
  ];
}

/** Each shift's drawer of the day: expected vs counted and the difference, with the column sums. Empty when no shift handled cash. */
function drawerRows(report: SettlementReport, l: Labels, clock: LocalClock): Cell[][] {
  const drawers = report.drawers ?? [];
  if (drawers.length === 0) return [];
  const t = shiftDrawerTotals(drawers);
  return [
    [l.drawers],
    [l.shift, l.operator, l.startedAt, l.endedAt, l.float, l.cashSales, l.cashRefunds, l.expected, l.counted, l.difference],
    ...drawers.map((d): Cell[] => [
      d.shiftId,
      d.operator,
      clock.dateTimeOf(d.startedAt),
      d.endedAt === null ? l.openShift : clock.dateTimeOf(d.endedAt),
      fen(d.floatFen),
      fen(d.cashSalesFen),
      fen(d.cashRefundsFen),
      fen(d.expectedFen),
      d.countedFen === null ? l.notCounted : fen(d.countedFen),
      d.differenceFen === null ? null : fen(d.differenceFen),
    ]),
    [l.total, null, null, null, fen(t.floatFen), fen(t.cashSalesFen), fen(t.cashRefundsFen), fen(t.expectedFen), fen(t.countedFen), fen(t.differenceFen)],
    ...(t.uncounted === 0 ? [] : [[l.uncounted, t.uncounted]]),
  ];
}

function hourlyRows(report: SettlementReport, l: Labels): Cell[][] {
  return [[l.hour, l.paidCount, l.paidAmount], ...report.hourly.map((h) => [`${String(h.hour).padStart(2, '0')}:00`, h.paidCount, fen(h.paidFen)])];
}

function paymentHeader(l: Labels): Cell[] {
  return [
    l.id,
    l.createdAt,
    l.paidAt,
    l.amount,
    l.tender,
    l.payType,
    l.status,
    l.operator,
    l.tradeNo,
    l.sysTrace,
    l.merOrderNo,
    l.refunded,
    l.memo,
    l.settledBy,
  ];
}

function paymentRow(p: ReportPayment, l: Labels, clock: LocalClock): Cell[] {
  return [
    p.id,
    clock.dateTimeOf(p.createdAt),
    p.paidAt === null ? null : clock.dateTimeOf(p.paidAt),
    fen(p.amountFen),
    l.tenders[p.tender],
    p.tender === 'card' ? l.buckets.card : p.tender === 'cash' ? l.buckets.cash : p.payType === null ? null : `${l.buckets[p.bucket]} (${p.payType})`,
    l.paymentStatuses[p.status],
    p.operator,
    p.tradeNo,
    p.sysTrace,
    p.merOrderNo,
    fen(p.refundedFen),
    p.memo,
    p.settledBy ?? null,
  ];
}

function refundHeader(l: Labels): Cell[] {
  return [
    l.id,
    l.createdAt,
    l.finalAt,
    l.amount,
    l.payType,
    l.status,
    l.operator,
    l.approvedBy,
    l.refundNo,
    l.sysTrace,
    l.paymentTradeNo,
    l.paymentSysTrace,
    l.reason,
  ];
}

function refundRow(r: ReportRefund, l: Labels, clock: LocalClock): Cell[] {
  return [
    r.id,
    clock.dateTimeOf(r.createdAt),
    r.finalAt === null ? null : clock.dateTimeOf(r.finalAt),
    fen(r.amountFen),
    l.buckets[r.bucket],
    l.refundStatuses[r.status],
    r.operator,
    r.approvedBy,
    r.refundNo,
    r.sysTrace,
    r.paymentTradeNo,
    r.paymentSysTrace,
    r.reason,
  ];
}

function lateRows(report: SettlementReport, l: Labels, clock: LocalClock): Cell[][] {
  const late = report.late;
  if (late === undefined || late.items.length === 0) return [];
  const t = late.totals;
  return [
    [l.late],
    totalsHeader(l, l.total),
    [l.total, t.paidCount, fen(t.paidFen), t.refundCount, fen(t.refundFen), fen(t.netFen)],
    [l.kind, l.businessDay, l.finalAt, l.amount, l.payType, l.status, l.operator, l.tradeNo, l.sysTrace, l.paymentTradeNo],
    ...late.items.map((i) => [
      l.kinds[i.kind],
      i.day,
      clock.dateTimeOf(i.finalAt),
      fen(i.amountFen),
      l.buckets[i.bucket],
      i.kind === 'payment' ? l.paymentStatuses[i.status as PaymentStatus] : l.refundStatuses[i.status as RefundStatus],
      i.operator,
      i.orderNo,
      i.sysTrace,
      i.paymentTradeNo,
    ]),
  ];
}

function sections(report: SettlementReport, l: Labels, clock: LocalClock): Cell[][][] {
  const unresolved: Cell[][] = [
    [l.unresolvedPayments, report.unresolved.payments.length],
    [l.unresolvedRefunds, report.unresolved.refunds.length],
  ];
  return [
    title(report, l, clock),
    payTypeRows(report, l),
    gatewayRows(report, l),
    operatorRows(report, l),
    drawerRows(report, l, clock),
    unresolved,
    hourlyRows(report, l),
    [[l.payments], paymentHeader(l), ...report.payments.map((p) => paymentRow(p, l, clock))],
    [[l.refunds], refundHeader(l), ...report.refunds.map((r) => refundRow(r, l, clock))],
    ...(lateRows(report, l, clock).length === 0 ? [] : [lateRows(report, l, clock)]),
  ];
}

/**
 * A day or shift report as one CSV document: header block, totals by pay type (ending with the total
 * row), by gateway (BPC / card terminal / Yima / other), by operator, unresolved counts, hourly series, then every payment and refund; sections are
 * separated by an empty line. Times are local to the report's time zone. Pure; never throws for a
 * well-formed report.
 */
export function dayReportCsv(report: SettlementReport, opts: ExportOptions = {}): string {
  const l = LABELS[opts.lang ?? 'zh'];
  const clock = localClock(report.timeZone);
  const rows: Cell[][] = [];
  sections(report, l, clock)
    .filter((section) => section.length > 0)
    .forEach((section, i) => {
      if (i > 0) rows.push([]);
      rows.push(...section);
    });
  return toCsv(rows);
}

/**
 * Transaction rows (e.g. the current filter of the transactions screen) as CSV. Times in `timeZone`
 * (process zone by default). Throws BAD_INPUT for an unknown time zone.
 */
export function transactionsCsv(rows: readonly TransactionRow[], opts: ExportOptions & { timeZone?: string } = {}): string {
  const l = LABELS[opts.lang ?? 'zh'];
  const clock = localClock(opts.timeZone);
  const header: Cell[] = [l.businessDay, ...paymentHeader(l)];
  const body = rows.map((row): Cell[] => {
    const bucket = payTypeBucket(row.tender, row.payType);
    return [
      row.businessDay,
      ...paymentRow(
        {
          id: row.id,
          tradeNo: row.tradeNo,
          merOrderNo: row.merOrderNo,
          sysTrace: row.sysTrace,
          tender: row.tender,
          payType: row.payType,
          bucket,
          status: row.status,
          amountFen: row.amountFen,
          refundedFen: row.refundedFen,
          operator: row.operator,
          businessDay: row.businessDay,
          createdAt: row.createdAt,
          paidAt: row.paidAt,
          memo: row.memo,
          settledBy: row.resolvedBy,
        },
        l,
        clock,
      ),
    ];
  });
  return toCsv([header, ...body]);
}

const AMOUNT_FORMAT = '0.00';

function addRows(sheet: ExcelJS.Worksheet, rows: readonly (readonly Cell[])[]): void {
  for (const cells of rows) {
    const row = sheet.addRow(cells.map((cell) => (cell !== null && typeof cell === 'object' ? cell.fen / 100 : cell)));
    cells.forEach((cell, i) => {
      // Identifiers stay text (a long trace as a number would lose digits); amounts get 0.00.
      if (cell !== null && typeof cell === 'object') row.getCell(i + 1).numFmt = AMOUNT_FORMAT;
    });
  }
}

function sheetFor(workbook: ExcelJS.Workbook, name: string, rows: readonly (readonly Cell[])[], widths: number[]): void {
  const sheet = workbook.addWorksheet(name);
  addRows(sheet, rows);
  widths.forEach((width, i) => {
    sheet.getColumn(i + 1).width = width;
  });
}

/**
 * The report as an XLSX workbook: a summary sheet (header, pay types with total, gateways, operators,
 * unresolved counts, hourly series), a payments sheet and a refunds sheet. Amount cells are numbers
 * (fen/100) formatted 0.00; identifiers are text. Resolves with the file bytes.
 */
export async function dayReportXlsx(report: SettlementReport, opts: ExportOptions = {}): Promise<Buffer> {
  const l = LABELS[opts.lang ?? 'zh'];
  const clock = localClock(report.timeZone);
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'Counter Cashier';
  if (report.closed !== null) {
    workbook.created = new Date(report.closed.at);
    workbook.modified = new Date(report.closed.at);
  }
  const [head, payTypes, gateways, operators, drawers, unresolved, hourly, payments, refunds, late] = sections(report, l, clock);
  const summary: Cell[][] = [];
  for (const block of [head, payTypes, gateways, operators, drawers, unresolved, hourly, late]) {
    if (block === undefined || block.length === 0) continue;
    if (summary.length > 0) summary.push([]);
    summary.push(...block);
  }
  sheetFor(workbook, l.summary, summary, [18, 12, 14, 12, 14, 14]);
  // Drop the section title row: the sheet name says it.
  sheetFor(workbook, l.payments, (payments ?? []).slice(1), [8, 20, 20, 12, 8, 16, 10, 8, 24, 24, 24, 12, 24, 12]);
  sheetFor(workbook, l.refunds, (refunds ?? []).slice(1), [8, 20, 20, 12, 12, 10, 8, 8, 24, 24, 24, 24, 24]);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
