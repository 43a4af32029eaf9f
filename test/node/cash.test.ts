import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startTcpPrinterStandIn, type TcpPrinterStandIn } from '../../src/core/devices/printer-standin';
import { changeFor } from '../../src/core/payments/cash';
import { dayReportCsv } from '../../src/core/reports/export';
import type { PaymentView } from '../../src/shared/domain';
import { receiptText } from '../support/escpos';
import { ledgerRows, startCounter, SUPERVISOR, type TestCounter } from '../support/counter';
import { tempDir } from '../support/temp';

/**
 * The cash tender and the refunds recorded at the desk, through the whole core on a real ledger with
 * the receipt printer (and its drawer) on a loopback TCP printer stand-in.
 */
describe('cash tender and recorded refunds', () => {
  let counter: TestCounter;
  let data: { dir: string; cleanup: () => void };
  let printer: TcpPrinterStandIn;

  beforeEach(async () => {
    data = tempDir('cash-');
    counter = await startCounter(data.dir);
    printer = await startTcpPrinterStandIn();
    await counter.invoke('settings:save', {
      section: 'devices',
      value: {
        poleDisplay: null,
        cardTerminal: null,
        receiptPrinter: { transport: 'tcp', host: printer.host, port: printer.port, paperWidth: 58, drawer: { enabled: true, pin: 5, onMs: 120, offMs: 240 } },
      },
      approval: SUPERVISOR,
    });
  });

  afterEach(async () => {
    await counter.close();
    await printer.close();
    data.cleanup();
  });

  const events = (entity: string, id: number | null): string[] =>
    ledgerRows<{ type: string }>(data.dir, 'SELECT type FROM events WHERE entity = ? AND entity_id IS ? ORDER BY id', entity, id).map((e) => e.type);

  it('change in integer fen: ¥100.00 tendered for ¥37.80 → ¥62.20; short is refused', () => {
    expect(changeFor(3_780, 10_000)).toBe(6_220);
    expect(changeFor(3_780, 3_780)).toBe(0);
    expect(() => changeFor(3_780, 3_779)).toThrow(expect.objectContaining({ code: 'CASH_SHORT', details: expect.objectContaining({ shortFen: 1 }) }));
  });

  it('a cash sale: intent then paid at once, change recorded, the drawer kicked on the printer, receipt shows tendered and change', async () => {
    const sale = (await counter.invoke('payment:create', { amountFen: 3_780, tender: 'cash', tenderedFen: 10_000 })) as PaymentView;
    expect(sale).toMatchObject({ tender: 'cash', gateway: 'cash', status: 'paid', amountFen: 3_780, cash: { tenderedFen: 10_000, changeFen: 6_220 } });
    const rows = ledgerRows<any>(data.dir, 'SELECT tender, gateway, status, amount_fen, gateway_detail, paid_at FROM payments WHERE id = ?', sale.id);
    expect(rows[0]).toMatchObject({ tender: 'cash', gateway: 'cash', status: 'paid', amount_fen: 3_780 });
    expect(JSON.parse(rows[0].gateway_detail)).toEqual({ tenderedFen: 10_000, changeFen: 6_220 });
    // The drawer kick (pin 5, 120 / 240 ms) and the receipt reach the printer.
    await vi.waitFor(() => expect(printer.sim.jobs().some((j) => j.drawerKicks.length > 0)).toBe(true), { timeout: 5000, interval: 25 });
    const kicks = printer.sim.jobs().flatMap((j) => j.drawerKicks);
    expect(kicks).toEqual([{ pin: 5, onMs: 120, offMs: 240 }]);
    await vi.waitFor(() => expect(printer.sim.jobs().some((j) => j.qr.includes(sale.tradeNo))).toBe(true), { timeout: 5000, interval: 25 });
    const receipt = receiptText(printer.sim.jobs().find((j) => j.qr.includes(sale.tradeNo))!);
    expect(receipt.some((l) => /^实收 +￥100\.00$/.test(l))).toBe(true);
    expect(receipt.some((l) => /^找零 +￥62\.20$/.test(l))).toBe(true);
    await vi.waitFor(() => expect(events('payment', sale.id)).toContain('drawer_opened'), { timeout: 5000, interval: 25 });
    const types = events('payment', sale.id);
    expect(types.indexOf('intent')).toBeLessThan(types.indexOf('cash_received'));
    expect(types.indexOf('cash_received')).toBeLessThan(types.indexOf('status'));
  });

  it('tendered less than the amount, or cash switched off: refused, nothing written, drawer shut', async () => {
    await expect(counter.invoke('payment:create', { amountFen: 3_780, tender: 'cash', tenderedFen: 3_000 })).rejects.toMatchObject({ code: 'CASH_SHORT' });
    await expect(counter.invoke('payment:create', { amountFen: 3_780, tender: 'cash' })).rejects.toMatchObject({ code: 'BAD_INPUT' });
    const shop = (await counter.invoke('settings:get', undefined)).shop;
    await counter.invoke('settings:save', { section: 'shop', value: { ...shop, cashTender: false }, approval: SUPERVISOR });
    await expect(counter.invoke('payment:create', { amountFen: 3_780, tender: 'cash', tenderedFen: 5_000 })).rejects.toMatchObject({ code: 'TENDER_DISABLED' });
    expect(ledgerRows(data.dir, 'SELECT id FROM payments')).toEqual([]);
    await new Promise((r) => setTimeout(r, 200));
    expect(printer.sim.jobs().flatMap((j) => j.drawerKicks)).toEqual([]);
  });

  it('no-sale drawer open needs a supervisor PIN and is recorded', async () => {
    await expect(counter.invoke('drawer:open', { reason: 'change for the till', approval: { code: '001', pin: '1111' } })).rejects.toMatchObject({
      code: 'ROLE_REQUIRED',
    });
    expect(printer.sim.jobs().flatMap((j) => j.drawerKicks)).toEqual([]);
    expect(await counter.invoke('drawer:open', { reason: 'change for the till', approval: SUPERVISOR })).toEqual({ opened: true });
    await vi.waitFor(() => expect(printer.sim.jobs().flatMap((j) => j.drawerKicks)).toHaveLength(1), { timeout: 5000, interval: 25 });
    const rows = ledgerRows<any>(data.dir, "SELECT type, actor, data FROM events WHERE entity = 'device' AND type LIKE 'drawer%' ORDER BY id");
    expect(rows.map((r) => r.type)).toEqual(['drawer_no_sale', 'drawer_opened']);
    expect(JSON.parse(rows[0].data)).toMatchObject({ approvedBy: '800', reason: 'change for the till' });
    expect(rows[0].actor).toBe('001');
  });

  it('a cash refund of a cash sale: approved, capped (concurrent attempts included), opens the drawer', async () => {
    const sale = (await counter.invoke('payment:create', { amountFen: 3_780, tender: 'cash', tenderedFen: 5_000 })) as PaymentView;
    await expect(
      counter.invoke('refund:record', { paymentId: sale.id, amountFen: 1_000, reason: 'returned', approval: { code: '001', pin: '1111' } }),
    ).rejects.toMatchObject({ code: 'ROLE_REQUIRED' });
    const first = await counter.invoke('refund:record', { paymentId: sale.id, amountFen: 1_000, reason: 'returned one', approval: SUPERVISOR });
    expect(first).toMatchObject({ status: 'succeeded', amountFen: 1_000, gateway: 'cash', approvedBy: '800' });
    // Two at once for 2 000 each with 2 780 left: exactly one is recorded.
    const both = await Promise.allSettled([
      counter.invoke('refund:record', { paymentId: sale.id, amountFen: 2_000, reason: 'returned two', approval: SUPERVISOR }),
      counter.invoke('refund:record', { paymentId: sale.id, amountFen: 2_000, reason: 'returned two', approval: SUPERVISOR }),
    ]);
    expect(both.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(both.find((r) => r.status === 'rejected')).toMatchObject({ reason: expect.objectContaining({ code: 'REFUND_EXCEEDS_PAID' }) });
    await expect(counter.invoke('refund:record', { paymentId: sale.id, amountFen: 781, reason: 'too much', approval: SUPERVISOR })).rejects.toMatchObject({
      code: 'REFUND_EXCEEDS_PAID',
    });
    const detail = await counter.invoke('refund:detail', { paymentId: sale.id });
    expect(detail).toMatchObject({ refundedFen: 3_000, remainingFen: 780 });
    await vi.waitFor(() => expect(printer.sim.jobs().flatMap((j) => j.drawerKicks)).toHaveLength(3), { timeout: 5000, interval: 25 });
    expect(events('refund', first.id)).toEqual(expect.arrayContaining(['intent', 'cash_paid_out', 'status', 'drawer_opened']));
    // The day report counts the cash sale and its refunds under 现金.
    const { report } = await counter.invoke('day:report', { day: sale.businessDay });
    expect(report.byPayType.find((b: any) => b.payType === 'cash')).toMatchObject({ paidCount: 1, paidFen: 3_780, refundFen: 3_000, netFen: 780 });
    expect(report.byGateway.find((b: any) => b.gateway === 'cash')).toMatchObject({ paidFen: 3_780, refundFen: 3_000 });
    expect(report.byOperator.find((b: any) => b.operator === '001')).toMatchObject({ paidFen: 3_780 });
    // The day's CSV lists the cash bucket and books the sale as 现金 / 现金.
    const csv = dayReportCsv(report);
    expect(csv).toContain('\r\n现金,1,37.80,2,30.00,7.80\r\n');
    expect(csv.split('\r\n').some((l) => l.includes(sale.tradeNo) && l.includes(',现金,现金,'))).toBe(true);
  });

  it('a card refund done on the terminal: the reference is required, recorded, capped, and reported; a QR sale goes through the bank', async () => {
    await counter.invoke('training:script', { script: 'success' });
    const card = await counter.invoke('payment:create', { amountFen: 12_000, tender: 'card' });
    const paid = await vi.waitFor(
      async () => {
        const p = await counter.invoke('payment:get', { id: card.id });
        expect(p.status).toBe('paid');
        return p;
      },
      { timeout: 15_000, interval: 50 },
    );
    await expect(counter.invoke('refund:record', { paymentId: paid.id, amountFen: 5_000, reason: 'returned', approval: SUPERVISOR })).rejects.toMatchObject({
      code: 'BAD_INPUT',
    });
    await expect(counter.invoke('refund:create', { paymentId: paid.id, amountFen: 5_000, reason: 'returned', approval: SUPERVISOR })).rejects.toMatchObject({
      code: 'INVALID_STATE',
    });
    const refund = await counter.invoke('refund:record', {
      paymentId: paid.id,
      amountFen: 5_000,
      reason: 'returned',
      reference: 'T0012345',
      approval: SUPERVISOR,
    });
    expect(refund).toMatchObject({ status: 'succeeded', gatewayRef: 'T0012345', amountFen: 5_000 });
    await expect(
      counter.invoke('refund:record', { paymentId: paid.id, amountFen: 1_000, reason: 'again', reference: 'T0012345', approval: SUPERVISOR }),
    ).rejects.toMatchObject({ code: 'BAD_INPUT' });
    await expect(
      counter.invoke('refund:record', { paymentId: paid.id, amountFen: 7_001, reason: 'too much', reference: 'T0099999', approval: SUPERVISOR }),
    ).rejects.toMatchObject({ code: 'REFUND_EXCEEDS_PAID' });
    // No drawer for a card refund.
    await new Promise((r) => setTimeout(r, 200));
    expect(printer.sim.jobs().flatMap((j) => j.drawerKicks)).toEqual([]);
    const { report } = await counter.invoke('day:report', { day: paid.businessDay });
    expect(report.byPayType.find((b: any) => b.payType === 'card')).toMatchObject({ paidFen: 12_000, refundFen: 5_000 });
    const qr = await counter.sell(1_000);
    await expect(counter.invoke('refund:record', { paymentId: qr.id, amountFen: 100, reason: 'returned', approval: SUPERVISOR })).rejects.toMatchObject({
      code: 'INVALID_STATE',
    });
  });

  it('交班 drawer count: float set at sign-in, expected = float + cash sales − cash refunds, counted by denomination, difference recorded and printed', async () => {
    const shop = (await counter.invoke('settings:get', undefined)).shop;
    await counter.invoke('settings:save', { section: 'shop', value: { ...shop, defaultFloatFen: 20_000 }, approval: SUPERVISOR });
    await counter.invoke('shift:handover', undefined);
    const session = await counter.invoke('session:signIn', { code: '001', pin: '1111', floatFen: 30_000 });
    expect(session.shift.floatFen).toBe(30_000);
    const sale = await counter.invoke('payment:create', { amountFen: 3_780, tender: 'cash', tenderedFen: 10_000 });
    await counter.invoke('refund:record', { paymentId: sale.id, amountFen: 1_000, reason: 'returned one', approval: SUPERVISOR });
    await counter.invoke('payment:create', { amountFen: 999, tender: 'cash', tenderedFen: 999 });
    // A count whose total disagrees with its notes and coins is refused; the shift stays open.
    await expect(counter.invoke('shift:handover', { countedFen: 1, denominations: [{ valueFen: 10_000, count: 3 }] })).rejects.toMatchObject({
      code: 'BAD_INPUT',
    });
    expect((await counter.invoke('session:current', undefined)).shift.endedAt).toBeNull();
    const jobsBefore = printer.sim.jobs().length;
    const denominations = [
      { valueFen: 10_000, count: 3 },
      { valueFen: 1_000, count: 3 },
      { valueFen: 500, count: 1 },
      { valueFen: 100, count: 2 },
      { valueFen: 50, count: 1 },
      { valueFen: 10, count: 4 },
    ];
    const { shift } = await counter.invoke('shift:handover', { denominations });
    // 300 + 30 + 5 + 2 + 0.5 + 0.4 = 337.90 counted; expected 300.00 + 37.80 + 9.99 − 10.00 = 337.79.
    expect(shift.report.drawer).toEqual({
      floatFen: 30_000,
      cashSalesFen: 4_779,
      cashRefundsFen: 1_000,
      expectedFen: 33_779,
      countedFen: 33_790,
      differenceFen: 11,
      denominations,
    });
    const counted = ledgerRows<{ data: string }>(data.dir, "SELECT data FROM events WHERE type = 'drawer_counted'");
    expect(counted.map((r) => JSON.parse(r.data))).toEqual([
      expect.objectContaining({ shiftId: shift.id, expectedFen: 33_779, countedFen: 33_790, differenceFen: 11 }),
    ]);
    const stored = ledgerRows<{ report: string }>(data.dir, 'SELECT report FROM shifts WHERE id = ?', shift.id);
    expect(JSON.parse(stored[0]!.report).drawer.differenceFen).toBe(11);
    const handoverPrint = (): string[] | undefined =>
      printer.sim
        .jobs()
        .slice(jobsBefore)
        .map((j) => receiptText(j))
        .find((l) => l.includes('交班报表') && l.includes('钱箱清点'));
    await vi.waitFor(() => expect(handoverPrint()).toBeDefined(), { timeout: 5000, interval: 25 });
    const lines = handoverPrint()!;
    expect(lines.some((l) => /^应有现金 +￥337\.79$/.test(l))).toBe(true);
    expect(lines.some((l) => /^实点现金 +￥337\.90$/.test(l))).toBe(true);
    expect(lines.some((l) => /^差额 +长款 ￥0\.11$/.test(l))).toBe(true);
    // The next sign-in without a typed float starts its shift with the default float.
    const next = await counter.invoke('session:signIn', { code: '800', pin: '8888' });
    expect(next.shift.floatFen).toBe(20_000);
  });

  it('after a stop between intent and final: the cash sale and the cash refund are failed (the drawer never opened), a terminal refund with its reference is completed', async () => {
    const cashSale = await counter.invoke('payment:create', { amountFen: 2_000, tender: 'cash', tenderedFen: 2_000 });
    await counter.close();
    // What a SIGKILL right after each intent commit leaves behind.
    const db = new Database(join(data.dir, 'ledger.sqlite'));
    const now = Date.now();
    const day = cashSale.businessDay;
    const pay = (tradeNo: string, tender: string, gateway: string, status: string): number =>
      Number(
        db
          .prepare(
            `INSERT INTO payments (trade_no, mode, tender, gateway, amount_fen, status, operator, business_day, created_at, updated_at, sent_at, paid_at)
             VALUES (?, 'training', ?, ?, 1000, ?, '001', ?, ?, ?, ?, ?)`,
          )
          .run(tradeNo, tender, gateway, status, day, now, now, now, status === 'paid' ? now : null).lastInsertRowid,
      );
    const openSale = pay('P99000000000000000001', 'cash', 'cash', 'created');
    const card = pay('P99000000000000000002', 'card', 'terminal', 'paid');
    const refund = (refundNo: string, paymentId: number, gateway: string): number =>
      Number(
        db
          .prepare(
            `INSERT INTO refunds (refund_no, payment_id, mode, gateway, amount_fen, status, reason, operator, approved_by, business_day, created_at, updated_at)
             VALUES (?, ?, 'training', ?, 500, 'created', 'x', '001', '800', ?, ?, ?)`,
          )
          .run(refundNo, paymentId, gateway, day, now, now).lastInsertRowid,
      );
    const cashRefund = refund('R99000000000000000001', cashSale.id, 'cash');
    const cardRefund = refund('R99000000000000000002', card, 'terminal');
    db.prepare("INSERT INTO events (at, entity, entity_id, type, data) VALUES (?, 'refund', ?, 'intent', ?)").run(
      now,
      cardRefund,
      JSON.stringify({ reference: 'T0077777' }),
    );
    db.close();
    counter = await startCounter(data.dir);
    expect(ledgerRows<any>(data.dir, 'SELECT status FROM payments WHERE id = ?', openSale)[0].status).toBe('failed');
    expect(ledgerRows<any>(data.dir, 'SELECT status, gateway_ref FROM refunds WHERE id = ?', cashRefund)[0]).toEqual({ status: 'failed', gateway_ref: null });
    expect(ledgerRows<any>(data.dir, 'SELECT status, gateway_ref FROM refunds WHERE id = ?', cardRefund)[0]).toEqual({
      status: 'succeeded',
      gateway_ref: 'T0077777',
    });
    // The failed cash refund freed the cap: the whole sale can still be refunded.
    expect((await counter.invoke('refund:detail', { paymentId: cashSale.id })).remainingFen).toBe(2_000);
  });

  it('a half-written terminal refund whose reference another refund already holds: start-up goes on, the others are resumed, it is 状态未明 for a supervisor', async () => {
    const cashSale = await counter.invoke('payment:create', { amountFen: 2_000, tender: 'cash', tenderedFen: 2_000 });
    await counter.close();
    // Refund A's intent was committed and its completion was not (a crash, or a disk full between the two
    // commits while the app kept running); the supervisor then recorded the same slip again as B, which
    // completed with the reference. Then C (cash) and D (card, another slip) were left at their intents.
    const db = new Database(join(data.dir, 'ledger.sqlite'));
    const now = Date.now();
    const day = cashSale.businessDay;
    const card = Number(
      db
        .prepare(
          `INSERT INTO payments (trade_no, mode, tender, gateway, amount_fen, status, operator, business_day, created_at, updated_at, sent_at, paid_at)
           VALUES ('P99000000000000000003', 'training', 'card', 'terminal', 3000, 'paid', '001', ?, ?, ?, ?, ?)`,
        )
        .run(day, now, now, now, now).lastInsertRowid,
    );
    const refund = (refundNo: string, paymentId: number, gateway: string, status: string, ref: string | null, reference?: string): number => {
      const id = Number(
        db
          .prepare(
            `INSERT INTO refunds (refund_no, payment_id, mode, gateway, amount_fen, status, gateway_ref, reason, operator, approved_by, business_day, created_at, updated_at)
             VALUES (?, ?, 'training', ?, 500, ?, ?, 'x', '001', '800', ?, ?, ?)`,
          )
          .run(refundNo, paymentId, gateway, status, ref, day, now, now).lastInsertRowid,
      );
      db.prepare("INSERT INTO events (at, entity, entity_id, type, data) VALUES (?, 'refund', ?, 'intent', ?)").run(
        now,
        id,
        JSON.stringify(reference === undefined ? { refundNo } : { refundNo, recorded: 'card', reference }),
      );
      return id;
    };
    const a = refund('R99000000000000000011', card, 'terminal', 'created', null, 'T0088888');
    refund('R99000000000000000012', card, 'terminal', 'succeeded', 'T0088888', 'T0088888');
    const c = refund('R99000000000000000013', cashSale.id, 'cash', 'created', null);
    const d = refund('R99000000000000000014', card, 'terminal', 'created', null, 'T0099999');
    db.close();

    counter = await startCounter(data.dir);
    const row = (id: number): any => ledgerRows<any>(data.dir, 'SELECT status, gateway_ref, resp_msg FROM refunds WHERE id = ?', id)[0];
    expect(row(c)).toMatchObject({ status: 'failed', gateway_ref: null });
    expect(row(d)).toMatchObject({ status: 'succeeded', gateway_ref: 'T0099999' });
    // A: not guessed either way (the terminal may have refunded twice, or the slip was typed twice).
    expect(row(a)).toMatchObject({ status: 'unknown', gateway_ref: null });
    expect(row(a).resp_msg).toContain('T0088888');
    expect(row(a).resp_msg).toContain('R99000000000000000012');
    expect(events('refund', a)).toContain('reference_conflict');
    // Still counted against the cap: 3000 − A 500 − B 500 − D 500.
    expect((await counter.invoke('refund:detail', { paymentId: card })).remainingFen).toBe(1_500);
    // A re-query (the desk's button, or the day's re-check) sends nothing and decides nothing: it says why.
    await expect(counter.invoke('refund:requery', { id: a })).rejects.toMatchObject({ code: 'REFUND_REFERENCE_CONFLICT' });
    expect(row(a).status).toBe('unknown');

    // Started again: the same, quietly (no second conflict record), and still no throw.
    await counter.close();
    counter = await startCounter(data.dir);
    expect(row(a).status).toBe('unknown');
    expect(events('refund', a).filter((t) => t === 'reference_conflict')).toHaveLength(1);
    // The supervisor checks the slips and settles it: the same slip twice, so nothing more was refunded.
    const settled = await counter.invoke('refund:resolve', { id: a, outcome: 'failed', reason: 'same slip recorded twice (B)', approval: SUPERVISOR });
    expect(settled).toMatchObject({ status: 'failed' });
    expect((await counter.invoke('refund:detail', { paymentId: card })).remainingFen).toBe(2_000);
  });

  it('while a terminal refund is half-written (its completion refused), the same slip cannot be recorded again, and a re-query does not fail it', async () => {
    // The state a refused second commit (a full disk) leaves while the app keeps running: A at its intent.
    const db = new Database(join(data.dir, 'ledger.sqlite'));
    const now = Date.now();
    const day = (await counter.invoke('payment:create', { amountFen: 100, tender: 'cash', tenderedFen: 100 })).businessDay;
    const card = Number(
      db
        .prepare(
          `INSERT INTO payments (trade_no, mode, tender, gateway, amount_fen, status, operator, business_day, created_at, updated_at, sent_at, paid_at)
           VALUES ('P99000000000000000004', 'training', 'card', 'terminal', 3000, 'paid', '001', ?, ?, ?, ?, ?)`,
        )
        .run(day, now, now, now, now).lastInsertRowid,
    );
    const a = Number(
      db
        .prepare(
          `INSERT INTO refunds (refund_no, payment_id, mode, gateway, amount_fen, status, reason, operator, approved_by, business_day, created_at, updated_at)
           VALUES ('R99000000000000000021', ?, 'training', 'terminal', 500, 'created', 'x', '001', '800', ?, ?, ?)`,
        )
        .run(card, day, now, now).lastInsertRowid,
    );
    db.prepare("INSERT INTO events (at, entity, entity_id, type, data) VALUES (?, 'refund', ?, 'intent', ?)").run(
      now,
      a,
      JSON.stringify({ refundNo: 'R99000000000000000021', recorded: 'card', reference: 'T0055555' }),
    );
    db.close();
    await expect(
      counter.invoke('refund:record', { paymentId: card, amountFen: 500, reason: 'again', reference: 'T0055555', approval: SUPERVISOR }),
    ).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringContaining('R99000000000000000021') });
    // The desk's re-query asks nobody and does not declare it failed ("nothing was refunded" is not known).
    expect(await counter.invoke('refund:requery', { id: a })).toMatchObject({ status: 'created' });
    // A half-written cash refund is another matter: the drawer opens only after the final commit.
    const db2 = new Database(join(data.dir, 'ledger.sqlite'));
    const cashSale = (db2.prepare("SELECT id FROM payments WHERE tender = 'cash'").get() as { id: number }).id;
    const c = Number(
      db2
        .prepare(
          `INSERT INTO refunds (refund_no, payment_id, mode, gateway, amount_fen, status, reason, operator, approved_by, business_day, created_at, updated_at)
           VALUES ('R99000000000000000022', ?, 'training', 'cash', 100, 'created', 'x', '001', '800', ?, ?, ?)`,
        )
        .run(cashSale, day, now, now).lastInsertRowid,
    );
    db2.close();
    expect(await counter.invoke('refund:requery', { id: c })).toMatchObject({ status: 'failed' });
    // Another slip is fine; at the next start A is completed with its reference.
    expect(
      await counter.invoke('refund:record', { paymentId: card, amountFen: 500, reason: 'other', reference: 'T0066666', approval: SUPERVISOR }),
    ).toMatchObject({
      status: 'succeeded',
    });
    await counter.close();
    counter = await startCounter(data.dir);
    expect(ledgerRows<any>(data.dir, 'SELECT status, gateway_ref FROM refunds WHERE id = ?', a)[0]).toEqual({ status: 'succeeded', gateway_ref: 'T0055555' });
  });

  it('an item the ledger refuses to resume is logged and recorded, the others are resumed, the start goes on; the next start finishes it', async () => {
    const cashSale = await counter.invoke('payment:create', { amountFen: 2_000, tender: 'cash', tenderedFen: 2_000 });
    await counter.close();
    const db = new Database(join(data.dir, 'ledger.sqlite'));
    const now = Date.now();
    const refund = (refundNo: string): number =>
      Number(
        db
          .prepare(
            `INSERT INTO refunds (refund_no, payment_id, mode, gateway, amount_fen, status, reason, operator, approved_by, business_day, created_at, updated_at)
             VALUES (?, ?, 'training', 'cash', 500, 'created', 'x', '001', '800', ?, ?, ?)`,
          )
          .run(refundNo, cashSale.id, cashSale.businessDay, now, now).lastInsertRowid,
      );
    const first = refund('R99000000000000000031');
    const second = refund('R99000000000000000032');
    // The ledger refuses the first one's commit (as a failing disk would), nothing else.
    db.exec(`CREATE TRIGGER refuse_first BEFORE UPDATE ON refunds WHEN OLD.id = ${first} BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END`);
    db.close();
    counter = await startCounter(data.dir);
    const status = (id: number): string => ledgerRows<any>(data.dir, 'SELECT status FROM refunds WHERE id = ?', id)[0].status;
    expect(status(first)).toBe('created');
    expect(status(second)).toBe('failed');
    expect(events('refund', first)).toContain('resume_failed');
    await counter.close();
    const again = new Database(join(data.dir, 'ledger.sqlite'));
    again.exec('DROP TRIGGER refuse_first');
    again.close();
    counter = await startCounter(data.dir);
    expect(status(first)).toBe('failed');
  });
});
