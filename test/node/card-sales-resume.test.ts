import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CARD_CAPABILITIES, CARD_GATEWAY_ID } from '../../src/core/devices/card-gateway';
import { openLedger, type Db } from '../../src/core/ledger/db';
import { getPayment, insertPaymentIntent } from '../../src/core/ledger/payments';
import { CardSales } from '../../src/core/payments/card-sales';
import type { GatewayResult, OrderRef, PaymentGateway } from '../../src/core/payments/port';
import { GatewayRegistry } from '../../src/core/payments/registry';
import { silentLogger } from '../../src/core/util/logger';
import { AppError } from '../../src/shared/errors';
import { tempDir } from '../support/temp';

/**
 * Card sales left 状态未明 by crashes, resumed at start-up against a terminal that takes one request at
 * a time (a second one while it is busy is DEVICE_BUSY, as CardTerminalClient refuses it). The chaos
 * run found the newest sale — the terminal's last transaction, so resolvable — left 状态未明 because
 * every sale's query was fired at once and only the first (an older sale, not the last) got through.
 */
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** A terminal whose last transaction is `lastTradeNo`; one query at a time, each taking a moment. */
function oneAtATimeTerminal(lastTradeNo: () => string): { gateway: PaymentGateway; queries: string[]; refused: number } {
  const state = { queries: [] as string[], refused: 0, busy: false };
  const exchange = { type: 'card.queryLast', at: 0, data: {} };
  const gateway: PaymentGateway = {
    capabilities: CARD_CAPABILITIES,
    create: () => Promise.reject(new Error('not used')),
    query: async (order: OrderRef): Promise<GatewayResult> => {
      if (state.busy) {
        state.refused += 1;
        throw new AppError('DEVICE_BUSY', 'the card terminal is busy with another request');
      }
      state.busy = true;
      state.queries.push(order.tradeNo);
      await new Promise((r) => setTimeout(r, 30));
      state.busy = false;
      if (order.tradeNo === lastTradeNo())
        return {
          kind: 'success',
          answer: { code: '00', message: "the terminal's last transaction is this sale", reference: `REF-${order.tradeNo}` },
          exchange,
        };
      return { kind: 'unknown', answer: { code: '00', message: "the terminal's last transaction is not this sale" }, exchange };
    },
  };
  return {
    gateway,
    get queries() {
      return state.queries;
    },
    get refused() {
      return state.refused;
    },
  };
}

function ledgerWithOpenCardSales(n: number): { db: Db; tradeNos: string[] } {
  const data = tempDir('card-resume-');
  const db = openLedger(join(data.dir, 'ledger.sqlite'));
  cleanups.push(() => {
    db.close();
    data.cleanup();
  });
  const tradeNos: string[] = [];
  for (let i = 0; i < n; i += 1) {
    const tradeNo = `P40261202120000${String(i).padStart(5, '0')}`;
    const p = insertPaymentIntent(db, {
      tradeNo,
      merOrderNo: null,
      memo: null,
      mode: 'live',
      tender: 'card',
      gateway: CARD_GATEWAY_ID,
      amountFen: 1000 + i,
      operator: '001',
      businessDay: '2026-12-02',
      now: Date.now() - (n - i) * 1000,
    });
    // The first ones already went 状态未明 at an earlier start; the newest was killed mid-sale.
    if (i < n - 1) db.prepare("UPDATE payments SET status = 'unknown' WHERE id = ?").run(p.id);
    tradeNos.push(tradeNo);
  }
  return { db, tradeNos };
}

describe('card sales resumed after a crash', () => {
  it('every open card sale is asked about in turn, never two queries at once: the last transaction settles the newest', async () => {
    const { db, tradeNos } = ledgerWithOpenCardSales(3);
    const terminal = oneAtATimeTerminal(() => tradeNos.at(-1)!);
    const sales = new CardSales({
      db,
      gateways: new GatewayRegistry([
        { id: CARD_GATEWAY_ID, tender: 'card', flow: 'device', capabilities: CARD_CAPABILITIES, forMode: () => terminal.gateway },
      ]),
      mode: () => 'live',
      now: Date.now,
      maxAmountFen: () => 1_000_000,
      onPayment: () => undefined,
      logger: silentLogger,
    });
    expect(sales.resume()).toBe(3);
    await vi.waitFor(() => expect(terminal.queries).toHaveLength(3), { timeout: 3000, interval: 10 });
    expect(terminal.refused).toBe(0);
    expect(new Set(terminal.queries)).toEqual(new Set(tradeNos));
    const idOf = (tradeNo: string): number => (db.prepare('SELECT id FROM payments WHERE trade_no = ?').get(tradeNo) as { id: number }).id;
    await vi.waitFor(() => expect(getPayment(db, idOf(tradeNos.at(-1)!)).status).toBe('paid'), { timeout: 3000, interval: 10 });
    expect(getPayment(db, idOf(tradeNos[0]!)).status).toBe('unknown');
    expect(getPayment(db, idOf(tradeNos[1]!)).status).toBe('unknown');
  });

  it('a terminal not connected yet at start-up (its port still opening): the resumed sale is asked again until it answers, then settled', async () => {
    const { db, tradeNos } = ledgerWithOpenCardSales(1);
    const terminal = oneAtATimeTerminal(() => tradeNos[0]!);
    let connected = false;
    let refusedWhileClosed = 0;
    const gateway: PaymentGateway = {
      ...terminal.gateway,
      query: (order) => {
        if (!connected) {
          refusedWhileClosed += 1;
          return Promise.reject(new AppError('DEVICE_DISCONNECTED', 'card terminal /dev/ttyS0 is not connected'));
        }
        return terminal.gateway.query(order);
      },
    };
    const sales = new CardSales({
      db,
      gateways: new GatewayRegistry([{ id: CARD_GATEWAY_ID, tender: 'card', flow: 'device', capabilities: CARD_CAPABILITIES, forMode: () => gateway }]),
      mode: () => 'live',
      now: Date.now,
      maxAmountFen: () => 1_000_000,
      onPayment: () => undefined,
      logger: silentLogger,
    });
    cleanups.push(() => sales.stop());
    expect(sales.resume()).toBe(1);
    await vi.waitFor(() => expect(refusedWhileClosed).toBeGreaterThanOrEqual(1), { timeout: 3000, interval: 10 });
    const id = (db.prepare('SELECT id FROM payments WHERE trade_no = ?').get(tradeNos[0]) as { id: number }).id;
    expect(getPayment(db, id).status).toBe('unknown');
    // The port opens: the next retry (1 s after the first refusal) reaches the terminal, whose last transaction is this sale.
    connected = true;
    await vi.waitFor(() => expect(getPayment(db, id).status).toBe('paid'), { timeout: 5000, interval: 20 });
    expect(terminal.queries).toEqual([tradeNos[0]]);
  });
});
