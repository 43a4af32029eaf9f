import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { yimaGatewayEntry } from '../../src/core/gateways/yima/adapter';
import { YimaClient } from '../../src/core/gateways/yima/client';
import { encodeRequest } from '../../src/core/gateways/yima/codec';
import { undiciYimaHttp, type YimaHttp } from '../../src/core/gateways/yima/http';
import { startYimaNotifyListener, type YimaNotifyListener } from '../../src/core/gateways/yima/notify-listener';
import { openLedger, type Db } from '../../src/core/ledger/db';
import { reserveRequestSeq } from '../../src/core/ledger/order-numbers';
import { getPayment, type PaymentRecord } from '../../src/core/ledger/payments';
import { PaymentEngine } from '../../src/core/payments/engine';
import { GatewayRegistry } from '../../src/core/payments/registry';
import { DEFAULT_SCHEDULE, type PollingSchedule } from '../../src/core/payments/schedule';
import { startYimaSimulator, type YimaSimFault, type YimaSimOrder, type YimaSimScript, type YimaSimulator } from '../../src/core/simulators/yima';
import type { YimaMessage, YimaValue } from '../../src/core/gateways/yima/wire';
import { silentLogger } from '../../src/core/util/logger';
import { realTimers } from '../../src/core/util/time';

/**
 * The Yima fault matrix (issue 11, mirroring fault-matrix-bpc): each operation — the create (the push
 * to the card POS), the result query, the supervisor's order query — × each transport or answer fault,
 * before Yima processed the request and after it, against the real engine, client and Yima simulator on
 * loopback, with the expected final state and the simulator's request counts. The invariants behind
 * every row: never two creates for one sale; every poll with its own pos_seq; a sale is paid in the
 * ledger only when Yima has it paid; an unclear or unbound answer is resolved by querying. Then the
 * notification rows: duplicate, out of order, forged, oversized, slow — each only triggers a query or
 * is refused.
 */
const KEY = 'Ym$k3y#0123456789abcdef';
const ISSPID = '39493002';
const OTHER_SEQ = 'P9926120200000000099';
const WAIT = { timeout: 10_000, interval: 20 };

interface Row {
  fault: YimaSimFault;
  /** The answer format (the request's): JSON by default; the truncated GBK XML row speaks XML. */
  format?: 'json' | 'xml';
  /** Signed answers required (the missing-sign row). */
  requireSigned?: boolean;
  /** The fault can only play after Yima processed the request (it needs Yima's answer). */
  afterOnly?: boolean;
  /** Settings → 翼码: how a paid result without an amount is treated (default if-reported). */
  paidAmount?: 'if-reported' | 'require';
}

/** Faults every operation can meet. `hang` is held past the client's 300 ms answer timeout. */
const FAULTS: Record<string, Row> = {
  timeout: { fault: { kind: 'hang' } },
  'connection reset': { fault: { kind: 'reset' } },
  'HTTP 500': { fault: { kind: 'http_500' } },
  'HTML body': { fault: { kind: 'html' } },
  'garbage bytes': { fault: { kind: 'garbage' } },
  'truncated JSON': { fault: { kind: 'truncate' }, afterOnly: true },
  'truncated GBK XML': { fault: { kind: 'truncate' }, format: 'xml', afterOnly: true },
  'wrong sign': { fault: { kind: 'bad_sign' }, afterOnly: true },
  'missing sign (signed answers required)': { fault: { kind: 'unsigned' }, requireSigned: true, afterOnly: true },
  'another pos_seq': { fault: { kind: 'rewrite', fields: { pos_seq: OTHER_SEQ } }, afterOnly: true },
  'another merchant (isspid)': { fault: { kind: 'rewrite', fields: { isspid: '99999999' } }, afterOnly: true },
  'replayed earlier answer': { fault: { kind: 'replay' }, afterOnly: true },
};
/** Answers that carry the order and its amount (result query, order query) can also name another one. */
const QUERY_FAULTS: Record<string, Row> = {
  ...FAULTS,
  'another order (org_pos_seq)': { fault: { kind: 'rewrite', fields: { bcm_res_info: { org_pos_seq: OTHER_SEQ }, org_pos_seq: OTHER_SEQ } }, afterOnly: true },
  'another amount': { fault: { kind: 'rewrite', fields: { bcm_res_info: { tx_amt: '1' }, trade_amount: '1' } }, afterOnly: true },
};

const SCHEDULE: PollingSchedule = {
  ...DEFAULT_SCHEDULE,
  firstQueryMs: 20,
  fastIntervalMs: 20,
  fastPhaseMs: 400,
  slowIntervalMs: 40,
  backoffStartMs: 20,
  backoffFactor: 2,
  backoffMaxMs: 50,
  unknownAfterMs: 1500,
};

interface Harness {
  db: Db;
  sim: YimaSimulator;
  engine: PaymentEngine;
  /** While true every request goes to a closed port (a real ECONNREFUSED). */
  refuse: { on: boolean };
  close(): Promise<void>;
}

let open: Harness | null = null;
afterEach(async () => {
  await open?.close();
  open = null;
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

async function start(row: Partial<Row> = {}, options: { script?: YimaSimScript; schedule?: Partial<PollingSchedule> } = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'cashier-yima-matrix-'));
  const db = openLedger(join(dir, 'ledger.sqlite'));
  const sim = await startYimaSimulator({
    isspid: ISSPID,
    key: KEY,
    signRule: 'sorted_kv_key',
    defaultScript: options.script ?? { kind: 'pay_after_polls', polls: 1 },
  });
  const dead = `http://127.0.0.1:${await closedPort()}/ipos-sa/gateway`;
  const refuse = { on: false };
  const real = undiciYimaHttp(500);
  const http: YimaHttp = (req) => real.send(refuse.on ? { ...req, url: dead } : req);
  const format = row.format ?? 'json';
  const client = new YimaClient({
    merchant: { url: sim.url, isspid: ISSPID, systemId: '8888', storeId: '1511300001', posId: '1511300001', terminalId: '0001045907', posSn: '' },
    profile: {
      format,
      xmlTransport: format === 'xml' ? 'form' : 'raw',
      requireSignedResponses: row.requireSigned === true,
      ...(row.paidAmount === undefined ? {} : { paidAmount: row.paidAmount }),
    },
    getKey: () => KEY,
    timeouts: { connectMs: 500, responseMs: 300 },
    http,
  });
  const schedule = { ...SCHEDULE, ...options.schedule };
  const engine = new PaymentEngine({
    db,
    gateways: new GatewayRegistry([
      yimaGatewayEntry(() => client, {
        nextSerial: (purpose, tradeNo) => reserveRequestSeq(db, { gateway: 'yima', purpose: `${purpose} ${tradeNo}`, now: Date.now() }),
      }),
    ]),
    mode: () => 'training',
    now: Date.now,
    timers: realTimers,
    schedule: () => schedule,
    qrValiditySec: () => 600,
    qrValidTimeField: () => '',
    maxAmountFen: () => 5_000_000,
    retUrl: () => undefined,
    onPayment: () => undefined,
    onRefund: () => undefined,
    logger: silentLogger,
  });
  open = {
    db,
    sim,
    engine,
    refuse,
    async close() {
      engine.stop();
      await sim.close();
      await real.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return open;
}

const sale = (h: Harness, amountFen = 1234): Promise<PaymentRecord> => h.engine.createPayment({ amountFen, operator: '001', gateway: 'yima' });
const status = (h: Harness, id: number): string => getPayment(h.db, id).status;
const creates = (h: Harness): number => h.sim.countRequests('bcm_ordercreate_request');
const pollSeqs = (h: Harness): string[] =>
  h.sim
    .requests()
    .filter((r) => r.requestType === 'bcm_resultquery_request')
    .map((r) => r.posSeq);

/** A clean sale first, so a replayed create answer has an earlier one to replay. */
async function warmUp(h: Harness): Promise<void> {
  const p = await sale(h, 100);
  await vi.waitFor(() => expect(status(h, p.id)).toBe('paid'), WAIT);
}

describe('Yima fault matrix: transport', () => {
  it('create, connection refused: the order provably never left — the sale fails, nothing at Yima', async () => {
    const h = await start();
    h.refuse.on = true;
    const p = await sale(h);
    expect(p.status).toBe('failed');
    expect(p.respMsg).toContain('not pushed');
    expect(creates(h)).toBe(0);
  });

  it('result query, connection refused ×N then back: queried again (never pushed again), paid', async () => {
    const h = await start();
    const p = await sale(h);
    h.refuse.on = true;
    await new Promise((r) => setTimeout(r, 300));
    expect(status(h, p.id)).not.toBe('paid');
    h.refuse.on = false;
    await vi.waitFor(() => expect(status(h, p.id)).toBe('paid'), WAIT);
    expect(creates(h)).toBe(1);
  });

  it('9998 storm (never paid): polled with a fresh pos_seq each, 状态未明 after the give-up time, one create', async () => {
    const h = await start({}, { script: { kind: 'never' }, schedule: { unknownAfterMs: 400 } });
    const p = await sale(h);
    await vi.waitFor(() => expect(status(h, p.id)).toBe('unknown'), WAIT);
    await vi.waitFor(() => expect(pollSeqs(h).length).toBeGreaterThanOrEqual(10), WAIT);
    expect(status(h, p.id)).toBe('unknown');
    expect(new Set(pollSeqs(h)).size).toBe(pollSeqs(h).length);
    expect(creates(h)).toBe(1);
  });
});

describe.each(Object.entries(FAULTS))('Yima fault matrix (create): %s', (_name, row) => {
  // Faults that need Yima's answer (truncated, wrong or missing sign, rewritten, replayed) only exist after it processed the request.
  if (row.afterOnly !== true)
    it('before Yima processed it: not on the card POS — queried by our order number, 状态未明, never paid, one create', async () => {
      const h = await start(row, { schedule: { unknownAfterMs: 300 } });
      h.sim.injectFault('bcm_ordercreate_request', row.fault, { after: false });
      const p = await sale(h);
      expect(['waiting', 'unknown']).toContain(p.status);
      await vi.waitFor(() => expect(status(h, p.id)).toBe('unknown'), WAIT);
      await vi.waitFor(() => expect(pollSeqs(h).length).toBeGreaterThanOrEqual(2), WAIT);
      expect(h.sim.order(p.tradeNo)).toBeUndefined();
      expect(creates(h)).toBe(1);
      expect(status(h, p.id)).toBe('unknown');
    });

  it('answer lost after Yima pushed it: followed by result queries, paid, one create', async () => {
    const h = await start(row);
    if (row.fault.kind === 'replay') await warmUp(h);
    const before = creates(h);
    h.sim.injectFault('bcm_ordercreate_request', row.fault, { after: true });
    const p = await sale(h);
    expect(['waiting', 'unknown']).toContain(p.status);
    await vi.waitFor(() => expect(status(h, p.id)).toBe('paid'), WAIT);
    expect(creates(h) - before).toBe(1);
    expect(h.sim.requests().filter((r) => r.requestType === 'bcm_ordercreate_request' && r.posSeq === p.tradeNo)).toHaveLength(1);
    expect(getPayment(h.db, p.id).gatewayDetail).toMatchObject({ orderId: h.sim.order(p.tradeNo)!.orderId });
  });
});

describe.each(Object.entries(QUERY_FAULTS))('Yima fault matrix (result query): %s', (_name, row) => {
  it.each(row.afterOnly === true ? [true] : [false, true])(
    '×3 (after processing: %s), then paid: asked again with fresh pos_seqs, one create',
    async (after) => {
      const h = await start(row, { script: { kind: 'manual' } });
      const p = await sale(h);
      // One clean poll first (a replay then has an earlier answer of this order to replay).
      await vi.waitFor(() => expect(pollSeqs(h).length).toBeGreaterThanOrEqual(1), WAIT);
      expect(h.sim.pay(p.tradeNo)).toBe(true);
      h.sim.injectFault('bcm_resultquery_request', row.fault, { after, count: 3 });
      const polls = pollSeqs(h).length;
      await vi.waitFor(() => expect(status(h, p.id)).toBe('paid'), WAIT);
      expect(pollSeqs(h).length - polls).toBeGreaterThanOrEqual(4);
      expect(new Set(pollSeqs(h)).size).toBe(pollSeqs(h).length);
      expect(creates(h)).toBe(1);
      expect(getPayment(h.db, p.id).gatewayDetail).toMatchObject({ amountFen: 1234 });
    },
  );
});

/**
 * A correctly signed "paid" that is not the answer to this poll, played while the sale is NOT paid at
 * Yima (and at the same amount, so only the binding can tell): the sale must never be paid by it.
 * `paidFor(ours)` builds the rewrite from our order's own card details; the replay row plays another
 * sale's genuine earlier "paid" answer instead.
 */
const FOREIGN_ORDER_ID = 'YM20261203101010999999';
interface ForeignRow {
  /** The fields the faulted answers carry (merged into Yima's genuine "waiting" answer). */
  fields?: (ours: YimaSimOrder) => Record<string, YimaValue>;
  /** Replay another sale's earlier genuine "paid" answer to the first poll. */
  replayOtherSale?: boolean;
}
const paidInfoOf = (o: YimaSimOrder): Record<string, YimaValue> => ({
  org_pos_seq: o.posSeq,
  order_id: o.orderId,
  mid: '898310048990001',
  tid: '10459070',
  batch_no: o.batchNo,
  trace_no: o.traceNo,
  ref_no: o.refNo,
  card_no: o.cardNo,
  tx_amt: String(o.amountFen),
});
const PAID = { id: '0000', comment: '成功' };
const FOREIGN: Record<string, ForeignRow> = {
  'a foreign org_pos_seq in bcm_res_info': {
    fields: (o) => ({ result: PAID, bcm_res_info: { ...paidInfoOf(o), org_pos_seq: OTHER_SEQ, order_id: FOREIGN_ORDER_ID } }),
  },
  'a foreign org_pos_seq at the top level': { fields: (o) => ({ result: PAID, org_pos_seq: OTHER_SEQ, bcm_res_info: { ...paidInfoOf(o), org_pos_seq: '' } }) },
  'a pos_seq echo that is not the poll’s own serial': { fields: (o) => ({ result: PAID, pos_seq: OTHER_SEQ, bcm_res_info: paidInfoOf(o) }) },
  'a pos_seq in bcm_res_info that is neither the poll’s nor the order’s': {
    fields: (o) => ({ result: PAID, bcm_res_info: { ...paidInfoOf(o), pos_seq: OTHER_SEQ } }),
  },
  'another merchant (isspid)': { fields: (o) => ({ result: PAID, isspid: '99999999', bcm_res_info: paidInfoOf(o) }) },
  'another platform (system_id)': { fields: (o) => ({ result: PAID, system_id: '9999', bcm_res_info: paidInfoOf(o) }) },
  'a replay of another sale’s earlier "paid" answer': { replayOtherSale: true },
  // Without Yima's order_id a "paid" cannot be told apart from another sale's payment (one card payment
  // settles one sale) nor re-checked by the supervisor.
  'no order_id': { fields: (o) => ({ result: PAID, bcm_res_info: { ...paidInfoOf(o), order_id: '' } }) },
};

describe.each(Object.entries(FOREIGN))('Yima fault matrix (result query, sale not paid): a "paid" with %s', (_name, row) => {
  it.each(['paid later by the genuine answer', 'never paid: 状态未明'] as const)('is never taken — %s; one create', async (ending) => {
    const h = await start({}, { script: { kind: 'manual' }, schedule: ending === 'never paid: 状态未明' ? { unknownAfterMs: 400 } : {} });
    const count = ending === 'never paid: 状态未明' ? 1_000_000 : 3;
    let p: PaymentRecord;
    if (row.replayOtherSale === true) {
      // Another sale of the same amount, paid: its genuine "paid" is the last result-query answer when ours is first polled.
      const other = await sale(h);
      h.sim.pay(other.tradeNo);
      await vi.waitFor(() => expect(status(h, other.id)).toBe('paid'), WAIT);
      h.sim.injectFault('bcm_resultquery_request', { kind: 'replay' }, { after: true, count });
      p = await sale(h);
    } else {
      p = await sale(h);
      h.sim.injectFault('bcm_resultquery_request', { kind: 'rewrite', fields: row.fields!(h.sim.order(p.tradeNo)!) }, { after: true, count });
    }
    const faulted = (): number => h.sim.requests().filter((r) => r.requestType === 'bcm_resultquery_request' && r.posSeq !== '' && r.fault !== null).length;
    if (ending === 'never paid: 状态未明') {
      await vi.waitFor(() => expect(status(h, p.id)).toBe('unknown'), WAIT);
      await vi.waitFor(() => expect(faulted()).toBeGreaterThanOrEqual(5), WAIT);
      expect(status(h, p.id)).toBe('unknown');
    } else {
      // Paid is final in the ledger: had any faulted answer been taken, the sale would be paid (and polling stopped).
      await vi.waitFor(() => {
        expect(status(h, p.id)).not.toBe('paid');
        expect(faulted()).toBe(3);
      }, WAIT);
      const polls = pollSeqs(h).length;
      await vi.waitFor(() => expect(pollSeqs(h).length).toBeGreaterThan(polls), WAIT);
      expect(status(h, p.id)).toBe('waiting');
      expect(h.sim.pay(p.tradeNo)).toBe(true);
      await vi.waitFor(() => expect(status(h, p.id)).toBe('paid'), WAIT);
      expect(getPayment(h.db, p.id).gatewayDetail).toMatchObject({ orderId: h.sim.order(p.tradeNo)!.orderId, amountFen: 1234 });
    }
    expect(h.sim.requests().filter((r) => r.requestType === 'bcm_ordercreate_request' && r.posSeq === p.tradeNo)).toHaveLength(1);
    expect(new Set(pollSeqs(h)).size).toBe(pollSeqs(h).length);
  });
});

describe.each(Object.entries(QUERY_FAULTS))('Yima fault matrix (order query, supervisor): %s', (_name, row) => {
  it('evidence only: the faulted answer changes nothing, the next clean one settles it, one create', async () => {
    const h = await start(row, { script: { kind: 'manual' } });
    // For the replay row: another sale, paid, whose genuine order-query answer gets replayed.
    const other = row.fault.kind === 'replay' ? await sale(h, 100) : null;
    if (other !== null) {
      h.sim.pay(other.tradeNo);
      await vi.waitFor(() => expect(status(h, other.id)).toBe('paid'), WAIT);
    }
    const p = await sale(h);
    await vi.waitFor(() => expect(pollSeqs(h).length).toBeGreaterThanOrEqual(1), WAIT);
    await h.engine.cancelPayment(p.id, '001');
    expect(status(h, p.id)).toBe('unknown');
    // Paid on the terminal, while every result query fails: only the order query can tell.
    h.sim.injectFault('bcm_resultquery_request', { kind: 'http_500' }, { count: 1_000_000 });
    expect(h.sim.pay(p.tradeNo)).toBe(true);
    const orderId = h.sim.order(p.tradeNo)!.orderId;
    if (other !== null) {
      // Asked about the other sale's order_id: Yima's genuine answer names the other order (refused), and is the one replayed next.
      const asked = await h.engine.recheckPayment(p.id, h.sim.order(other.tradeNo)!.orderId, '800');
      expect(asked.result.kind).toBe('transport_unknown');
    }
    h.sim.injectFault('bcm_orderquery_request', row.fault, { after: true });
    const faulted = await h.engine.recheckPayment(p.id, orderId, '800');
    expect(faulted.result.kind).not.toBe('success');
    expect(status(h, p.id)).toBe('unknown');
    const clean = await h.engine.recheckPayment(p.id, orderId, '800');
    expect(clean.result.kind).toBe('success');
    expect(status(h, p.id)).toBe('paid');
    expect(h.sim.requests().filter((r) => r.requestType === 'bcm_ordercreate_request' && r.posSeq === p.tradeNo)).toHaveLength(1);
  });
});

describe('Yima: a "paid" result that reports no amount (documented bcm_res_info names none) [guess, setting paidAmount]', () => {
  const noAmount: YimaSimScript = { kind: 'pay_after_polls', polls: 1, noAmount: true };

  it('if-reported (default): taken as paid when every other binding holds; no amount recorded; one create', async () => {
    const h = await start({}, { script: noAmount });
    const p = await sale(h);
    await vi.waitFor(() => expect(status(h, p.id)).toBe('paid'), WAIT);
    expect(getPayment(h.db, p.id).gatewayDetail).toMatchObject({ orderId: h.sim.order(p.tradeNo)!.orderId, amountFen: null });
    expect(creates(h)).toBe(1);
  });

  it("require: not paid, still queried, 状态未明; the supervisor's order-query re-check (it reports trade_amount) settles it", async () => {
    const h = await start({ paidAmount: 'require' }, { script: noAmount, schedule: { unknownAfterMs: 400 } });
    const p = await sale(h);
    await vi.waitFor(() => expect(status(h, p.id)).toBe('unknown'), WAIT);
    expect(h.sim.order(p.tradeNo)!.state).toBe('paid'); // Yima has it paid: only the amount is missing
    const polls = pollSeqs(h).length;
    await vi.waitFor(() => expect(pollSeqs(h).length).toBeGreaterThan(polls + 2), WAIT);
    expect(status(h, p.id)).toBe('unknown');
    const checked = await h.engine.recheckPayment(p.id, h.sim.order(p.tradeNo)!.orderId, '800');
    expect(checked.result.kind).toBe('success');
    expect(status(h, p.id)).toBe('paid');
    expect(getPayment(h.db, p.id).gatewayDetail).toMatchObject({ orderId: h.sim.order(p.tradeNo)!.orderId, amountFen: 1234 });
    expect(creates(h)).toBe(1);
  });

  it('require: a paid result that reports the amount is paid as before; another amount is still refused', async () => {
    const h = await start({ paidAmount: 'require' });
    const p = await sale(h);
    await vi.waitFor(() => expect(status(h, p.id)).toBe('paid'), WAIT);
    expect(getPayment(h.db, p.id).gatewayDetail).toMatchObject({ amountFen: 1234 });
    h.sim.setDefaultScript({ kind: 'manual' });
    const q = await sale(h, 500);
    h.sim.pay(q.tradeNo);
    h.sim.injectFault('bcm_resultquery_request', { kind: 'rewrite', fields: { bcm_res_info: { tx_amt: '1' } } }, { after: true, count: 3 });
    await vi.waitFor(() => expect(h.sim.requests().filter((r) => r.fault === 'rewrite')).toHaveLength(3), WAIT);
    await vi.waitFor(() => expect(status(h, q.id)).toBe('paid'), WAIT);
    expect(getPayment(h.db, q.id).gatewayDetail).toMatchObject({ amountFen: 500 });
  });
});

describe('Yima fault matrix (result query, sale paid at Yima): an answer about the request is not a decline', () => {
  // [guess, as our simulator answers] 4000 报文格式错误 / 4001 商户号不存在 / 4002 pos_seq 重复 say the poll
  // itself was refused (a serial Yima saw before, e.g. after a ledger restore); the payment may be made.
  it.each([
    ['4000', '报文格式错误'],
    ['4001', '商户号不存在'],
    ['4002', 'pos_seq 重复'],
  ])('result %s ×3: the sale is not declined, the next clean poll makes it paid; one create', async (id, comment) => {
    const h = await start({}, { script: { kind: 'manual' } });
    const p = await sale(h);
    await vi.waitFor(() => expect(pollSeqs(h).length).toBeGreaterThanOrEqual(1), WAIT);
    expect(h.sim.pay(p.tradeNo)).toBe(true);
    h.sim.injectFault('bcm_resultquery_request', { kind: 'rewrite', fields: { result: { id, comment }, bcm_res_info: '' } }, { after: true, count: 3 });
    await vi.waitFor(() => expect(status(h, p.id)).not.toBe('waiting'), WAIT);
    expect(status(h, p.id)).toBe('paid');
    expect(h.sim.requests().filter((r) => r.fault === 'rewrite')).toHaveLength(3);
    expect(creates(h)).toBe(1);
  });
});

describe('Yima fault matrix: notifications (each only triggers a result query, or is refused)', () => {
  let listener: YimaNotifyListener | null = null;
  afterEach(async () => {
    await listener?.close();
    listener = null;
  });

  async function withListener(h: Harness, key = KEY): Promise<string> {
    listener = await startYimaNotifyListener({
      host: '127.0.0.1',
      port: 0,
      isspid: ISSPID,
      signRule: 'sorted_kv_key',
      getKey: () => key,
      requireSigned: true,
      logger: silentLogger,
      onNotification: (n) => void h.engine.notified(n.orgPosSeq, 'yima'),
    });
    return `http://127.0.0.1:${listener.port}/notify`;
  }

  /** A notification as Yima would send it (bcm_resultquery_response shape [guess]), signed with `key`. */
  function notification(posSeq: string, key = KEY): Buffer {
    const message: YimaMessage = {
      response_type: 'bcm_resultquery_response',
      isspid: ISSPID,
      pos_seq: posSeq,
      trans_time: '20261202120000',
      result: { id: '0000', comment: '成功' },
      bcm_res_info: { org_pos_seq: posSeq, order_id: 'YM20261202120000000001', card_no: '6225880000001234', tx_amt: '1234' },
    };
    return encodeRequest(message, { format: 'json', xmlTransport: 'raw', signRule: 'sorted_kv_key' }, key).body;
  }

  async function post(url: string, body: Buffer, chunks = 1, gapMs = 0, abort = false): Promise<number> {
    return await new Promise((resolve) => {
      const req = httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(body.length) } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', () => resolve(0));
      const size = Math.ceil(body.length / chunks);
      const send = (i: number): void => {
        if (abort && i === chunks - 1) {
          req.destroy();
          resolve(-1);
          return;
        }
        if (i >= chunks) {
          req.end();
          return;
        }
        req.write(body.subarray(i * size, (i + 1) * size));
        setTimeout(() => send(i + 1), gapMs);
      };
      send(0);
    });
  }

  /** A sale waiting on the card POS with polling far apart: every query in these rows is a notification's. */
  async function waitingSale(h: Harness): Promise<PaymentRecord> {
    const p = await sale(h);
    expect(p.status).toBe('waiting');
    return p;
  }
  const slow = { script: { kind: 'manual' } as YimaSimScript, schedule: { firstQueryMs: 60_000, fastIntervalMs: 60_000, slowIntervalMs: 60_000 } };

  it('duplicate ×3 (Yima retries): each triggers a query, the sale is paid once, one create', async () => {
    const h = await start({}, slow);
    const url = await withListener(h);
    const p = await waitingSale(h);
    h.sim.pay(p.tradeNo);
    expect(await h.sim.notify(p.tradeNo, { url, count: 3 })).toEqual([200, 200, 200]);
    await vi.waitFor(() => expect(status(h, p.id)).toBe('paid'), WAIT);
    expect(pollSeqs(h).length).toBeGreaterThanOrEqual(1);
    expect(pollSeqs(h).length).toBeLessThanOrEqual(3);
    expect(creates(h)).toBe(1);
  });

  it('out of order ("paid" before Yima has it paid): triggers a query, which says waiting — nothing changes', async () => {
    const h = await start({}, slow);
    const url = await withListener(h);
    const p = await waitingSale(h);
    expect(await post(url, notification(p.tradeNo))).toBe(200);
    await vi.waitFor(() => expect(pollSeqs(h).length).toBe(1), WAIT);
    await new Promise((r) => setTimeout(r, 100));
    expect(status(h, p.id)).toBe('waiting');
  });

  it('forged (signed with another key), oversized, unknown order: refused or ignored, no query, nothing changes', async () => {
    const h = await start({}, slow);
    const url = await withListener(h);
    const p = await waitingSale(h);
    h.sim.pay(p.tradeNo);
    expect(await post(url, notification(p.tradeNo, `${KEY}-forged`))).toBe(200); // answered 6100 in Yima's envelope
    expect(await post(url, Buffer.alloc(40 * 1024, 0x41))).toBe(413);
    expect(await post(url, notification(OTHER_SEQ))).toBe(200); // not one of ours: no sale to query
    await new Promise((r) => setTimeout(r, 200));
    expect(pollSeqs(h)).toHaveLength(0);
    expect(status(h, p.id)).toBe('waiting');
  });

  it('slow body: trickled in completes and triggers one query; a stalled one that is dropped triggers nothing', async () => {
    const h = await start({}, slow);
    const url = await withListener(h);
    const p = await waitingSale(h);
    expect(await post(url, notification(p.tradeNo), 5, 150, true)).toBe(-1);
    await new Promise((r) => setTimeout(r, 150));
    expect(pollSeqs(h)).toHaveLength(0);
    h.sim.pay(p.tradeNo);
    expect(await post(url, notification(p.tradeNo), 5, 150)).toBe(200);
    await vi.waitFor(() => expect(status(h, p.id)).toBe('paid'), WAIT);
    expect(pollSeqs(h)).toHaveLength(1);
  });
});
