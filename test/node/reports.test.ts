import ExcelJS from 'exceljs';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/core/ledger/db';
import { openLedger } from '../../src/core/ledger/db';
import { listEvents } from '../../src/core/ledger/events';
import { ensureDefaultOperators } from '../../src/core/operators/operators';
import {
  buildDayReport,
  buildShiftReport,
  closeDay,
  dayEntityId,
  getClosedDay,
  isDayClosed,
  listClosedDays,
  type SettlementReport,
} from '../../src/core/reports/day-report';
import { dayReportCsv, dayReportXlsx, transactionsCsv } from '../../src/core/reports/export';
import { listTransactions } from '../../src/core/reports/transactions';
import { AppError } from '../../src/shared/errors';
import { tempDir } from '../support/temp';
import { mulberry32 } from '../support/random';

const TZ = 'Asia/Shanghai';
const HOUR = 3_600_000;
const DAY = '2026-05-10';
const NEXT_DAY = '2026-05-11';
/** 2026-05-10 00:00 in Shanghai (UTC+8, no DST). */
const DAY_START = Date.UTC(2026, 4, 10) - 8 * HOUR;
const OPEN = ['created', 'qr_issued', 'waiting', 'unknown'];
const OPEN_REFUND = ['created', 'pending', 'unknown'];

interface P {
  id: number;
  mode: 'live' | 'training';
  tender: 'qr' | 'card' | 'cash';
  payType: string | null;
  status: string;
  amountFen: number;
  operator: string | null;
  day: string;
  createdAt: number;
  paidAt: number | null;
  tradeNo: string;
  sysTrace: string | null;
}
interface R {
  id: number;
  paymentId: number;
  mode: 'live' | 'training';
  status: string;
  amountFen: number;
  operator: string | null;
  day: string;
  createdAt: number;
}

let db: Db;
let dir: string;
let cleanup: () => void;
const payments: P[] = [];
const refunds: R[] = [];
let seq = 0;
/** Totals of DAY as they were when it was closed (later tests add rows to the day on purpose). */
let frozenWant: ReturnType<typeof withNet> | undefined;

function insertPayment(p: Omit<P, 'id' | 'tradeNo' | 'sysTrace'> & { memo?: string; tradeNo?: string }): P {
  seq += 1;
  const tradeNo = p.tradeNo ?? `T${String(seq).padStart(7, '0')}`;
  const sysTrace = p.status === 'paid' ? `2026${String(seq).padStart(14, '0')}` : null;
  const info = db
    .prepare(
      `INSERT INTO payments (trade_no, mode, tender, gateway, amount_fen, status, pay_type, gateway_ref, operator, business_day,
         created_at, updated_at, paid_at, memo)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      tradeNo,
      p.mode,
      p.tender,
      p.tender === 'qr' ? 'bpc' : p.tender === 'cash' ? 'cash' : 'yima',
      p.amountFen,
      p.status,
      p.payType,
      sysTrace,
      p.operator,
      p.day,
      p.createdAt,
      p.createdAt,
      p.paidAt,
      p.memo ?? null,
    );
  const row: P = { ...p, id: Number(info.lastInsertRowid), tradeNo, sysTrace };
  payments.push(row);
  return row;
}

function insertRefund(r: Omit<R, 'id'>): R {
  seq += 1;
  const info = db
    .prepare(
      `INSERT INTO refunds (refund_no, payment_id, mode, amount_fen, status, operator, approved_by, business_day, created_at, updated_at, reason)
       VALUES (?, ?, ?, ?, ?, ?, '800', ?, ?, ?, '顾客退货')`,
    )
    .run(`R${seq}`, r.paymentId, r.mode, r.amountFen, r.status, r.operator, r.day, r.createdAt, r.createdAt);
  const row = { ...r, id: Number(info.lastInsertRowid) };
  refunds.push(row);
  return row;
}

/** The test's own bucket rule, written independently of the code under test. */
function bucketOf(p: P): string {
  if (p.tender === 'card') return 'card';
  if (p.tender === 'cash') return 'cash';
  return ['ZFBA', 'WEIX', 'UPAY'].includes(p.payType ?? '') ? p.payType! : 'other';
}

interface Expect {
  paidCount: number;
  paidFen: number;
  refundCount: number;
  refundFen: number;
}

function expectedDay(mode: string, day: string, operator?: string) {
  const paid = payments.filter((p) => p.mode === mode && p.day === day && p.status === 'paid' && (operator === undefined || p.operator === operator));
  const refunded = refunds.filter((r) => r.mode === mode && r.day === day && r.status === 'succeeded' && (operator === undefined || r.operator === operator));
  const byId = new Map(payments.map((p) => [p.id, p]));
  const buckets: Record<string, Expect> = {};
  const ops = new Map<string | null, Expect>();
  const hourly = Array.from({ length: 24 }, () => ({ paidCount: 0, paidFen: 0 }));
  const get = (m: Record<string, Expect> | Map<string | null, Expect>, k: string | null): Expect => {
    const fresh = { paidCount: 0, paidFen: 0, refundCount: 0, refundFen: 0 };
    if (m instanceof Map) {
      if (!m.has(k)) m.set(k, fresh);
      return m.get(k)!;
    }
    return (m[k!] ??= fresh);
  };
  const total = { paidCount: 0, paidFen: 0, refundCount: 0, refundFen: 0 };
  for (const p of paid) {
    for (const t of [total, get(buckets, bucketOf(p)), get(ops, p.operator)]) {
      t.paidCount += 1;
      t.paidFen += p.amountFen;
    }
    const hour = new Date(p.paidAt! + 8 * HOUR).getUTCHours();
    hourly[hour]!.paidCount += 1;
    hourly[hour]!.paidFen += p.amountFen;
  }
  for (const r of refunded) {
    for (const t of [total, get(buckets, bucketOf(byId.get(r.paymentId)!)), get(ops, r.operator)]) {
      t.refundCount += 1;
      t.refundFen += r.amountFen;
    }
  }
  const unresolvedPayments = payments
    .filter((p) => p.mode === mode && p.day === day && OPEN.includes(p.status) && (operator === undefined || p.operator === operator))
    .map((p) => p.id);
  const unresolvedRefunds = refunds
    .filter((r) => r.mode === mode && r.day === day && OPEN_REFUND.includes(r.status) && (operator === undefined || r.operator === operator))
    .map((r) => r.id);
  return { total, buckets, ops, hourly, unresolvedPayments, unresolvedRefunds };
}

function withNet(t: Expect) {
  return { ...t, netFen: t.paidFen - t.refundFen };
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof AppError) return error.code;
    throw error;
  }
  return 'returned';
}

/** RFC 4180 parser (the test's own, so the writer is checked against an independent reader). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (c === '"') {
        quoted = false;
        i += 1;
        continue;
      }
      field += c;
      i += 1;
      continue;
    }
    if (c === '"' && field === '') {
      quoted = true;
      i += 1;
    } else if (c === ',') {
      row.push(field);
      field = '';
      i += 1;
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += 2;
    } else {
      expect(c, 'bare CR/LF or stray quote outside a quoted field').not.toMatch(/[\r\n"]/);
      field += c;
      i += 1;
    }
  }
  expect(field, 'file ends with CRLF').toBe('');
  expect(row).toEqual([]);
  return rows;
}

/** "123.45" / "-0.07" → fen, with string arithmetic only. */
function yuanToFen(text: string): number {
  const match = /^(-?)(\d+)\.(\d{2})$/.exec(text);
  expect(match, `amount text "${text}"`).not.toBeNull();
  const fen = Number(match![2]) * 100 + Number(match![3]);
  return match![1] === '-' ? -fen : fen;
}

beforeAll(async () => {
  const t = tempDir('reports-');
  dir = t.dir;
  cleanup = t.cleanup;
  db = openLedger(join(dir, 'ledger.sqlite'));
  await ensureDefaultOperators(db, DAY_START);
  const rand = mulberry32(510);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
  db.transaction(() => {
    for (const day of ['2026-05-09', DAY, NEXT_DAY]) {
      const start = DAY_START + (Date.UTC(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8))) - Date.UTC(2026, 4, 10));
      for (let i = 0; i < 700; i++) {
        const tenderRoll = rand();
        const tender = tenderRoll < 0.15 ? 'card' : tenderRoll < 0.25 ? 'cash' : 'qr';
        const roll = rand();
        const status = roll < 0.75 ? 'paid' : roll < 0.85 ? 'failed' : roll < 0.95 ? 'closed' : pick(OPEN);
        const createdAt = start + Math.floor(rand() * 24 * HOUR - 30_000);
        insertPayment({
          mode: rand() < 0.2 ? 'training' : 'live',
          tender,
          payType: tender === 'cash' ? null : tender === 'card' ? pick([null, 'CARD']) : pick(['ZFBA', 'WEIX', 'UPAY', 'ZFBA', 'WEIX', null, 'JDPAY']),
          status,
          amountFen: 1 + Math.floor(rand() * 200_000),
          operator: pick(['001', '002', '003', '800', null]),
          day,
          createdAt,
          paidAt: status === 'paid' ? createdAt + Math.floor(rand() * 60_000) : null,
        });
      }
    }
    const paid = payments.filter((p) => p.status === 'paid');
    for (let i = 0; i < 350; i++) {
      const p = pick(paid);
      const day = p.day === '2026-05-09' ? pick(['2026-05-09', DAY]) : pick([p.day, NEXT_DAY]);
      const roll = rand();
      insertRefund({
        paymentId: p.id,
        mode: p.mode,
        status: roll < 0.7 ? 'succeeded' : roll < 0.85 ? 'failed' : pick(OPEN_REFUND),
        amountFen: 1 + Math.floor(rand() * Math.max(1, Math.floor(p.amountFen / 3))),
        operator: pick(['800', '900', '001']),
        day,
        createdAt: p.paidAt! + HOUR,
      });
    }
  })();
});

afterAll(() => {
  db.close();
  cleanup();
});

function checkAgainst(report: SettlementReport, mode: string, day: string, operator?: string): void {
  const want = expectedDay(mode, day, operator);
  expect(report.totals).toEqual(withNet(want.total));
  for (const bucket of report.byPayType) {
    expect(bucket).toEqual({
      payType: bucket.payType,
      ...withNet(want.buckets[bucket.payType] ?? { paidCount: 0, paidFen: 0, refundCount: 0, refundFen: 0 }),
    });
  }
  expect(report.byPayType.map((b) => b.payType)).toEqual(['ZFBA', 'WEIX', 'UPAY', 'card', 'cash', 'other']);
  expect(Object.keys(want.buckets).every((k) => ['ZFBA', 'WEIX', 'UPAY', 'card', 'cash', 'other'].includes(k))).toBe(true);
  const ops = new Map(report.byOperator.map((o) => [o.operator, o]));
  expect(ops.size).toBe(want.ops.size);
  for (const [code, t] of want.ops) expect(ops.get(code)).toEqual({ operator: code, ...withNet(t) });
  expect(report.hourly.map((h) => h.hour)).toEqual(Array.from({ length: 24 }, (_, i) => i));
  expect(report.hourly.map(({ paidCount, paidFen }) => ({ paidCount, paidFen }))).toEqual(want.hourly);
  expect(report.unresolved.payments.map((p) => p.id)).toEqual(want.unresolvedPayments);
  expect(report.unresolved.refunds.map((r) => r.id)).toEqual(want.unresolvedRefunds);
}

describe('buildDayReport', () => {
  it('matches totals computed independently, per pay type, operator and hour, live only', () => {
    const report = buildDayReport(db, { mode: 'live', day: DAY, timeZone: TZ });
    checkAgainst(report, 'live', DAY);
    expect(report.totals.paidCount).toBeGreaterThan(300);
    expect(report.totals.refundCount).toBeGreaterThan(50);
    for (const b of report.byPayType) expect(b.paidCount, b.payType).toBeGreaterThan(0);
    expect(report.unresolved.payments.length).toBeGreaterThan(0);
    expect(report.unresolved.refunds.length).toBeGreaterThan(0);
    expect(report).toMatchObject({ kind: 'day', mode: 'live', day: DAY, operator: null, timeZone: TZ, closed: null });
    expect(report.payments.map((p) => p.id)).toEqual(payments.filter((p) => p.mode === 'live' && p.day === DAY).map((p) => p.id));
    // Refunds of the day include those against earlier days' payments.
    expect(report.refunds.some((r) => payments.find((p) => p.id === r.paymentId)!.day === '2026-05-09')).toBe(true);
  });

  it('keeps training apart and can be restricted to one operator', () => {
    const training = buildDayReport(db, { mode: 'training', day: DAY, timeZone: TZ });
    checkAgainst(training, 'training', DAY);
    expect(training.totals.paidCount).toBeGreaterThan(50);
    const live = buildDayReport(db, { mode: 'live', day: DAY, timeZone: TZ });
    expect(live.payments.some((p) => training.payments.some((q) => q.id === p.id))).toBe(false);

    const mine = buildDayReport(db, { mode: 'live', day: DAY, operator: '002', timeZone: TZ });
    checkAgainst(mine, 'live', DAY, '002');
    expect(mine.totals.paidCount).toBeGreaterThan(0);
    expect(mine.byOperator.map((o) => o.operator)).toEqual(['002']);
  });

  it('cuts hours in the process time zone by default', () => {
    const report = buildDayReport(db, { mode: 'live', day: DAY });
    expect(report.timeZone).toBe(new Intl.DateTimeFormat().resolvedOptions().timeZone);
    const hourly = Array.from({ length: 24 }, () => 0);
    for (const p of payments) if (p.mode === 'live' && p.day === DAY && p.status === 'paid') hourly[new Date(p.paidAt!).getHours()]! += p.amountFen;
    expect(report.hourly.map((h) => h.paidFen)).toEqual(hourly);
    expect(codeOf(() => buildDayReport(db, { mode: 'live', day: DAY, timeZone: 'Mars/Olympus' }))).toBe('BAD_INPUT');
    expect(codeOf(() => buildDayReport(db, { mode: 'live', day: '2026-13-01' }))).toBe('BAD_INPUT');
  });
});

describe('buildShiftReport', () => {
  it('counts what one operator took and refunded within the range', () => {
    const from = DAY_START + 9 * HOUR;
    const to = DAY_START + 17 * HOUR;
    const report = buildShiftReport(db, { mode: 'live', operator: '001', from, to, timeZone: TZ });
    const inRange = (ms: number | null): boolean => ms !== null && ms >= from && ms <= to;
    const paid = payments.filter((p) => p.mode === 'live' && p.operator === '001' && p.status === 'paid' && inRange(p.paidAt));
    const refunded = refunds.filter((r) => r.mode === 'live' && r.operator === '001' && r.status === 'succeeded' && inRange(r.createdAt));
    const paidFen = paid.reduce((s, p) => s + p.amountFen, 0);
    const refundFen = refunded.reduce((s, r) => s + r.amountFen, 0);
    expect(report.totals).toEqual({ paidCount: paid.length, paidFen, refundCount: refunded.length, refundFen, netFen: paidFen - refundFen });
    expect(paid.length).toBeGreaterThan(5);
    expect(report.unresolved.payments.map((p) => p.id)).toEqual(
      payments.filter((p) => p.mode === 'live' && p.operator === '001' && OPEN.includes(p.status) && inRange(p.createdAt)).map((p) => p.id),
    );
    expect(report).toMatchObject({ kind: 'shift', day: null, from, to, operator: '001' });
    expect(codeOf(() => buildShiftReport(db, { mode: 'live', operator: '001', from: to, to: from }))).toBe('BAD_INPUT');
  });
});

describe('closeDay', () => {
  it('refuses unresolved items without an override, then freezes the report with the override recorded', () => {
    const want = expectedDay('live', DAY);
    let error: unknown;
    try {
      closeDay(db, { mode: 'live', day: DAY, by: '900', timeZone: TZ }, DAY_START + 30 * HOUR);
    } catch (e) {
      error = e;
    }
    expect((error as AppError).code).toBe('UNRESOLVED_ITEMS');
    expect((error as AppError).details).toEqual({ payments: want.unresolvedPayments.length, refunds: want.unresolvedRefunds.length });
    expect(getClosedDay(db, 'live', DAY)).toBeNull();

    expect(codeOf(() => closeDay(db, { mode: 'live', day: DAY, by: '001', override: { by: '800', reason: 'x' } }, 1))).toBe('ROLE_REQUIRED');
    expect(codeOf(() => closeDay(db, { mode: 'live', day: DAY, by: '900', override: { by: '001', reason: 'x' } }, 1))).toBe('ROLE_REQUIRED');
    expect(codeOf(() => closeDay(db, { mode: 'live', day: DAY, by: 'nobody' }, 1))).toBe('ROLE_REQUIRED');
    expect(codeOf(() => closeDay(db, { mode: 'live', day: DAY, by: '900', override: { by: '800', reason: '   ' } }, 1))).toBe('BAD_INPUT');
    expect(isDayClosed(db, 'live', DAY)).toBe(false);

    const closedAt = DAY_START + 31 * HOUR;
    const closed = closeDay(db, { mode: 'live', day: DAY, by: '900', override: { by: '800', reason: ' 网络故障，已人工核对 ' }, timeZone: TZ }, closedAt);
    expect(closed).toMatchObject({ mode: 'live', day: DAY, closedAt, closedBy: '900', overrideBy: '800', overrideReason: '网络故障，已人工核对' });
    expect(closed.report.closed).toEqual({ at: closedAt, by: '900', overrideBy: '800', overrideReason: '网络故障，已人工核对' });
    checkAgainst(closed.report, 'live', DAY);
    frozenWant = withNet(want.total);
    expect(isDayClosed(db, 'live', DAY)).toBe(true);
    expect(isDayClosed(db, 'training', DAY)).toBe(false);
    expect(listClosedDays(db, 'live').map((d) => d.day)).toContain(DAY);

    const events = listEvents(db, 'day', dayEntityId(DAY));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'day_closed_with_override', actor: '900', at: closedAt });
    expect(events[0]!.data).toMatchObject({
      mode: 'live',
      day: DAY,
      overrideBy: '800',
      unresolvedPayments: want.unresolvedPayments.length,
      totals: withNet(want.total),
    });

    expect(codeOf(() => closeDay(db, { mode: 'live', day: DAY, by: '900', override: { by: '800', reason: 'again' } }, closedAt + 1))).toBe('DAY_CLOSED');
  });

  it('a closed day never changes: later payments do not alter it and the table refuses UPDATE/DELETE', () => {
    const before = getClosedDay(db, 'live', DAY)!;
    expect(before).not.toBeNull();
    const late = insertPayment({
      mode: 'live',
      tender: 'qr',
      payType: 'ZFBA',
      status: 'paid',
      amountFen: 99_999,
      operator: '001',
      day: DAY,
      createdAt: DAY_START + 3600,
      paidAt: DAY_START + 4000,
    });
    db.prepare("UPDATE payments SET status = 'paid', paid_at = ? WHERE id = ?").run(DAY_START + 5000, before.report.unresolved.payments[0]!.id);
    const after = getClosedDay(db, 'live', DAY)!;
    expect(after).toEqual(before);
    const live = buildDayReport(db, { mode: 'live', day: DAY, timeZone: TZ });
    expect(live.totals.paidCount).toBe(before.report.totals.paidCount + 2);
    expect(live.payments.map((p) => p.id)).toContain(late.id);

    expect(() => db.prepare("UPDATE day_reports SET report = '{}' WHERE business_day = ?").run(DAY)).toThrow(/immutable/);
    expect(() => db.prepare('UPDATE day_reports SET closed_by = ? WHERE business_day = ?').run('x', DAY)).toThrow(/immutable/);
    expect(() => db.prepare('DELETE FROM day_reports WHERE business_day = ?').run(DAY)).toThrow(/immutable/);
    expect(getClosedDay(db, 'live', DAY)).toEqual(before);
  });

  it('closes a day with nothing unresolved without an override', () => {
    const day = '2026-05-20';
    const start = DAY_START + 10 * 24 * HOUR;
    insertPayment({
      mode: 'live',
      tender: 'qr',
      payType: 'WEIX',
      status: 'paid',
      amountFen: 1234,
      operator: '001',
      day,
      createdAt: start + HOUR,
      paidAt: start + HOUR + 1,
    });
    insertPayment({
      mode: 'live',
      tender: 'card',
      payType: null,
      status: 'failed',
      amountFen: 500,
      operator: '001',
      day,
      createdAt: start + HOUR,
      paidAt: null,
    });
    insertPayment({ mode: 'training', tender: 'qr', payType: 'WEIX', status: 'waiting', amountFen: 777, operator: '001', day, createdAt: start, paidAt: null });
    const closed = closeDay(db, { mode: 'live', day, by: '900', timeZone: TZ }, start + 30 * HOUR);
    expect(closed.overrideBy).toBeNull();
    expect(closed.report.totals).toEqual({ paidCount: 1, paidFen: 1234, refundCount: 0, refundFen: 0, netFen: 1234 });
    expect(closed.report.statusCounts).toMatchObject({ paid: 1, failed: 1, waiting: 0 });
    expect(listEvents(db, 'day', dayEntityId(day)).map((e) => e.type)).toEqual(['day_closed']);
    // The training side of the same day is separate and still open.
    expect(codeOf(() => closeDay(db, { mode: 'training', day, by: '900' }, start + 30 * HOUR))).toBe('UNRESOLVED_ITEMS');
  });
});

describe('exports', () => {
  it('CSV: BOM, RFC 4180, yuan text from fen; totals read back equal the report', () => {
    const report = getClosedDay(db, 'live', DAY)!.report;
    const file = join(dir, 'day.csv');
    writeFileSync(file, dayReportCsv(report), 'utf8');
    const bytes = readFileSync(file);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows = parseCsv(bytes.subarray(3).toString('utf8'));

    expect(rows[0]).toEqual(['日结报表', DAY]);
    expect(rows).toContainEqual(['强制结账授权人', '800']);
    const header = rows.findIndex((r) => r[0] === '支付方式');
    expect(rows[header]).toEqual(['支付方式', '收款笔数', '收款金额', '退款笔数', '退款金额', '净额']);
    const labels: Record<string, string> = { 支付宝: 'ZFBA', 微信支付: 'WEIX', 银联云闪付: 'UPAY', 银行卡: 'card', 现金: 'cash', 其他: 'other' };
    let sumNet = 0;
    for (const row of rows.slice(header + 1, header + 7)) {
      const bucket = report.byPayType.find((b) => b.payType === labels[row[0]!])!;
      expect([Number(row[1]), yuanToFen(row[2]!), Number(row[3]), yuanToFen(row[4]!), yuanToFen(row[5]!)]).toEqual([
        bucket.paidCount,
        bucket.paidFen,
        bucket.refundCount,
        bucket.refundFen,
        bucket.netFen,
      ]);
      sumNet += yuanToFen(row[5]!);
    }
    const total = rows[header + 7]!;
    expect(total[0]).toBe('合计');
    const want = frozenWant!;
    expect([Number(total[1]), yuanToFen(total[2]!), Number(total[3]), yuanToFen(total[4]!), yuanToFen(total[5]!)]).toEqual([
      want.paidCount,
      want.paidFen,
      want.refundCount,
      want.refundFen,
      want.netFen,
    ]);
    expect(sumNet).toBe(want.netFen);

    const paymentsAt = rows.findIndex((r) => r[0] === '收款明细');
    const refundsAt = rows.findIndex((r) => r[0] === '退款明细');
    const paymentRows = rows.slice(paymentsAt + 2, refundsAt - 1);
    expect(paymentRows).toHaveLength(report.payments.length);
    expect(paymentRows.map((r) => Number(r[0]))).toEqual(report.payments.map((p) => p.id));
    expect(paymentRows.reduce((s, r) => s + yuanToFen(r[3]!), 0)).toBe(report.payments.reduce((s, p) => s + p.amountFen, 0));
    // Long traces survive as text.
    const traced = report.payments.find((p) => p.sysTrace !== null)!;
    expect(paymentRows.find((r) => Number(r[0]) === traced.id)![9]).toBe(traced.sysTrace);
    const refundRows = rows.slice(refundsAt + 2);
    expect(refundRows).toHaveLength(report.refunds.length);
    expect(refundRows.filter((r) => r[5] === '退款成功').reduce((s, r) => s + yuanToFen(r[3]!), 0)).toBe(want.refundFen);

    const english = parseCsv(dayReportCsv(report, { lang: 'en' }).slice(1));
    expect(english.find((r) => r[0] === 'Total')!.slice(1, 3)).toEqual([String(want.paidCount), total[2]]);
  });

  it('CSV quoting: commas, quotes, newlines and formula-looking text round-trip safely', () => {
    const day = '2026-05-21';
    const tricky = 'a,"b"\r\n第二行';
    insertPayment({
      mode: 'live',
      tender: 'qr',
      payType: 'ZFBA',
      status: 'paid',
      amountFen: 5,
      operator: '001',
      day,
      createdAt: DAY_START,
      paidAt: DAY_START,
      memo: tricky,
    });
    insertPayment({
      mode: 'live',
      tender: 'qr',
      payType: 'ZFBA',
      status: 'paid',
      amountFen: 100_007,
      operator: '001',
      day,
      createdAt: DAY_START,
      paidAt: DAY_START,
      memo: '=HYPERLINK("x")',
    });
    const page = listTransactions(db, { mode: 'live', day, limit: 10 });
    const csv = transactionsCsv(page.rows, { timeZone: TZ });
    expect(csv.startsWith('\uFEFF')).toBe(true);
    const rows = parseCsv(csv.slice(1));
    expect(rows).toHaveLength(3);
    expect(rows[0]![0]).toBe('营业日');
    const memoCol = rows[0]!.indexOf('备注');
    const amountCol = rows[0]!.indexOf('金额');
    expect(rows.slice(1).map((r) => r[memoCol])).toEqual(['\'=HYPERLINK("x")', tricky]);
    expect(rows.slice(1).map((r) => r[amountCol])).toEqual(['1000.07', '0.05']);
    expect(rows[2]![rows[0]!.indexOf('创建时间')]).toBe('2026-05-10 00:00:00');
  });

  it('XLSX: summary and transactions sheets; amounts are numbers formatted 0.00 that sum to the report', async () => {
    const report = getClosedDay(db, 'live', DAY)!.report;
    const file = join(dir, 'day.xlsx');
    writeFileSync(file, await dayReportXlsx(report));
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(file);
    expect(workbook.worksheets.map((s) => s.name)).toEqual(['汇总', '收款明细', '退款明细']);

    const summary = workbook.getWorksheet('汇总')!;
    const rows: ExcelJS.Row[] = [];
    summary.eachRow((row) => rows.push(row));
    const total = rows.find((r) => r.getCell(1).value === '合计')!;
    const want = frozenWant!;
    expect(total.getCell(2).value).toBe(want.paidCount);
    for (const [col, fen] of [
      [3, want.paidFen],
      [5, want.refundFen],
      [6, want.netFen],
    ] as const) {
      const cell = total.getCell(col);
      expect(typeof cell.value).toBe('number');
      expect(Math.round((cell.value as number) * 100)).toBe(fen);
      expect(cell.numFmt).toBe('0.00');
    }
    const alipay = rows.find((r) => r.getCell(1).value === '支付宝')!;
    expect(Math.round((alipay.getCell(3).value as number) * 100)).toBe(report.byPayType[0]!.paidFen);

    const sheet = workbook.getWorksheet('收款明细')!;
    expect(sheet.getRow(1).getCell(4).value).toBe('金额');
    expect(sheet.rowCount - 1).toBe(report.payments.length);
    let sumFen = 0;
    let paidFen = 0;
    for (let i = 2; i <= sheet.rowCount; i++) {
      const row = sheet.getRow(i);
      const amount = row.getCell(4);
      expect(amount.numFmt).toBe('0.00');
      const fen = Math.round((amount.value as number) * 100);
      sumFen += fen;
      if (row.getCell(7).value === '支付成功') paidFen += fen;
      const trace = row.getCell(10).value;
      if (trace !== null) expect(typeof trace).toBe('string');
    }
    expect(sumFen).toBe(report.payments.reduce((s, p) => s + p.amountFen, 0));
    expect(paidFen).toBe(want.paidFen);
    expect(workbook.getWorksheet('退款明细')!.rowCount - 1).toBe(report.refunds.length);
  });
});
