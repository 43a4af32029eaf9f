import Database from 'better-sqlite3';
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkInvariants, INVARIANTS, violationCount, type ChaosFacts, type Invariant } from '../chaos/invariants';
import { formatReport, readLedger, runChaos, type ChaosReport } from '../chaos/run';
import { tempDir } from '../support/temp';

/**
 * The short, seeded chaos run inside `npm test` (the long one: `npm run test:chaos -- --cycles 500`) —
 * QR, Yima card, terminal card and cash sales mixed by the seed in the same 30 cycles — and the
 * checker's self-test: one violation planted per invariant in a copy of the run's facts (the integrity
 * one in a damaged copy of the real ledger file) must be caught by that invariant.
 */
const CYCLES = Number(process.env.CHAOS_SHORT_CYCLES ?? 30);
const SEED = 20261202;

describe('chaos run (short, seeded)', () => {
  let report: ChaosReport | undefined;
  const data = tempDir('chaos-short-');
  afterAll(() => data.cleanup());

  it(`${CYCLES} cycles, seed ${SEED}: zero violations against the gateways' own records`, { timeout: 600_000 }, async () => {
    report = await runChaos({ cycles: CYCLES, seed: SEED, dir: data.dir });
    process.stdout.write(`\n${formatReport(report)}\n`);
    expect(violationCount(report.violations), formatReport(report)).toBe(0);
    // The run did what it claims: kills of every kind, paid sales and refunds that reached the bank.
    expect(report.kills.timer + report.kills.request + report.kills['fault-point']).toBeGreaterThanOrEqual(CYCLES / 2);
    expect(report.kills.request).toBeGreaterThan(0);
    expect(report.paid).toBeGreaterThan(0);
    expect(report.refundsSucceeded).toBeGreaterThan(0);
    expect(report.bankRestarts).toBeGreaterThan(0);
    // Every tender in the mix: Yima, terminal and cash sales paid next to the QR ones.
    expect(report.byTender.yima.paid).toBeGreaterThan(0);
    expect(report.byTender.terminal.paid).toBeGreaterThan(0);
    expect(report.byTender.cash.paid).toBeGreaterThan(0);
  });

  it('self-test: one planted violation per invariant is caught by that invariant', () => {
    if (report === undefined) throw new Error('the run did not finish');
    const base = report.facts;
    const clone = (): ChaosFacts => structuredClone(base);
    const bpcIds = new Set(base.ledger.payments.filter((p) => p.gateway === 'bpc').map((p) => p.id));
    const paidRow = base.ledger.payments.find((p) => p.gateway === 'bpc' && p.status === 'paid');
    const unpaidRow = base.ledger.payments.find((p) => p.gateway === 'bpc' && p.status !== 'paid');
    const f = base.bank.requests.find((r) => r.tranType === 'F' && r.body?.tradeNo !== undefined);
    const r = base.bank.requests.find((q) => q.tranType === 'R' && q.body?.tradeNo !== undefined);
    const paidOrder = base.bank.orders.find((o) => o.state === 'paid');
    if (!paidRow || !unpaidRow || !f || !r || !paidOrder) throw new Error('the run produced too little to plant into');
    const yimaPaid = base.yima.orders.find((o) => o.state === 'paid');
    const yimaCreate = base.yima.requests.find((q) => q.requestType === 'bcm_ordercreate_request');
    const yimaQuery = base.yima.requests.find((q) => q.requestType === 'bcm_resultquery_request');
    const approved = base.terminal.record.find((e) => e.decision === 'approved');
    const sentFor = (hex: string): number => base.ledger.cardSent.find((x) => x.payloadHex === hex)!.paymentId;
    const cardPaid = base.ledger.payments.find((p) => p.gateway === 'terminal' && p.status === 'paid');
    const cashPaid = base.ledger.payments.find((p) => p.gateway === 'cash' && p.status === 'paid');
    if (!yimaPaid || !yimaCreate || !yimaQuery || !approved || !cardPaid || !cashPaid) throw new Error('the run produced too few Yima, terminal or cash sales');

    const planted: Record<Invariant, ChaosFacts> = {
      'bank-paid-is-ledger-paid': (() => {
        const c = clone();
        c.ledger.payments.find((p) => p.trade_no === paidOrder.tradeNo)!.status = 'failed';
        return c;
      })(),
      'ledger-paid-is-bank-paid': (() => {
        const c = clone();
        c.ledger.payments.find((p) => p.id === unpaidRow.id)!.status = 'paid';
        return c;
      })(),
      'one-create-per-sale': (() => {
        const c = clone();
        c.bank.requests.push(structuredClone(f));
        return c;
      })(),
      'one-r-per-refund': (() => {
        const c = clone();
        c.bank.requests.push(structuredClone(r));
        return c;
      })(),
      'bank-refunds-within-paid': (() => {
        const c = clone();
        const o = c.bank.orders.find((x) => x.tradeNo === paidOrder.tradeNo)!;
        o.refunds.push({ sysTrace: 'planted', tradeNo: 'planted', amountFen: o.amountFen + 1, state: 'pending', at: 0 });
        return c;
      })(),
      'ledger-refunds-within-paid': (() => {
        const c = clone();
        c.ledger.refunds.push({
          id: 999_999,
          refund_no: 'planted',
          payment_id: paidRow.id,
          status: 'succeeded',
          amount_fen: paidRow.amount_fen + 1,
          sys_trace: 'planted',
        });
        return c;
      })(),
      'nothing-unresolved': (() => {
        const c = clone();
        c.ledger.payments.find((p) => p.id === unpaidRow.id)!.status = 'waiting';
        return c;
      })(),
      'bank-refund-is-ledger-refund': (() => {
        const c = clone();
        const row = c.ledger.refunds.find((x) => x.status === 'succeeded' && bpcIds.has(x.payment_id))!;
        row.status = 'failed';
        return c;
      })(),
      'ledger-integrity': (() => {
        // A real damaged copy of the run's ledger: a page in the middle overwritten with garbage from its
        // first byte (its b-tree header), so the damage is structural whatever the page holds.
        const copy = 'damaged.sqlite';
        const src = new Database(join(data.dir, 'ledger.sqlite'), { readonly: true });
        src.exec(`VACUUM INTO '${join(data.dir, copy)}'`);
        src.close();
        const fd = openSync(join(data.dir, copy), 'r+');
        const size = fstatSync(fd).size;
        const page = Buffer.alloc(4096);
        readSync(fd, page, 0, 4096, 0);
        const pageSize = page.readUInt16BE(16) === 1 ? 65536 : page.readUInt16BE(16);
        const victim = Math.max(2, Math.floor(size / pageSize / 2));
        writeSync(fd, Buffer.alloc(pageSize / 2, 0x5a), 0, pageSize / 2, victim * pageSize);
        closeSync(fd);
        const c = clone();
        try {
          c.ledger = readLedger(data.dir, copy);
        } catch (error) {
          c.ledger.integrity = error instanceof Error ? error.message : String(error);
        }
        return c;
      })(),
      'every-start-succeeded': (() => {
        const c = clone();
        c.starts.push({ cycle: 0, ready: false, killedByRun: false, exit: 'exit 1' });
        return c;
      })(),
      'totals-agree': (() => {
        const c = clone();
        c.bank.orders.find((o) => o.tradeNo === paidOrder.tradeNo)!.amountFen += 1;
        return c;
      })(),
      'yima-paid-is-ledger-paid': (() => {
        const c = clone();
        c.ledger.payments.find((p) => p.trade_no === yimaPaid.posSeq)!.status = 'failed';
        return c;
      })(),
      'ledger-paid-is-yima-paid': (() => {
        const c = clone();
        c.yima.orders.find((o) => o.posSeq === yimaPaid.posSeq)!.state = 'declined';
        return c;
      })(),
      'yima-one-create-per-sale': (() => {
        const c = clone();
        c.yima.requests.push({ ...yimaCreate });
        return c;
      })(),
      'yima-pos-seq-unique': (() => {
        const c = clone();
        c.yima.requests.push({ ...yimaQuery });
        return c;
      })(),
      'yima-totals-agree': (() => {
        const c = clone();
        c.yima.orders.find((o) => o.posSeq === yimaPaid.posSeq)!.amountFen += 1;
        return c;
      })(),
      'terminal-one-sale-frame-per-sale': (() => {
        // The same sale's bytes taken by the terminal a second time.
        const c = clone();
        c.terminal.record.push({ ...structuredClone(approved), seq: c.terminal.record.length + 1 });
        return c;
      })(),
      'terminal-approved-is-ledger-paid': (() => {
        const c = clone();
        c.ledger.payments.find((p) => p.id === sentFor(approved.payloadHex))!.status = 'failed';
        return c;
      })(),
      'ledger-paid-is-terminal-approved': (() => {
        const c = clone();
        c.ledger.payments.find((p) => p.id === cardPaid.id)!.gateway_ref = '10010001-000001-999999-CH9999999999';
        return c;
      })(),
      'terminal-totals-agree': (() => {
        const c = clone();
        c.terminal.record.find((e) => e.seq === approved.seq)!.amountFen += 1;
        return c;
      })(),
      'cash-sale-final': (() => {
        const c = clone();
        c.ledger.payments.find((p) => p.id === cashPaid.id)!.status = 'created';
        return c;
      })(),
      'cash-drawer-totals': (() => {
        const c = clone();
        c.ledger.drawer.paidFen += 1;
        return c;
      })(),
    };
    expect(violationCount(checkInvariants(base))).toBe(0);
    for (const name of INVARIANTS) {
      const v = checkInvariants(planted[name]);
      expect(v[name].length, `${name} not caught`).toBeGreaterThan(0);
    }
  });
});
