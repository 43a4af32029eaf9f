import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { openLedger, LEDGER_FILE } from '../src/core/ledger/db';
import { listOpenPayments } from '../src/core/ledger/payments';
import { listOpenRefunds } from '../src/core/ledger/refunds';
import { buildDayReport } from '../src/core/reports/day-report';
import { listTransactions } from '../src/core/reports/transactions';
import { tempDir } from '../test/support/temp';
import { ms, percentile, writeTable } from './stats';

/**
 * Issue 4's benchmark: a generated ledger of 1,000,000 payments over a year (with refunds and the
 * event rows a real sale writes), then the day report, one history page, and app start-up (open,
 * migration check, resume scan). Targets: day report ≤ 50 ms, page ≤ 10 ms, start-up ≤ 200 ms.
 */
const PAYMENTS = Number(process.env.BENCH_PAYMENTS ?? 1_000_000);
const t = tempDir('bench-ledger-');
afterAll(() => t.cleanup());

it(`ledger with ${PAYMENTS.toLocaleString('en')} payments`, () => {
  const file = join(t.dir, LEDGER_FILE);
  const db = openLedger(file);
  const start = Date.UTC(2025, 10, 23, 1, 0, 0);
  const perDay = Math.ceil(PAYMENTS / 365);
  const payTypes = ['ZFBA', 'WEIX', 'UPAY'];
  const insertPayment = db.prepare(
    `INSERT INTO payments (trade_no, mode, tender, gateway, amount_fen, status, pay_type, gateway_ref, scan_code, qr_expires_at, resp_code, resp_msg,
       operator, business_day, created_at, updated_at, sent_at, paid_at, final_at, query_count)
     VALUES (?, 'live', 'qr', 'bpc', ?, ?, ?, ?, ?, ?, '00', '交易成功', ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertRefund = db.prepare(
    `INSERT INTO refunds (refund_no, payment_id, mode, amount_fen, status, gateway_ref, resp_code, resp_msg, reason, operator, approved_by,
       business_day, created_at, updated_at, sent_at, final_at)
     VALUES (?, ?, 'live', ?, 'succeeded', ?, '00', '成功', '顾客退货', '001', '800', ?, ?, ?, ?, ?)`,
  );
  const insertEvent = db.prepare('INSERT INTO events (at, entity, entity_id, type, actor, data) VALUES (?, ?, ?, ?, ?, ?)');
  const generatedAt = performance.now();
  let seed = 42;
  const rnd = (): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  const batch = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i += 1) {
      const dayIndex = Math.floor(i / perDay);
      const at = start + dayIndex * 86_400_000 + Math.floor(rnd() * 13 * 3_600_000);
      const day = new Date(at + 8 * 3_600_000).toISOString().slice(0, 10);
      const amount = 100 + Math.floor(rnd() * 50_000);
      const status = rnd() < 0.97 ? 'paid' : rnd() < 0.5 ? 'closed' : 'failed';
      const trace = `37381542${String(i).padStart(20, '0')}`;
      const info = insertPayment.run(
        `P${String(i).padStart(19, '0')}`,
        amount,
        status,
        status === 'paid' ? payTypes[i % 3] : null,
        trace,
        `https://qr.95516.com/01040000/${String(i).padStart(22, '0')}`,
        at + 600_000,
        `00${1 + (i % 3)}`,
        day,
        at,
        at + 9000,
        at,
        status === 'paid' ? at + 8000 : null,
        at + 9000,
        3,
      );
      const id = Number(info.lastInsertRowid);
      // The events a real sale writes: intent, F exchange, status, a few G exchanges (kept short here).
      insertEvent.run(at, 'payment', id, 'intent', '001', `{"tradeNo":"P${i}","amountFen":${amount}}`);
      insertEvent.run(at, 'payment', id, 'bpc.F', '001', `{"outcome":"success","durationMs":180}`);
      insertEvent.run(at + 8000, 'payment', id, 'bpc.G', null, `{"outcome":"success","durationMs":90}`);
      insertEvent.run(at + 8000, 'payment', id, 'status', null, `{"from":"waiting","to":"${status}"}`);
      if (status === 'paid' && i % 50 === 0) {
        insertRefund.run(
          `R${String(i).padStart(19, '0')}`,
          id,
          Math.min(amount, 500),
          `R37381542${String(i).padStart(19, '0')}`,
          day,
          at + 60_000,
          at + 61_000,
          at + 60_000,
          at + 61_000,
        );
      }
    }
  });
  for (let from = 0; from < PAYMENTS; from += 20_000) batch(from, Math.min(PAYMENTS, from + 20_000));
  db.exec('ANALYZE');
  db.pragma('wal_checkpoint(TRUNCATE)');
  const generateMs = performance.now() - generatedAt;
  db.close();
  const bytes = statSync(file).size;

  // Start-up: open (pragmas), migration check, resume scan — measured on fresh connections.
  const startups: number[] = [];
  for (let i = 0; i < 15; i += 1) {
    const t0 = performance.now();
    const fresh = openLedger(file);
    listOpenPayments(fresh);
    listOpenRefunds(fresh);
    startups.push(performance.now() - t0);
    fresh.close();
  }

  const reader = openLedger(file);
  const days = ['2026-02-14', '2026-06-01', '2026-11-20'];
  const reports: number[] = [];
  let reportPayments = 0;
  for (let round = 0; round < 5; round += 1) {
    for (const day of days) {
      const t0 = performance.now();
      const report = buildDayReport(reader, { mode: 'live', day, timeZone: 'Asia/Shanghai' });
      reports.push(performance.now() - t0);
      reportPayments = report.payments.length;
    }
  }
  const pages: number[] = [];
  for (let round = 0; round < 20; round += 1) {
    for (const day of days) {
      const t0 = performance.now();
      const first = listTransactions(reader, { mode: 'live', day, limit: 50 });
      pages.push(performance.now() - t0);
      const t1 = performance.now();
      listTransactions(reader, { mode: 'live', day, limit: 50, cursor: first.nextCursor });
      pages.push(performance.now() - t1);
    }
  }
  const filtered: number[] = [];
  for (let round = 0; round < 20; round += 1) {
    const t0 = performance.now();
    listTransactions(reader, { mode: 'live', day: days[round % 3]!, status: 'paid', payType: 'WEIX', limit: 50 });
    filtered.push(performance.now() - t0);
  }
  reader.close();
  expect(reportPayments).toBeGreaterThan(1000);

  writeTable(
    '3-ledger',
    `Ledger with ${PAYMENTS.toLocaleString('en')} payments over a year (${perDay} a day)`,
    ['measure', 'median (ms)', 'p99 / max (ms)', 'target'],
    [
      [`day report (${reportPayments} payments a day, totals, hourly, unresolved)`, ms(percentile(reports, 50)), ms(Math.max(...reports)), '≤ 50'],
      ['one history page (50 rows, keyset)', ms(percentile(pages, 50)), ms(percentile(pages, 99)), '≤ 10'],
      ['history page with status + pay type filter', ms(percentile(filtered, 50)), ms(percentile(filtered, 99)), '≤ 10'],
      ['start-up: open + migration check + resume scan', ms(percentile(startups, 50)), ms(Math.max(...startups)), '≤ 200'],
    ],
    [
      `ledger file: ${(bytes / 1_048_576).toFixed(0)} MiB = ${Math.round(bytes / PAYMENTS)} bytes per payment (payment row, 4 event rows, 1 refund per 50 sales, indexes).`,
      `generated in ${(generateMs / 1000).toFixed(1)} s (not a target).`,
    ],
  );
});
