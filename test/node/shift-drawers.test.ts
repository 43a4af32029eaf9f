import ExcelJS from 'exceljs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCore, type Core } from '../../src/core/app/core';
import { createFileKeyCipher } from '../../src/core/secrets/cipher';
import { silentLogger } from '../../src/core/util/logger';
import { withNonces } from '../support/approvals';
import { tempDir } from '../support/temp';

/**
 * The day's drawers shift by shift (issue 12.5) in the end-of-day report, its CSV / XLSX export and the
 * printed day report: expected (float + cash sales − cash refunds) vs counted vs difference, per shift
 * and operator; a shift that took cash and was not counted is listed as such. A real core and ledger.
 */
describe('end of day: the cash drawers by shift', () => {
  let core: Core;
  let cleanup: () => void;

  async function call(channel: string, input: unknown): Promise<any> {
    const invoke = (c: string, i: unknown): Promise<any> => core.dispatch(c, i, { role: 'cashier' });
    const result = await invoke(channel, await withNonces(channel, input, invoke));
    if (!result.ok) throw Object.assign(new Error(`${channel}: ${result.error.code} ${result.error.message}`), result.error);
    return result.value;
  }

  beforeEach(async () => {
    const t = tempDir('drawers-');
    cleanup = t.cleanup;
    core = await startCore({ dataDir: t.dir, version: '1', platform: 'web', cipher: createFileKeyCipher(t.dir), logger: silentLogger });
    // Shift 1: cashier 001, float ¥200, a cash sale of ¥37.80 and a cash refund of ¥5.00, counted ¥232.50 (¥0.30 short).
    await call('session:signIn', { code: '001', pin: '1111', floatFen: 20_000 });
    const sale = await call('payment:create', { amountFen: 3_780, tender: 'cash', tenderedFen: 5_000 });
    await call('refund:record', { paymentId: sale.id, amountFen: 500, reason: '退一件', approval: { code: '800', pin: '8888' } });
    await call('shift:handover', { countedFen: 23_250 });
    // Shift 2: supervisor 800 sells ¥10.00 in cash and has not handed over yet.
    await call('session:signIn', { code: '800', pin: '8888', floatFen: 0 });
    await call('payment:create', { amountFen: 1_000, tender: 'cash', tenderedFen: 1_000 });
  }, 60_000);

  afterEach(async () => {
    await core.close();
    cleanup();
  }, 60_000);

  it('the day report lists each shift: expected, counted, difference; the open one as not counted; one operator sees only theirs', async () => {
    const { day } = await call('day:current', undefined);
    const { report } = await call('day:report', { day });
    expect(report.drawers).toEqual([
      {
        shiftId: expect.any(Number),
        operator: '001',
        startedAt: expect.any(Number),
        endedAt: expect.any(Number),
        floatFen: 20_000,
        cashSalesFen: 3_780,
        cashRefundsFen: 500,
        expectedFen: 23_280,
        countedFen: 23_250,
        differenceFen: -30,
      },
      {
        shiftId: expect.any(Number),
        operator: '800',
        startedAt: expect.any(Number),
        endedAt: null,
        floatFen: 0,
        cashSalesFen: 1_000,
        cashRefundsFen: 0,
        expectedFen: 1_000,
        countedFen: null,
        differenceFen: null,
      },
    ]);
    const mine = (await call('day:report', { day, operator: '001' })).report;
    expect(mine.drawers.map((d: { operator: string }) => d.operator)).toEqual(['001']);
  });

  it('CSV and XLSX carry the drawer section with the sums; the printed day report too', async () => {
    const { day } = await call('day:current', undefined);
    const csv = Buffer.from((await call('day:export', { day, format: 'csv' })).base64, 'base64').toString('utf8');
    const lines = csv.split('\r\n');
    const at = lines.findIndex((l) => l.startsWith('钱箱（按班次'));
    expect(at).toBeGreaterThan(0);
    expect(lines[at + 1]).toBe('班次,操作员,开班时间,交班时间,备用金,现金收款,现金退款,应有现金,实点现金,差额（负数为短款）');
    expect(lines[at + 2]).toMatch(/^\d+,001,[\d-]+ [\d:]+,[\d-]+ [\d:]+,200\.00,37\.80,5\.00,232\.80,232\.50,-0\.30$/);
    expect(lines[at + 3]).toMatch(/^\d+,800,[\d-]+ [\d:]+,未交班,0\.00,10\.00,0\.00,10\.00,未清点,$/);
    expect(lines[at + 4]).toBe('合计,,,,200.00,47.80,5.00,242.80,232.50,-0.30');
    expect(lines[at + 5]).toBe('未清点的班次,1');

    const en = Buffer.from((await call('day:export', { day, format: 'csv', lang: 'en' })).base64, 'base64').toString('utf8');
    expect(en).toContain('Shift,Operator,Started,Handed over,Float,Cash sales,Cash refunds,Expected cash,Counted cash,Difference (negative = short)');

    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(Buffer.from((await call('day:export', { day, format: 'xlsx' })).base64, 'base64') as never);
    const summary = workbook.worksheets[0]!;
    const rows: unknown[][] = [];
    const numbers: number[] = [];
    summary.eachRow((row, n) => {
      rows.push((row.values as unknown[]).slice(1));
      numbers.push(n);
    });
    const head = rows.findIndex((r) => r[0] === '班次' && r[1] === '操作员');
    expect(head).toBeGreaterThan(0);
    expect(rows[head + 1]?.slice(1)).toEqual(['001', expect.any(String), expect.any(String), 200, 37.8, 5, 232.8, 232.5, -0.3]);
    expect(summary.getRow(numbers[head + 1] ?? 0).getCell(10).numFmt).toBe('0.00');
    expect(rows[head + 2]?.slice(1, 4)).toEqual(['800', expect.any(String), '未交班']);

    const printed = (await call('receipt:text', { kind: 'day', day })).lines.map((l: { text: string }) => l.text);
    const drawerAt = printed.findIndex((l: string) => l === '钱箱（按班次）');
    expect(drawerAt).toBeGreaterThan(0);
    expect(printed.slice(drawerAt + 1, drawerAt + 7)).toEqual([
      expect.stringMatching(/^001 班次\d+ +短款 ￥0\.30$/),
      expect.stringMatching(/^ {2}应有现金 +￥232\.80$/),
      expect.stringMatching(/^ {2}实点现金 +￥232\.50$/),
      expect.stringMatching(/^800 班次\d+ +未交班$/),
      expect.stringMatching(/^ {2}应有现金 +￥10\.00$/),
      expect.stringMatching(/^ {2}实点现金 +未清点$/),
    ]);
  });
});
