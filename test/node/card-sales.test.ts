import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CARD_CAPABILITIES } from '../../src/core/devices/card-gateway';
import { openLedger, type Db } from '../../src/core/ledger/db';
import { getPayment, insertPaymentIntent, type PaymentRecord } from '../../src/core/ledger/payments';
import { CardSales } from '../../src/core/payments/card-sales';
import type { GatewayResult, PaymentGateway } from '../../src/core/payments/port';
import { GatewayRegistry } from '../../src/core/payments/registry';
import { silentLogger } from '../../src/core/util/logger';
import { tempDir } from '../support/temp';

/**
 * Card sales through the port with a scripted card gateway: the journal's commit rule (each answer is
 * one commit, windows hear of it after) and the resume path, on a real ledger file.
 */
const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

const exchange = (type: string) => ({ type, at: 1, data: { outcome: 'x' } });
const APPROVED: GatewayResult = { kind: 'success', answer: { code: '00', message: '交易成功', reference: 'T-1-2-3' }, exchange: exchange('card.sale') };
const MATCH: GatewayResult = {
  kind: 'success',
  answer: { code: '00', message: "the terminal's last transaction is this sale", reference: 'T-1-2-3' },
  exchange: exchange('card.queryLast'),
};
const UNSENT: GatewayResult = { kind: 'transport_unknown', reason: 'disconnected', detail: 'port closed', delivered: false, exchange: exchange('card.sale') };

function rig(script: { create?: GatewayResult; query?: GatewayResult }): {
  db: Db;
  file: string;
  sales: CardSales;
  heard: { status: string; committed: string; events: string[] }[];
} {
  const t = tempDir('card-sales-');
  const file = join(t.dir, 'ledger.sqlite');
  const db = openLedger(file);
  const other = new Database(file, { readonly: true });
  cleanups.push(() => {
    other.close();
    db.close();
    t.cleanup();
  });
  const gateway: PaymentGateway = {
    capabilities: CARD_CAPABILITIES,
    create: async () => script.create ?? APPROVED,
    query: async () => script.query ?? MATCH,
  };
  const heard: { status: string; committed: string; events: string[] }[] = [];
  const sales = new CardSales({
    db,
    gateways: new GatewayRegistry([{ id: 'terminal', tender: 'card', flow: 'device', capabilities: CARD_CAPABILITIES, forMode: () => gateway }]),
    mode: () => 'training',
    now: Date.now,
    maxAmountFen: () => 5_000_000,
    logger: silentLogger,
    onPayment: (p: PaymentRecord) => {
      const row = other.prepare('SELECT status FROM payments WHERE id = ?').get(p.id) as { status: string } | undefined;
      const events = (other.prepare("SELECT type FROM events WHERE entity = 'payment' AND entity_id = ? ORDER BY id").all(p.id) as { type: string }[]).map(
        (e) => e.type,
      );
      heard.push({ status: p.status, committed: row?.status ?? 'absent', events });
    },
  });
  return { db, file, sales, heard };
}

describe('card sales through the port', () => {
  it('approved: the answer (exchange, state, status event) is committed before the window hears of it', async () => {
    const { db, sales, heard } = rig({});
    const p = sales.create({ amountFen: 2580, operator: '001' });
    await vi.waitFor(() => expect(getPayment(db, p.id).status).toBe('paid'));
    expect(heard.map((h) => h.status)).toEqual(['created', 'paid']);
    for (const h of heard) expect(h.committed).toBe(h.status);
    expect(heard[0]?.events).toEqual(['intent']);
    expect(heard[1]?.events).toEqual(['intent', 'card.sale', 'status']);
    expect(getPayment(db, p.id)).toMatchObject({ sysTrace: 'T-1-2-3', respCode: '00', gateway: 'terminal', tender: 'card' });
  });

  it('not a byte reached the terminal: failed in one step, nothing charged', async () => {
    const { db, sales, heard } = rig({ create: UNSENT });
    const p = sales.create({ amountFen: 100, operator: '001' });
    await vi.waitFor(() => expect(getPayment(db, p.id).status).toBe('failed'));
    expect(heard.map((h) => h.status)).toEqual(['created', 'failed']);
    expect(getPayment(db, p.id).respMsg).toBe('not sent to the terminal (disconnected); nothing was charged');
  });

  it('resume: a card sale left without an answer becomes 状态未明 (with its resume note, one commit) and the last transaction settles it', async () => {
    const { db, sales, heard } = rig({});
    const left = insertPaymentIntent(db, {
      tradeNo: 'P-left',
      merOrderNo: null,
      memo: null,
      mode: 'training',
      tender: 'card',
      gateway: 'terminal',
      amountFen: 700,
      operator: '001',
      businessDay: '2026-01-02',
      now: Date.now(),
    });
    expect(sales.resume()).toBe(1);
    await vi.waitFor(() => expect(getPayment(db, left.id).status).toBe('paid'));
    expect(heard[0]).toMatchObject({ status: 'unknown', committed: 'unknown', events: ['resumed', 'status'] });
    expect(heard[1]).toMatchObject({ status: 'paid', committed: 'paid', events: ['resumed', 'status', 'card.queryLast', 'status'] });
  });
});
