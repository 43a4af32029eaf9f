import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/core/ledger/db';
import { openLedger } from '../../src/core/ledger/db';
import { appendEvent } from '../../src/core/ledger/events';
import {
  findPayments,
  findPaymentsSql,
  listOpenItems,
  listTransactions,
  listTransactionsSql,
  openItemsSql,
  paymentDetail,
  type TransactionQuery,
} from '../../src/core/reports/transactions';
import { AppError } from '../../src/shared/errors';
import { tempDir } from '../support/temp';
import { mulberry32 } from '../support/random';

const OPEN = ['created', 'qr_issued', 'waiting', 'unknown'];
const DAYS = ['2026-04-28', '2026-04-29', '2026-04-30', '2026-05-01', '2026-05-02', '2026-05-03'];
const OPERATORS = ['001', '002', '003'];

interface Seeded {
  id: number;
  tradeNo: string;
  merOrderNo: string | null;
  sysTrace: string | null;
  mode: 'live' | 'training';
  tender: 'qr' | 'card';
  amountFen: number;
  status: string;
  payType: string | null;
  operator: string;
  day: string;
  refundedFen: number;
}

interface SeededRefund {
  id: number;
  paymentId: number;
  status: string;
  amountFen: number;
  mode: 'live' | 'training';
  day: string;
}

let db: Db;
let cleanup: () => void;
const payments: Seeded[] = [];
const refunds: SeededRefund[] = [];
const T0 = Date.UTC(2026, 4, 1, 0, 0, 0);

function insertPayment(p: Omit<Seeded, 'id' | 'refundedFen'>, createdAt: number): Seeded {
  const info = db
    .prepare(
      `INSERT INTO payments (trade_no, mer_order_no, mode, tender, gateway, amount_fen, status, pay_type, gateway_ref, operator,
         business_day, created_at, updated_at, paid_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      p.tradeNo,
      p.merOrderNo,
      p.mode,
      p.tender,
      p.tender === 'card' ? 'yima' : 'bpc',
      p.amountFen,
      p.status,
      p.payType,
      p.sysTrace,
      p.operator,
      p.day,
      createdAt,
      createdAt,
      p.status === 'paid' ? createdAt + 5000 : null,
    );
  const row: Seeded = { ...p, id: Number(info.lastInsertRowid), refundedFen: 0 };
  payments.push(row);
  return row;
}

function insertRefund(payment: Seeded, status: string, amountFen: number, day = payment.day): SeededRefund {
  const info = db
    .prepare(
      `INSERT INTO refunds (refund_no, payment_id, mode, amount_fen, status, operator, business_day, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, '800', ?, ?, ?)`,
    )
    .run(`R${refunds.length + 1}`, payment.id, payment.mode, amountFen, status, day, T0, T0);
  if (status === 'succeeded') payment.refundedFen += amountFen;
  const row = { id: Number(info.lastInsertRowid), paymentId: payment.id, status, amountFen, mode: payment.mode, day };
  refunds.push(row);
  return row;
}

beforeAll(() => {
  const t = tempDir('transactions-');
  cleanup = t.cleanup;
  db = openLedger(join(t.dir, 'ledger.sqlite'));
  const rand = mulberry32(20260501);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
  db.transaction(() => {
    for (let i = 0; i < 4000; i++) {
      const tender = rand() < 0.2 ? 'card' : 'qr';
      // Like a real ledger: most payments final, a few still open.
      const roll = rand();
      const status = roll < 0.7 ? 'paid' : roll < 0.8 ? 'failed' : roll < 0.94 ? 'closed' : pick(OPEN);
      const p = insertPayment(
        {
          tradeNo: `T${String(i).padStart(6, '0')}`,
          merOrderNo: rand() < 0.3 ? `M${String(Math.floor(i / 2)).padStart(5, '0')}` : null,
          sysTrace: status === 'paid' || rand() < 0.3 ? `S${String(900000 + i)}` : null,
          mode: rand() < 0.15 ? 'training' : 'live',
          tender,
          amountFen: 1 + Math.floor(rand() * 50_000),
          status,
          payType: tender === 'card' ? null : pick(['ZFBA', 'WEIX', 'UPAY', null]),
          operator: pick(OPERATORS),
          day: pick(DAYS),
        },
        T0 + i * 1000,
      );
      if (p.status === 'paid' && rand() < 0.2) insertRefund(p, pick(['succeeded', 'failed', 'pending']), 1 + Math.floor(rand() * Math.floor(p.amountFen / 2)));
    }
  })();
});

afterAll(() => {
  db.close();
  cleanup();
});

function collectAll(query: Omit<TransactionQuery, 'cursor'>): { ids: number[]; pages: number } {
  const ids: number[] = [];
  let cursor: number | null = null;
  let pages = 0;
  do {
    const page = listTransactions(db, { ...query, cursor });
    expect(page.rows.length).toBeLessThanOrEqual(query.limit ?? 50);
    ids.push(...page.rows.map((r) => r.id));
    cursor = page.nextCursor;
    pages += 1;
    expect(pages).toBeLessThan(1000);
  } while (cursor !== null);
  return { ids, pages };
}

function expected(filter: (p: Seeded) => boolean): number[] {
  return payments
    .filter(filter)
    .map((p) => p.id)
    .sort((a, b) => b - a);
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

describe('listTransactions', () => {
  it('pages a day newest first, pages disjoint and together complete', () => {
    const want = expected((p) => p.mode === 'live' && p.day === '2026-05-02');
    expect(want.length).toBeGreaterThan(400);
    const { ids, pages } = collectAll({ mode: 'live', day: '2026-05-02', limit: 97 });
    expect(pages).toBe(Math.ceil(want.length / 97));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(want);
  });

  it('returns camelCase rows with the succeeded refunds summed', () => {
    const page = listTransactions(db, { mode: 'live', day: '2026-05-01', limit: 500 });
    const byId = new Map(payments.map((p) => [p.id, p]));
    let refundedSeen = 0;
    for (const row of page.rows) {
      const seeded = byId.get(row.id)!;
      expect(row).toMatchObject({
        tradeNo: seeded.tradeNo,
        merOrderNo: seeded.merOrderNo,
        sysTrace: seeded.sysTrace,
        amountFen: seeded.amountFen,
        payType: seeded.payType,
        businessDay: seeded.day,
        mode: 'live',
        refundedFen: seeded.refundedFen,
      });
      refundedSeen += row.refundedFen;
    }
    expect(refundedSeen).toBeGreaterThan(0);
  });

  it('never mixes training into live', () => {
    const live = collectAll({ mode: 'live', day: '2026-05-03', limit: 500 }).ids;
    const training = collectAll({ mode: 'training', day: '2026-05-03', limit: 500 }).ids;
    expect(training).toEqual(expected((p) => p.mode === 'training' && p.day === '2026-05-03'));
    expect(live.filter((id) => training.includes(id))).toEqual([]);
  });

  it('filters by status, pay type, tender, operator and search, alone and combined', () => {
    const day = '2026-05-01';
    const base = (p: Seeded): boolean => p.mode === 'live' && p.day === day;
    const onDay = payments.filter(base);
    const exact = onDay[7]!.tradeNo;
    const tradePrefix = onDay[3]!.tradeNo.slice(0, 5);
    const tracePrefix = onDay.find((p) => p.sysTrace !== null)!.sysTrace!.slice(0, 5);
    const orderPrefix = onDay.find((p) => p.merOrderNo !== null)!.merOrderNo!.slice(0, 5);
    const cases: [Omit<TransactionQuery, 'mode' | 'day' | 'limit'>, (p: Seeded) => boolean][] = [
      [{ status: 'paid' }, (p) => p.status === 'paid'],
      [{ status: ['created', 'qr_issued', 'waiting', 'unknown'] }, (p) => OPEN.includes(p.status)],
      [{ payType: 'WEIX' }, (p) => p.payType === 'WEIX'],
      [{ tender: 'card' }, (p) => p.tender === 'card'],
      [{ operator: '002' }, (p) => p.operator === '002'],
      [{ status: 'paid', payType: 'ZFBA', operator: '003' }, (p) => p.status === 'paid' && p.payType === 'ZFBA' && p.operator === '003'],
      [{ search: tradePrefix }, (p) => p.tradeNo.startsWith(tradePrefix)],
      [{ search: tracePrefix }, (p) => p.sysTrace?.startsWith(tracePrefix) === true],
      [{ search: orderPrefix }, (p) => p.merOrderNo?.startsWith(orderPrefix) === true],
      [{ search: `  ${exact} ` }, (p) => p.tradeNo === exact],
      [{ search: tradePrefix.toLowerCase() }, () => false],
      [{ search: '' }, () => true],
    ];
    for (const [filter, predicate] of cases) {
      const want = expected((p) => base(p) && predicate(p));
      if (filter.search !== tradePrefix.toLowerCase()) expect(want.length, JSON.stringify(filter)).toBeGreaterThan(0);
      const got = collectAll({ mode: 'live', day, limit: 41, ...filter }).ids;
      expect({ filter, got }).toEqual({ filter, got: want });
    }
    expect(expected((p) => base(p) && p.tradeNo.startsWith(tradePrefix)).length).toBeGreaterThan(5);
  });

  it('keyset pages stay disjoint while new payments arrive between pages', () => {
    const first = listTransactions(db, { mode: 'live', day: '2026-05-03', limit: 10 });
    const late = insertPayment(
      {
        tradeNo: 'LATE-1',
        merOrderNo: null,
        sysTrace: null,
        mode: 'live',
        tender: 'qr',
        amountFen: 100,
        status: 'created',
        payType: null,
        operator: '001',
        day: '2026-05-03',
      },
      T0,
    );
    const second = listTransactions(db, { mode: 'live', day: '2026-05-03', limit: 10, cursor: first.nextCursor });
    const ids = [...first.rows, ...second.rows].map((r) => r.id);
    expect(new Set(ids).size).toBe(20);
    expect(ids).not.toContain(late.id);
    expect(listTransactions(db, { mode: 'live', day: '2026-05-03', limit: 1 }).rows[0]!.id).toBe(late.id);
  });

  it('refuses malformed queries', () => {
    expect(codeOf(() => listTransactions(db, { mode: 'live', day: '2026-5-1', limit: 10 }))).toBe('BAD_INPUT');
    expect(codeOf(() => listTransactions(db, { mode: 'live', day: '2026-02-30', limit: 10 }))).toBe('BAD_INPUT');
    expect(codeOf(() => listTransactions(db, { mode: 'live', day: '2026-05-01', limit: 0 }))).toBe('BAD_INPUT');
    expect(codeOf(() => listTransactions(db, { mode: 'live', day: '2026-05-01', limit: 501 }))).toBe('BAD_INPUT');
    expect(codeOf(() => listTransactions(db, { mode: 'live', day: '2026-05-01', limit: 10, cursor: 1.5 }))).toBe('BAD_INPUT');
    expect(codeOf(() => listTransactions(db, { mode: 'live', day: '2026-05-01', limit: 10, status: 'gone' as 'paid' }))).toBe('BAD_INPUT');
    expect(codeOf(() => listTransactions(db, { mode: 'demo' as 'live', day: '2026-05-01', limit: 10 }))).toBe('BAD_INPUT');
  });
});

describe('findPayments', () => {
  it('finds by trace, order numbers, and day + amount, within the mode', () => {
    const paid = payments.find((p) => p.mode === 'live' && p.sysTrace !== null)!;
    expect(findPayments(db, { mode: 'live', sysTrace: paid.sysTrace! }).map((r) => r.id)).toEqual([paid.id]);
    expect(findPayments(db, { mode: 'training', sysTrace: paid.sysTrace! })).toEqual([]);
    expect(findPayments(db, { mode: 'live', tradeNo: paid.tradeNo }).map((r) => r.id)).toEqual([paid.id]);

    const withOrder = payments.find((p) => p.mode === 'live' && p.merOrderNo !== null)!;
    expect(findPayments(db, { mode: 'live', merOrderNo: withOrder.merOrderNo! }).map((r) => r.id)).toEqual(
      expected((p) => p.mode === 'live' && p.merOrderNo === withOrder.merOrderNo),
    );

    const target = payments.find((p) => p.mode === 'live' && p.day === '2026-05-02')!;
    expect(findPayments(db, { mode: 'live', day: '2026-05-02', amountFen: target.amountFen }).map((r) => r.id)).toEqual(
      expected((p) => p.mode === 'live' && p.day === '2026-05-02' && p.amountFen === target.amountFen),
    );
    expect(findPayments(db, { mode: 'live', sysTrace: 'nope' })).toEqual([]);
  });

  it('tries a scanned code as sysTrace, then tradeNo, then merOrderNo', () => {
    const base = { mode: 'live' as const, tender: 'qr' as const, amountFen: 500, status: 'paid', payType: 'ZFBA', operator: '001', day: '2026-05-04' };
    const byOrder = insertPayment({ ...base, tradeNo: 'CODE-T2', merOrderNo: 'X-CODE', sysTrace: null }, T0);
    expect(findPayments(db, { mode: 'live', code: 'X-CODE' }).map((r) => r.id)).toEqual([byOrder.id]);
    const byTrade = insertPayment({ ...base, tradeNo: 'X-CODE', merOrderNo: null, sysTrace: null }, T0);
    expect(findPayments(db, { mode: 'live', code: ' X-CODE ' }).map((r) => r.id)).toEqual([byTrade.id]);
    const byTrace = insertPayment({ ...base, tradeNo: 'CODE-T3', merOrderNo: null, sysTrace: 'X-CODE' }, T0);
    expect(findPayments(db, { mode: 'live', code: 'X-CODE' }).map((r) => r.id)).toEqual([byTrace.id]);
    expect(findPayments(db, { mode: 'training', code: 'X-CODE' })).toEqual([]);
  });

  it('refuses a search that would scan the ledger', () => {
    expect(codeOf(() => findPayments(db, { mode: 'live', amountFen: 100 }))).toBe('BAD_INPUT');
    expect(codeOf(() => findPayments(db, { mode: 'live' }))).toBe('BAD_INPUT');
    expect(codeOf(() => findPayments(db, { mode: 'live', day: '2026-05-01', amountFen: -1 }))).toBe('AMOUNT_INVALID');
  });
});

describe('paymentDetail', () => {
  it('sums refunds by state, computes what is left and merges the event history', () => {
    const base = { mode: 'live' as const, tender: 'qr' as const, status: 'paid', payType: 'WEIX', operator: '001', day: '2026-05-05', merOrderNo: null };
    const p = insertPayment({ ...base, tradeNo: 'DETAIL-1', sysTrace: 'DT-1', amountFen: 10_000 }, T0);
    appendEvent(db, { at: T0, entity: 'payment', entityId: p.id, type: 'created', actor: '001' });
    const r1 = insertRefund(p, 'succeeded', 3000);
    insertRefund(p, 'pending', 2000);
    insertRefund(p, 'failed', 1000);
    insertRefund(p, 'unknown', 500, '2026-05-06');
    insertRefund(p, 'succeeded', 700, '2026-05-06');
    appendEvent(db, { at: T0 + 1, entity: 'refund', entityId: r1.id, type: 'submitted', actor: '800', data: { key: 'secret' } });
    appendEvent(db, { at: T0 + 2, entity: 'payment', entityId: p.id, type: 'paid' });

    const detail = paymentDetail(db, p.id);
    expect(detail.payment).toMatchObject({ id: p.id, tradeNo: 'DETAIL-1', amountFen: 10_000, refundedFen: 3700 });
    expect(detail.refunds.map((r) => [r.status, r.amountFen])).toEqual([
      ['succeeded', 3000],
      ['pending', 2000],
      ['failed', 1000],
      ['unknown', 500],
      ['succeeded', 700],
    ]);
    expect(detail.refundedFen).toBe(3700);
    expect(detail.inFlightFen).toBe(2500);
    expect(detail.remainingFen).toBe(10_000 - 3700 - 2500);
    expect(detail.events.map((e) => [e.entity, e.type])).toEqual([
      ['payment', 'created'],
      ['refund', 'submitted'],
      ['payment', 'paid'],
    ]);
    expect(detail.events[1]!.data).toEqual({ key: '***' });

    const unpaid = insertPayment({ ...base, tradeNo: 'DETAIL-2', sysTrace: null, amountFen: 800, status: 'waiting' }, T0);
    expect(paymentDetail(db, unpaid.id).remainingFen).toBe(0);
    expect(codeOf(() => paymentDetail(db, 99_999_999))).toBe('NOT_FOUND');
  });
});

describe('listOpenItems', () => {
  it('lists unfinished payments and refunds of a day or of all days, per mode', () => {
    for (const mode of ['live', 'training'] as const) {
      const all = listOpenItems(db, { mode });
      expect(all.payments.map((p) => p.id)).toEqual(
        payments
          .filter((p) => p.mode === mode && OPEN.includes(p.status))
          .map((p) => p.id)
          .sort((a, b) => a - b),
      );
      expect(all.refunds.map((r) => r.id)).toEqual(
        refunds
          .filter((r) => r.mode === mode && ['created', 'pending', 'unknown'].includes(r.status))
          .map((r) => r.id)
          .sort((a, b) => a - b),
      );
      const day = listOpenItems(db, { mode, day: '2026-05-02' });
      expect(day.payments.map((p) => p.id)).toEqual(
        payments
          .filter((p) => p.mode === mode && p.day === '2026-05-02' && OPEN.includes(p.status))
          .map((p) => p.id)
          .sort((a, b) => a - b),
      );
    }
  });
});

describe('query plans', () => {
  function plan(sql: string, params: Record<string, string | number>): string[] {
    return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as { detail: string }[]).map((r) => r.detail);
  }

  function expectIndexed(sql: string, details: string[], table: 'p' | 'r', index: RegExp): void {
    const message = `${sql}\n  → ${details.join(' | ')}`;
    expect(
      details.some((d) => new RegExp(`^SEARCH ${table} USING (COVERING )?INDEX `).test(d) && index.test(d)),
      message,
    ).toBe(true);
    expect(
      details.filter((d) => /^SCAN (p|r)\b/.test(d)),
      message,
    ).toEqual([]);
  }

  const dayQueries: TransactionQuery[] = [
    { mode: 'live', day: '2026-05-01', limit: 50 },
    { mode: 'live', day: '2026-05-01', limit: 50, cursor: 1234 },
    { mode: 'live', day: '2026-05-01', limit: 50, status: 'paid', payType: 'ZFBA', tender: 'qr', operator: '001' },
    { mode: 'live', day: '2026-05-01', limit: 50, status: ['created', 'unknown'], cursor: 99 },
    { mode: 'live', day: '2026-05-01', limit: 50, search: 'T00012' },
  ];

  for (const analyzed of [false, true]) {
    it(`day pages, open items and refund-desk lookups use indexes${analyzed ? ' (after ANALYZE)' : ''}`, () => {
      if (analyzed) db.exec('ANALYZE');
      for (const query of dayQueries) {
        const { sql, params } = listTransactionsSql(query);
        const details = plan(sql, params);
        expectIndexed(sql, details, 'p', /payments_day \(mode=\? AND business_day=\?/);
        expectIndexed(sql, details, 'r', /refunds_payment/);
        // The index order serves ORDER BY id DESC: no sort of the whole day.
        expect(
          details.filter((d) => d.includes('TEMP B-TREE')),
          details.join(' | '),
        ).toEqual([]);
      }
      // All days: the partial "open" indexes (a (mode, …) index would walk every row of the mode).
      const open = openItemsSql({ mode: 'live' });
      expectIndexed(open.payments.sql, plan(open.payments.sql, open.payments.params), 'p', /payments_open/);
      expectIndexed(open.refunds.sql, plan(open.refunds.sql, open.refunds.params), 'r', /refunds_open/);
      const openDay = openItemsSql({ mode: 'live', day: '2026-05-01' });
      expectIndexed(openDay.payments.sql, plan(openDay.payments.sql, openDay.payments.params), 'p', /payments_(day .*business_day=\?|open)/);
      expectIndexed(openDay.refunds.sql, plan(openDay.refunds.sql, openDay.refunds.params), 'r', /refunds_(day .*business_day=\?|open)/);
      const lookups: [Parameters<typeof findPaymentsSql>[0], RegExp][] = [
        [{ mode: 'live', sysTrace: 'S1' }, /gateway_ref=\?/],
        [{ mode: 'live', tradeNo: 'T1' }, /trade_no=\?/],
        [{ mode: 'live', merOrderNo: 'M1' }, /payments_mer_order/],
        [{ mode: 'live', day: '2026-05-01', amountFen: 100 }, /payments_day \(mode=\? AND business_day=\?/],
      ];
      for (const [query, index] of lookups) {
        const [{ sql, params }] = findPaymentsSql(query) as [{ sql: string; params: Record<string, string | number> }];
        expectIndexed(sql, plan(sql, params), 'p', index);
      }
      const byCode = findPaymentsSql({ mode: 'live', code: 'C1' });
      expect(byCode).toHaveLength(4);
      for (const [i, index] of [/gateway_ref=\?/, /trade_no=\?/, /payments_mer_order/, /payments_wallet_trade/].entries()) {
        expectIndexed(byCode[i]!.sql, plan(byCode[i]!.sql, byCode[i]!.params), 'p', index);
      }
    });
  }
});
