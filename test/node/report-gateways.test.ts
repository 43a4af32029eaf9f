import ExcelJS from 'exceljs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openLedger, type Db } from '../../src/core/ledger/db';
import { buildDayReport } from '../../src/core/reports/day-report';
import { dayReportCsv, dayReportXlsx } from '../../src/core/reports/export';
import { SettlementReportSchema } from '../../src/shared/reports';
import { tempDir } from '../support/temp';

/** Day reports and their exports split the money by gateway: BPC, the card terminal, Yima, other. */
const DAY = '2026-12-01';
const AT = Date.UTC(2026, 11, 1, 2, 0, 0);

let db: Db;
let cleanup: () => void;
beforeEach(() => {
  const t = tempDir('report-gw-');
  cleanup = t.cleanup;
  db = openLedger(join(t.dir, 'ledger.sqlite'));
});
afterEach(() => {
  db.close();
  cleanup();
});

let n = 0;
function pay(gateway: string, tender: 'qr' | 'card' | 'cash', amountFen: number, status = 'paid', payType: string | null = null): number {
  n += 1;
  const info = db
    .prepare(
      `INSERT INTO payments (trade_no, mode, tender, gateway, amount_fen, status, pay_type, gateway_ref, operator, business_day, created_at, updated_at, paid_at)
       VALUES (?, 'live', ?, ?, ?, ?, ?, ?, '001', ?, ?, ?, ?)`,
    )
    .run(`P${n}`, tender, gateway, amountFen, status, payType, status === 'paid' ? `REF${n}` : null, DAY, AT + n, AT + n, status === 'paid' ? AT + n : null);
  return Number(info.lastInsertRowid);
}

function refund(paymentId: number, gateway: string, amountFen: number, status = 'succeeded'): void {
  n += 1;
  db.prepare(
    `INSERT INTO refunds (refund_no, payment_id, mode, gateway, amount_fen, status, operator, approved_by, business_day, created_at, updated_at, reason)
     VALUES (?, ?, 'live', ?, ?, ?, '001', '900', ?, ?, ?, 'x')`,
  ).run(`R${n}`, paymentId, gateway, amountFen, status, DAY, AT + n, AT + n);
}

function fill(): void {
  const bpc = pay('bpc', 'qr', 10_000, 'paid', 'WEIX');
  pay('bpc', 'qr', 2_550, 'paid', 'ZFBA');
  pay('bpc', 'qr', 999, 'failed');
  pay('terminal', 'card', 30_000);
  pay('yima', 'card', 4_000);
  pay('yima', 'card', 1_000, 'waiting');
  pay('cash', 'cash', 1_200);
  // A gateway this version does not know (e.g. written by a newer one) lands in 其他.
  pay('legacy', 'qr', 700);
  refund(bpc, 'bpc', 1_500);
  refund(bpc, 'bpc', 100, 'failed');
}

describe('per-gateway breakdown in reports and exports', () => {
  it('the day report has BPC / card terminal / Yima / other totals that add up to the day', () => {
    fill();
    const report = buildDayReport(db, { mode: 'live', day: DAY, timeZone: 'Asia/Shanghai' });
    expect(SettlementReportSchema.parse(report).byGateway).toEqual(report.byGateway);
    expect(report.byGateway).toEqual([
      { gateway: 'bpc', paidCount: 2, paidFen: 12_550, refundCount: 1, refundFen: 1_500, netFen: 11_050 },
      { gateway: 'terminal', paidCount: 1, paidFen: 30_000, refundCount: 0, refundFen: 0, netFen: 30_000 },
      { gateway: 'yima', paidCount: 1, paidFen: 4_000, refundCount: 0, refundFen: 0, netFen: 4_000 },
      { gateway: 'cash', paidCount: 1, paidFen: 1_200, refundCount: 0, refundFen: 0, netFen: 1_200 },
      { gateway: 'other', paidCount: 1, paidFen: 700, refundCount: 0, refundFen: 0, netFen: 700 },
    ]);
    const sum = report.byGateway!.reduce((acc, g) => acc + g.netFen, 0);
    expect(sum).toBe(report.totals.netFen);
    expect(report.payments.map((p) => p.gateway)).toEqual(['bpc', 'bpc', 'bpc', 'terminal', 'yima', 'yima', 'cash', 'other']);
    expect(report.refunds.every((r) => r.gateway === 'bpc')).toBe(true);
  });

  it('CSV and XLSX carry the gateway section (zh and en); a report frozen before gateways exports without it', async () => {
    fill();
    const report = buildDayReport(db, { mode: 'live', day: DAY, timeZone: 'Asia/Shanghai' });
    const csv = dayReportCsv(report);
    const lines = csv.slice(1).split('\r\n');
    const head = lines.indexOf('支付通道,收款笔数,收款金额,退款笔数,退款金额,净额');
    expect(head).toBeGreaterThan(0);
    expect(lines.slice(head + 1, head + 6)).toEqual([
      'BPC 扫码,2,125.50,1,15.00,110.50',
      '刷卡终端,1,300.00,0,0.00,300.00',
      '翼码刷卡,1,40.00,0,0.00,40.00',
      '现金,1,12.00,0,0.00,12.00',
      '其他,1,7.00,0,0.00,7.00',
    ]);
    expect(dayReportCsv(report, { lang: 'en' })).toContain('Yima card,1,40.00,0,0.00,40.00');

    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load((await dayReportXlsx(report)) as unknown as ArrayBuffer);
    const values: unknown[][] = [];
    workbook.getWorksheet('汇总')!.eachRow((row) => values.push((row.values as unknown[]).slice(1)));
    const at = values.findIndex((v) => v[0] === '支付通道');
    expect(values[at + 2]).toEqual(['刷卡终端', 1, 300, 0, 0, 300]);

    const { byGateway: _dropped, ...older } = report;
    const olderCsv = dayReportCsv(older);
    expect(olderCsv).not.toContain('支付通道');
    expect(olderCsv.split('\r\n').filter((l) => l === '')).toHaveLength(csv.split('\r\n').filter((l) => l === '').length - 1);
    await expect(dayReportXlsx(older)).resolves.toBeInstanceOf(Buffer);
  });
});
