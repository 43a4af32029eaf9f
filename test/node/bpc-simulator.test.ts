import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { signBpcBody, verifyBpcSign } from '../../src/core/gateways/bpc/sign';
import { startBpcSimulator } from '../../src/core/simulators/bpc/index';
import type { BpcSimulator, BpcSimulatorOptions } from '../../src/core/simulators/bpc/index';

const KEY = '01AC$@!BGT98aw#C';
const MID = '104320170118888';
const POS = '37381542';
/** 2019-08-07 10:39:11 in China (UTC+8), the instant of the seed's sample trace. */
const T0 = Date.UTC(2019, 7, 7, 2, 39, 11);

let clock = T0;
const sims: BpcSimulator[] = [];
const servers: http.Server[] = [];

afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.close()));
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise<void>((resolve) => {
          s.closeAllConnections();
          s.close(() => resolve());
        }),
    ),
  );
  clock = T0;
});

async function start(options: Partial<BpcSimulatorOptions> = {}): Promise<BpcSimulator> {
  const sim = await startBpcSimulator({ key: KEY, mid: MID, now: () => clock, ...options });
  sims.push(sim);
  return sim;
}

interface Reply {
  status: number;
  text: string;
  json: Record<string, string>;
  sign: string | null;
  contentType: string | null;
}

/** Serialise once, sign that text, send that text — as the real client must. */
async function post(sim: BpcSimulator, body: Record<string, string> | string, opts: { key?: string | null; signal?: AbortSignal } = {}): Promise<Reply> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=UTF-8' };
  if (opts.key !== null) headers.sign = signBpcBody(text, opts.key ?? KEY);
  const res = await fetch(sim.url, { method: 'POST', headers, body: text, ...(opts.signal === undefined ? {} : { signal: opts.signal }) });
  const raw = await res.text();
  let json: Record<string, string> = {};
  try {
    json = JSON.parse(raw) as Record<string, string>;
  } catch {
    json = {};
  }
  return { status: res.status, text: raw, json, sign: res.headers.get('sign'), contentType: res.headers.get('content-type') };
}

let tradeSeq = 0;
const nextTradeNo = (): string => `T${Date.now()}${(tradeSeq += 1)}`;

const fBody = (over: Record<string, string> = {}): Record<string, string> => ({
  tranType: 'F',
  posNo: POS,
  txnAmt: '000000001000',
  qrValidTime: '',
  payType: 'ZFBA',
  mid: MID,
  tradeNo: nextTradeNo(),
  tellerNo: '001',
  merOrderNo: 'M001',
  ...over,
});
const gBody = (orgSysTrace: string): Record<string, string> => ({ mid: MID, orgSysTrace, posNo: POS, tranType: 'G', tellerNo: 'Comlink' });
const sBody = (orgSysTrace: string): Record<string, string> => ({ tranType: 'S', posNo: POS, mid: MID, orgSysTrace, tellerNo: '001' });
const rBody = (orgSysTrace: string, txnAmt: string, tradeNo: string): Record<string, string> => ({
  tradeNo,
  orgSysTrace,
  posNo: POS,
  tranType: 'R',
  mid: MID,
  tellerNo: 'Comlink',
  txnAmt,
});
const jBody = (orgSysTrace: string): Record<string, string> => ({ mid: MID, orgSysTrace, posNo: POS, tranType: 'J', tellerNo: 'Comlink' });

async function create(sim: BpcSimulator, over: Record<string, string> = {}): Promise<string> {
  const r = await post(sim, fBody(over));
  expect(r.json.respCode).toBe('00');
  return r.json.sysTrace!;
}

async function queryCodes(sim: BpcSimulator, trace: string, n: number): Promise<string[]> {
  const codes: string[] = [];
  for (let i = 0; i < n; i += 1) codes.push((await post(sim, gBody(trace))).json.respCode!);
  return codes;
}

interface Received {
  text: string;
  sign: string | undefined;
}

/** A local notification receiver that answers as the seed says. */
async function startReceiver(): Promise<{ url: string; got: Received[] }> {
  const got: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ text: Buffer.concat(chunks).toString('utf8'), sign: req.headers.sign as string | undefined });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ respCode: '00', respMsg: '成功' }));
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/notify`, got };
}

describe('BPC simulator: create and query', () => {
  it('F answers a signed 00 with a 28-digit trace and a QR URL; G follows the default script (88 then 00)', async () => {
    const sim = await start();
    expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/comlink\/payApi$/);
    const tradeNo = nextTradeNo();
    const f = await post(sim, fBody({ tradeNo }));
    expect(f.status).toBe(200);
    expect(f.json.respCode).toBe('00');
    expect(f.json.mid).toBe(MID);
    expect(f.json.sysTrace).toMatch(/^3738154220190807103911\d{6}$/);
    expect(f.json.scanCode).toMatch(/^https:\/\/qr\.sim\.local\/bpc\/[0-9a-f]{24}$/);
    expect(f.sign).toBe(signBpcBody(f.text, KEY));
    expect(Object.keys(f.json).slice(0, 3)).toEqual(['mid', 'sysTrace', 'scanCode']);

    const trace = f.json.sysTrace!;
    const g1 = await post(sim, gBody(trace));
    expect(g1.json.respCode).toBe('88');
    expect(g1.json.orgSysTrace).toBe(trace);
    expect(g1.json.sysTrace).toMatch(/^\d{28}$/);
    expect(g1.json.sysTrace).not.toBe(trace);
    expect(verifyBpcSign(g1.text, KEY, g1.sign)).toBe(true);

    const g2 = await post(sim, gBody(trace));
    expect(g2.json.respCode).toBe('00');
    expect(g2.json.payType).toBe('ZFBA');
    expect(g2.json.txnAmt).toBe('000000001000');
    expect(g2.json.tradeNo).toBe(tradeNo);
    expect(g2.json.bankDate).toBe('20190807');
    expect(g2.json.bankTime).toBe('103911');
    expect(g2.json.oldTradeNo).toMatch(/^\d{28}$/);
    expect(g2.json.sysTrace).not.toBe(g1.json.sysTrace);
    // Once paid, every later query answers 00 too.
    expect((await post(sim, gBody(trace))).json.respCode).toBe('00');

    const order = sim.order(trace)!;
    expect(order).toMatchObject({ state: 'paid', amountFen: 1000, tradeNo, merOrderNo: 'M001', payType: 'ZFBA', paidAt: T0, refundedFen: 0 });
    expect(sim.order(f.json.scanCode!)?.sysTrace).toBe(trace);
  });

  it('accepts unpadded and padded amounts and refuses zero, signs, letters and 13 digits', async () => {
    const sim = await start();
    const t = await create(sim, { txnAmt: '1' });
    expect(sim.order(t)?.amountFen).toBe(1);
    for (const bad of ['0', '000000000000', '-1', '1.00', 'abc', '1000000000000', ' 1']) {
      const r = await post(sim, fBody({ txnAmt: bad }));
      expect(r.json.respCode, bad).toBe('13');
    }
    expect(sim.orders()).toHaveLength(1);
  });

  it('issues unique traces and unique QR codes within one second', async () => {
    const sim = await start();
    const seen = new Set<string>();
    const codes = new Set<string>();
    for (let i = 0; i < 20; i += 1) {
      const r = await post(sim, fBody());
      seen.add(r.json.sysTrace!);
      codes.add(r.json.scanCode!);
    }
    expect(seen.size).toBe(20);
    expect(codes.size).toBe(20);
  });
});

describe('BPC simulator: payment scripts', () => {
  it('pay_after_queries: 88 exactly `queries` times, then 00; queries 0 pays on the first G', async () => {
    const sim = await start();
    sim.scriptNext({ kind: 'pay_after_queries', queries: 3, payType: 'UPAY' });
    const t = await create(sim);
    expect(await queryCodes(sim, t, 5)).toEqual(['88', '88', '88', '00', '00']);
    expect(sim.order(t)?.payType).toBe('UPAY');

    sim.scriptNext({ kind: 'pay_after_queries', queries: 0, payType: 'WEIX' });
    const t2 = await create(sim);
    const g = await post(sim, gBody(t2));
    expect(g.json.respCode).toBe('00');
    expect(g.json.payType).toBe('WEIX');
    expect(g.json.oldTradeId).toMatch(/^42000\d{23}$/);
    expect(g.json.oldTradeNo).toBe('');
  });

  it('pay_after_ms: the customer pays ms after F, on the simulator clock', async () => {
    const sim = await start();
    sim.scriptNext({ kind: 'pay_after_ms', ms: 30_000 });
    const t = await create(sim);
    clock += 29_999;
    expect(await queryCodes(sim, t, 2)).toEqual(['88', '88']);
    clock += 1;
    expect(await queryCodes(sim, t, 1)).toEqual(['00']);
    expect(sim.order(t)?.paidAt).toBe(T0 + 30_000);
  });

  it('waiting: 88 until the QR expires (default 10 minutes), then 77 and state expired', async () => {
    const sim = await start();
    sim.scriptNext({ kind: 'waiting' });
    const t = await create(sim);
    clock += 600_000 - 1;
    expect(await queryCodes(sim, t, 1)).toEqual(['88']);
    expect(sim.order(t)?.state).toBe('waiting');
    clock += 1;
    const g = await post(sim, gBody(t));
    expect(g.json.respCode).toBe('77');
    expect(g.json.respMsg).toBe('二维码已过期');
    expect(sim.order(t)?.state).toBe('expired');
    expect(sim.pay(t)).toBe(false);
  });

  it('qrValidTime in seconds is honoured and a malformed one is refused', async () => {
    const sim = await start({ defaultScript: { kind: 'waiting' } });
    const t = await create(sim, { qrValidTime: '300' });
    expect(sim.order(t)?.expiresAt).toBe(T0 + 300_000);
    clock += 300_000;
    expect(await queryCodes(sim, t, 1)).toEqual(['77']);
    expect((await post(sim, fBody({ qrValidTime: '5min' }))).json.respCode).toBe('30');
    expect((await post(sim, fBody({ qrValidTime: '0' }))).json.respCode).toBe('30');
  });

  it('unknown_then: 99 `queries` times, then 00 or 77', async () => {
    const sim = await start();
    sim.scriptNext({ kind: 'unknown_then', queries: 2, then: 'paid' });
    sim.scriptNext({ kind: 'unknown_then', queries: 1, then: 'failed' });
    const paid = await create(sim);
    const failed = await create(sim);
    expect(await queryCodes(sim, paid, 4)).toEqual(['99', '99', '00', '00']);
    expect(await queryCodes(sim, failed, 3)).toEqual(['99', '77', '77']);
    expect(sim.order(paid)?.state).toBe('paid');
    expect(sim.order(failed)?.state).toBe('failed');
  });

  it('fail: G answers 77 and the order is failed', async () => {
    const sim = await start();
    sim.scriptNext({ kind: 'fail' });
    const t = await create(sim);
    expect(await queryCodes(sim, t, 2)).toEqual(['77', '77']);
    expect(sim.order(t)?.state).toBe('failed');
    expect(sim.pay(t)).toBe(false);
  });

  it('reject_create: F fails with the scripted code, no order is made, the next F is normal again', async () => {
    const sim = await start();
    sim.scriptNext({ kind: 'reject_create', respCode: '51', respMsg: '商户状态异常' });
    const r = await post(sim, fBody());
    expect(r.json).toMatchObject({ respCode: '51', respMsg: '商户状态异常' });
    expect(r.json.sysTrace).toBeUndefined();
    expect(sim.orders()).toHaveLength(0);
    await create(sim);
    expect(sim.orders()).toHaveLength(1);
    expect(() => sim.scriptNext({ kind: 'reject_create', respCode: '00', respMsg: 'x' })).toThrow(/not 00/);
  });

  it('manual: stays 88 until pay(), then 00; paying twice is refused', async () => {
    const sim = await start();
    sim.setDefaultScript({ kind: 'manual' });
    const t = await create(sim);
    expect(await queryCodes(sim, t, 4)).toEqual(['88', '88', '88', '88']);
    const scan = sim.order(t)!.scanCode;
    expect(sim.pay(scan, 'WEIX')).toBe(true);
    expect(sim.pay(scan)).toBe(false);
    expect(sim.pay('no-such-order')).toBe(false);
    const g = await post(sim, gBody(t));
    expect(g.json.respCode).toBe('00');
    expect(g.json.payType).toBe('WEIX');
  });

  it('scripts queue: each applies to exactly one F, then the default returns', async () => {
    const sim = await start({ defaultScript: { kind: 'waiting' } });
    sim.scriptNext({ kind: 'fail' });
    sim.scriptNext({ kind: 'pay_after_queries', queries: 0 });
    const a = await create(sim);
    const b = await create(sim);
    const c = await create(sim);
    expect(sim.order(a)?.scriptKind).toBe('fail');
    expect(sim.order(b)?.scriptKind).toBe('pay_after_queries');
    expect(sim.order(c)?.scriptKind).toBe('waiting');
  });
});

describe('BPC simulator: validation', () => {
  it('rejects a bad or missing signature with A0 and creates nothing', async () => {
    const sim = await start();
    const wrong = await post(sim, fBody(), { key: 'not-the-key' });
    expect(wrong.json.respCode).toBe('A0');
    expect(wrong.json.respMsg).toContain('签名错误');
    const missing = await post(sim, fBody(), { key: null });
    expect(missing.json.respCode).toBe('A0');
    // A signature over other text (e.g. a re-serialised body) does not verify either.
    const body = fBody();
    const text = JSON.stringify(body);
    const res = await fetch(sim.url, { method: 'POST', headers: { sign: signBpcBody(JSON.stringify(body, null, 1), KEY) }, body: text });
    expect(((await res.json()) as Record<string, string>).respCode).toBe('A0');
    expect(sim.orders()).toHaveLength(0);
    expect(sim.requests().map((r) => r.signOk)).toEqual([false, false, false]);
  });

  it('accepts unsigned requests when signatures are not required, and can answer unsigned', async () => {
    const sim = await start({ requireSignature: false, signResponses: false });
    const r = await post(sim, fBody(), { key: null });
    expect(r.json.respCode).toBe('00');
    expect(r.sign).toBeNull();
    expect(sim.requests()[0]?.signOk).toBe(false);
  });

  it('names a missing or empty required field for every operation', async () => {
    const sim = await start();
    const cases: [Record<string, string>, string][] = [
      [{ ...fBody(), tradeNo: '' }, 'tradeNo'],
      [{ tranType: 'F', posNo: POS, mid: MID, tradeNo: 'x' }, 'txnAmt'],
      [{ tranType: 'G', posNo: POS, mid: MID }, 'orgSysTrace'],
      [{ tranType: 'R', posNo: POS, mid: MID, orgSysTrace: '1', txnAmt: '1' }, 'tradeNo'],
      [{ tranType: 'J', mid: MID, orgSysTrace: '1' }, 'posNo'],
      [{ tranType: 'S', posNo: POS, orgSysTrace: '1' }, 'mid'],
      [{ posNo: POS, mid: MID }, 'tranType'],
    ];
    for (const [body, field] of cases) {
      const r = await post(sim, body);
      expect(r.json.respCode, field).toBe('30');
      expect(r.json.respMsg).toBe(`缺少必填字段: ${field}`);
    }
  });

  it('refuses a wrong mid, an unknown tranType, non-string values, non-JSON bodies and oversized bodies', async () => {
    const sim = await start();
    expect((await post(sim, fBody({ mid: '999' }))).json.respCode).toBe('03');
    expect((await post(sim, fBody({ tranType: 'X' }))).json.respCode).toBe('40');
    const nonString = JSON.stringify({ ...fBody(), txnAmt: 1000 });
    const ns = await post(sim, nonString);
    expect(ns.json.respCode).toBe('30');
    expect(ns.json.respMsg).toContain('txnAmt');
    const notJson = await post(sim, '{"tranType":"F",');
    expect(notJson.status).toBe(200);
    expect(notJson.json.respCode).toBe('30');
    expect((await post(sim, '["F"]')).json.respCode).toBe('30');
    const big = await post(sim, JSON.stringify({ ...fBody(), pad: 'x'.repeat(70 * 1024) }));
    expect(big.status).toBe(413);
    expect(sim.orders()).toHaveLength(0);
    const get = await fetch(sim.url);
    expect(get.status).toBe(405);
    await get.text();
  });

  it('a repeated tradeNo is refused with 订单号重复 and makes no second order', async () => {
    const sim = await start();
    const tradeNo = nextTradeNo();
    const first = await create(sim, { tradeNo });
    const again = await post(sim, fBody({ tradeNo, txnAmt: '000000002000' }));
    expect(again.json.respCode).toBe('94');
    expect(again.json.respMsg).toBe('订单号重复');
    expect(sim.orders().map((o) => o.sysTrace)).toEqual([first]);
    expect(sim.countRequests('F', (b) => b.tradeNo === tradeNo)).toBe(2);
    expect(sim.order(first)?.amountFen).toBe(1000);
  });

  it('survives hostile input and keeps serving', async () => {
    const sim = await start();
    const junk = ['', 'null', '1', '"x"', '{}', '{"__proto__":{"polluted":"1"},"tranType":"G"}', '\u0000\u00ff', '{"tranType":{"a":1}}', '{'.repeat(5000)];
    for (const body of junk) {
      const r = await post(sim, body);
      expect(r.status).toBe(200);
      expect(r.json.respCode).not.toBe('00');
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    for (const path of ['/', '/comlink', '/sim/nope', '/%zz']) {
      const res = await fetch(`http://127.0.0.1:${sim.port}${path}`);
      expect(res.status).toBe(404);
      await res.text();
    }
    await create(sim);
  });
});

describe('BPC simulator: close (S)', () => {
  it('closes an unpaid order (then G answers 77 订单已关闭) and refuses to close a paid one', async () => {
    const sim = await start({ defaultScript: { kind: 'manual' } });
    const open = await create(sim);
    const s = await post(sim, sBody(open));
    expect(s.json.respCode).toBe('00');
    expect(sim.order(open)?.state).toBe('closed');
    const g = await post(sim, gBody(open));
    expect(g.json).toMatchObject({ respCode: '77', respMsg: '订单已关闭' });
    expect(sim.pay(open)).toBe(false);

    const paid = await create(sim);
    sim.pay(paid);
    const s2 = await post(sim, sBody(paid));
    expect(s2.json).toMatchObject({ respCode: '12', respMsg: '订单已支付' });
    expect(sim.order(paid)?.state).toBe('paid');

    expect((await post(sim, sBody('3738154299999999999999999999'))).json.respCode).toBe('25');
  });

  it('payOnClose: the close loses the race, S fails and the next G answers 00', async () => {
    const sim = await start({ defaultScript: { kind: 'manual' } });
    const t = await create(sim);
    sim.payOnClose(t);
    const s = await post(sim, sBody(t));
    expect(s.json.respCode).toBe('12');
    expect(sim.order(t)?.state).toBe('paid');
    expect((await post(sim, gBody(t))).json.respCode).toBe('00');
  });
});

describe('BPC simulator: refunds (R / J)', () => {
  async function paidOrder(sim: BpcSimulator, fen = 1000): Promise<string> {
    sim.scriptNext({ kind: 'pay_after_queries', queries: 0 });
    const t = await create(sim, { txnAmt: String(fen).padStart(12, '0') });
    expect((await post(sim, gBody(t))).json.respCode).toBe('00');
    return t;
  }

  it('two partial refunds succeed, a third over the paid amount is refused', async () => {
    const sim = await start();
    const t = await paidOrder(sim, 1000);
    const r1 = await post(sim, rBody(t, '300', 'R1'));
    expect(r1.json.respCode).toBe('00');
    expect(r1.json.sysTrace).toMatch(/^\d{28}$/);
    expect(verifyBpcSign(r1.text, KEY, r1.sign)).toBe(true);
    const r2 = await post(sim, rBody(t, '000000000500', 'R2'));
    expect(r2.json.respCode).toBe('00');
    const r3 = await post(sim, rBody(t, '201', 'R3'));
    expect(r3.json).toMatchObject({ respCode: '61', respMsg: '退货金额超限' });
    const r4 = await post(sim, rBody(t, '200', 'R4'));
    expect(r4.json.respCode).toBe('00');
    const order = sim.order(t)!;
    expect(order.refundedFen).toBe(1000);
    expect(order.refunds.map((r) => [r.tradeNo, r.amountFen, r.state])).toEqual([
      ['R1', 300, 'success'],
      ['R2', 500, 'success'],
      ['R4', 200, 'success'],
    ]);
    expect((await post(sim, jBody(r2.json.sysTrace!))).json).toMatchObject({ respCode: '00', orgSysTrace: r2.json.sysTrace, txnAmt: '500' });
  });

  it('a repeated refund number does not refund twice and answers with the same trace', async () => {
    const sim = await start();
    const t = await paidOrder(sim, 1000);
    const first = await post(sim, rBody(t, '400', 'RDUP'));
    const again = await post(sim, rBody(t, '400', 'RDUP'));
    expect(again.json.respCode).toBe(first.json.respCode);
    expect(again.json.sysTrace).toBe(first.json.sysTrace);
    expect(sim.order(t)?.refundedFen).toBe(400);
    expect(sim.order(t)?.refunds).toHaveLength(1);
  });

  it('refuses refunds of unpaid or unknown orders and bad amounts', async () => {
    const sim = await start({ defaultScript: { kind: 'manual' } });
    const t = await create(sim);
    expect((await post(sim, rBody(t, '1', 'RX1'))).json.respCode).toBe('21');
    expect((await post(sim, rBody('3738154200000000000000000000', '1', 'RX2'))).json.respCode).toBe('25');
    sim.pay(t);
    expect((await post(sim, rBody(t, '0', 'RX3'))).json.respCode).toBe('13');
    expect((await post(sim, rBody(t, '1', 'RX1'))).json.respCode).toBe('00');
    expect((await post(sim, jBody('3738154200000000000000000000'))).json.respCode).toBe('25');
  });

  it('R answers 99 and J resolves it after the scripted number of queries; the pending amount counts against the cap', async () => {
    const sim = await start();
    const t = await paidOrder(sim, 1000);
    sim.scriptNextRefund({ kind: 'unknown_then', queries: 1, then: 'success' });
    const r = await post(sim, rBody(t, '800', 'RU1'));
    expect(r.json.respCode).toBe('99');
    const refundTrace = r.json.sysTrace!;
    expect(sim.order(t)).toMatchObject({ refundedFen: 0, pendingRefundFen: 800 });
    expect((await post(sim, rBody(t, '300', 'RU2'))).json.respCode).toBe('61');
    // A retry of the same refund number while unresolved is still the same refund.
    expect((await post(sim, rBody(t, '800', 'RU1'))).json).toMatchObject({ respCode: '99', sysTrace: refundTrace });
    expect((await post(sim, jBody(refundTrace))).json.respCode).toBe('99');
    const j = await post(sim, jBody(refundTrace));
    expect(j.json).toMatchObject({ respCode: '00', orgSysTrace: refundTrace });
    expect(j.json.sysTrace).not.toBe(refundTrace);
    expect(sim.order(t)).toMatchObject({ refundedFen: 800, pendingRefundFen: 0 });
  });

  it('a refund scripted to fail (directly or after 99) refunds nothing and frees the amount', async () => {
    const sim = await start();
    const t = await paidOrder(sim, 1000);
    sim.scriptNextRefund({ kind: 'fail' });
    const r = await post(sim, rBody(t, '1000', 'RF1'));
    expect(r.json.respCode).toBe('77');
    expect((await post(sim, jBody(r.json.sysTrace!))).json.respCode).toBe('77');
    sim.scriptNextRefund({ kind: 'unknown_then', queries: 0, then: 'failed' });
    const u = await post(sim, rBody(t, '1000', 'RF2'));
    expect(u.json.respCode).toBe('99');
    expect((await post(sim, jBody(u.json.sysTrace!))).json.respCode).toBe('77');
    expect(sim.order(t)?.refundedFen).toBe(0);
    expect((await post(sim, rBody(t, '1000', 'RF3'))).json.respCode).toBe('00');
  });
});

describe('BPC simulator: faults', () => {
  it('reset before processing: fetch throws and no order exists', async () => {
    const sim = await start();
    sim.injectFault('F', { kind: 'reset' });
    const tradeNo = nextTradeNo();
    await expect(post(sim, fBody({ tradeNo }))).rejects.toThrow();
    expect(sim.orders()).toHaveLength(0);
    expect(sim.requests()[0]).toMatchObject({ tranType: 'F', fault: 'reset', answeredCode: null });
    // The fault is used up: the retry goes through.
    expect((await post(sim, fBody({ tradeNo }))).json.respCode).toBe('00');
  });

  it('after:true — the order is created although the answer was lost; a retry of the same tradeNo makes no second order', async () => {
    const sim = await start();
    sim.injectFault('F', { kind: 'reset' }, { after: true });
    const tradeNo = nextTradeNo();
    await expect(post(sim, fBody({ tradeNo }))).rejects.toThrow();
    const orders = sim.orders();
    expect(orders).toHaveLength(1);
    expect(orders[0]?.tradeNo).toBe(tradeNo);
    expect(sim.requests()[0]).toMatchObject({ fault: 'reset', answeredCode: '00' });
    expect((await post(sim, fBody({ tradeNo }))).json.respCode).toBe('94');
    expect((await post(sim, gBody(orders[0]!.sysTrace))).json.respCode).toBe('88');
  });

  it('after:true on R: the refund is done although the answer was lost', async () => {
    const sim = await start();
    sim.scriptNext({ kind: 'pay_after_queries', queries: 0 });
    const t = await create(sim);
    await post(sim, gBody(t));
    sim.injectFault('R', { kind: 'http_500' }, { after: true });
    const r = await post(sim, rBody(t, '100', 'RL1'));
    expect(r.status).toBe(500);
    expect(sim.order(t)?.refundedFen).toBe(100);
    expect((await post(sim, rBody(t, '100', 'RL1'))).json.respCode).toBe('00');
    expect(sim.order(t)?.refundedFen).toBe(100);
  });

  it('delay: a client with a short timeout gives up; the delayed request is still processed', async () => {
    // The client gives up once the request has reached the bank (not after a fixed 50 ms, which a loaded
    // machine can spend before the request is even sent).
    const giveUp = new AbortController();
    const sim = await start({ onRequest: (_entry, phase) => void (phase === 'received' && giveUp.abort()) });
    sim.injectFault('F', { kind: 'delay', ms: 400 });
    const tradeNo = nextTradeNo();
    await expect(post(sim, fBody({ tradeNo }), { signal: giveUp.signal })).rejects.toThrow();
    await vi.waitFor(() => expect(sim.orders().map((o) => o.tradeNo)).toEqual([tradeNo]), { timeout: 5_000, interval: 20 });
    sim.injectFault('G', { kind: 'delay', ms: 30 }, { after: true });
    const g = await post(sim, gBody(sim.orders()[0]!.sysTrace));
    expect(g.json.respCode).toBe('88');
  });

  it('html, garbage, http_500: the body is not a BPC answer', async () => {
    const sim = await start();
    sim.injectFault('*', { kind: 'html' });
    const html = await post(sim, fBody());
    expect(html.status).toBe(200);
    expect(html.contentType).toContain('text/html');
    expect(html.text).toContain('502 Bad Gateway');
    expect(() => JSON.parse(html.text) as unknown).toThrow();

    sim.injectFault('F', { kind: 'garbage' }, { after: true });
    const garbage = await post(sim, fBody());
    expect(garbage.status).toBe(200);
    expect(() => JSON.parse(garbage.text) as unknown).toThrow();
    expect(sim.orders()).toHaveLength(1);

    sim.injectFault('G', { kind: 'http_500' }, { count: 2 });
    const t = sim.orders()[0]!.sysTrace;
    expect((await post(sim, gBody(t))).status).toBe(500);
    expect((await post(sim, gBody(t))).status).toBe(500);
    expect((await post(sim, gBody(t))).status).toBe(200);
  });

  it('missing_resp_code: a signed JSON answer without respCode', async () => {
    const sim = await start();
    sim.injectFault('F', { kind: 'missing_resp_code' }, { after: true });
    const r = await post(sim, fBody());
    expect(r.json.respCode).toBeUndefined();
    expect(r.json.sysTrace).toMatch(/^\d{28}$/);
    expect(verifyBpcSign(r.text, KEY, r.sign)).toBe(true);
    expect(sim.order(r.json.sysTrace!)?.state).toBe('waiting');
  });

  it('bad_sign: the answer does not verify with the shared key', async () => {
    const sim = await start();
    sim.injectFault('F', { kind: 'bad_sign' }, { after: true });
    const r = await post(sim, fBody());
    expect(r.json.respCode).toBe('00');
    expect(r.sign).toMatch(/^[0-9a-f]{32}$/);
    expect(verifyBpcSign(r.text, KEY, r.sign)).toBe(false);
    const normal = await post(sim, fBody());
    expect(verifyBpcSign(normal.text, KEY, normal.sign)).toBe(true);
  });

  it('reset() forgets faults and scripts but keeps orders', async () => {
    const sim = await start({ defaultScript: { kind: 'manual' } });
    const t = await create(sim);
    sim.injectFault('*', { kind: 'http_500' }, { count: 5 });
    sim.scriptNext({ kind: 'fail' });
    sim.reset();
    const t2 = await create(sim);
    expect(sim.order(t2)?.scriptKind).toBe('manual');
    expect(sim.order(t)).toBeDefined();
    expect(() => sim.injectFault('F', { kind: 'reset' }, { count: 0 })).toThrow();
  });
});

describe('BPC simulator: notifications', () => {
  it('a scripted plan is sent when the order becomes paid: seed shape, signed, duplicates included', async () => {
    const rx = await startReceiver();
    const sim = await start();
    sim.scriptNext({ kind: 'manual' }, { url: rx.url, count: 2 });
    const t = await create(sim, { posNo: '23011111' });
    expect(sim.pay(t, 'WEIX')).toBe(true);
    await vi.waitFor(() => expect(rx.got).toHaveLength(2), { timeout: 5_000, interval: 20 });
    expect(rx.got[0]?.text).toBe(rx.got[1]?.text);
    const n = JSON.parse(rx.got[0]!.text) as Record<string, string>;
    expect(n).toMatchObject({
      orgSysTrace: t,
      qrOrderNo: t,
      oldQrOrderNo: t,
      oldTermId: '23011111',
      oldPayType: 'WEIX',
      oldRespCode: '000000',
      oldRespMsg: '交易成功',
      oldTradeNo: '',
      oldPayVounum: '',
      bankDate: '20190807',
      bankTime: '103911',
      qrValidTime: '00000600',
      respCode: '00',
    });
    expect(n.oldTradeId).toMatch(/^42000\d{23}$/);
    expect(Object.values(n).every((v) => typeof v === 'string')).toBe(true);
    expect(verifyBpcSign(rx.got[0]!.text, KEY, rx.got[0]!.sign)).toBe(true);
  });

  it('notify(): forged and unsigned notifications; only paid orders are notified', async () => {
    const rx = await startReceiver();
    const sim = await start({ defaultScript: { kind: 'manual' } });
    const t = await create(sim);
    await expect(sim.notify(t, { url: rx.url })).rejects.toMatchObject({ code: 'INVALID_STATE' });
    await expect(sim.notify('nope', { url: rx.url })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    sim.pay(t);
    const forged = await sim.notify(t, { url: rx.url, forged: true });
    expect(forged).toEqual([{ attempt: 1, ok: true, status: 200, responseText: JSON.stringify({ respCode: '00', respMsg: '成功' }), error: null }]);
    expect(rx.got[0]!.sign).toMatch(/^[0-9a-f]{32}$/);
    expect(verifyBpcSign(rx.got[0]!.text, KEY, rx.got[0]!.sign)).toBe(false);
    await sim.notify(t, { url: rx.url, signed: false });
    expect(rx.got[1]!.sign).toBeUndefined();
    const dup = await sim.notify(t, { url: rx.url, count: 3, delayMs: 5 });
    expect(dup.map((r) => r.attempt)).toEqual([1, 2, 3]);
    expect(rx.got).toHaveLength(5);
    // An unreachable receiver is reported, not thrown.
    const down = await sim.notify(t, { url: 'http://127.0.0.1:1/x' });
    expect(down[0]).toMatchObject({ ok: false, status: null });
  });

  it('pay_after_ms on the real clock notifies without any query; retUrl gets one notification', async () => {
    const rx = await startReceiver();
    const sim = await startBpcSimulator({ key: KEY, mid: MID });
    sims.push(sim);
    sim.scriptNext({ kind: 'pay_after_ms', ms: 20 }, { url: rx.url });
    const t = await create(sim);
    await vi.waitFor(() => expect(rx.got).toHaveLength(1), { timeout: 5_000, interval: 20 });
    expect(JSON.parse(rx.got[0]!.text)).toMatchObject({ orgSysTrace: t });
    expect(sim.countRequests('G')).toBe(0);

    sim.scriptNext({ kind: 'pay_after_queries', queries: 0 });
    const t2 = await create(sim, { retUrl: rx.url });
    await post(sim, gBody(t2));
    await vi.waitFor(() => expect(rx.got).toHaveLength(2), { timeout: 5_000, interval: 20 });
    expect(JSON.parse(rx.got[1]!.text)).toMatchObject({ orgSysTrace: t2 });
  });
});

describe('BPC simulator: trainer API', () => {
  it('POST /sim/pay pays by scanCode or sysTrace; GET /sim/orders/<trace> shows the order', async () => {
    const sim = await start({ defaultScript: { kind: 'manual' } });
    const t = await create(sim);
    const scan = sim.order(t)!.scanCode;
    const res = await fetch(`${sim.trainerUrl}/pay`, { method: 'POST', body: JSON.stringify({ scanCode: scan, payType: 'UPAY' }) });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { order: { state: string } }).order.state).toBe('paid');
    expect((await post(sim, gBody(t))).json).toMatchObject({ respCode: '00', payType: 'UPAY' });

    const again = await fetch(`${sim.trainerUrl}/pay`, { method: 'POST', body: JSON.stringify({ sysTrace: t }) });
    expect(again.status).toBe(409);
    await again.text();
    const missing = await fetch(`${sim.trainerUrl}/pay`, { method: 'POST', body: JSON.stringify({ sysTrace: '123' }) });
    expect(missing.status).toBe(404);
    await missing.text();

    const got = await fetch(`${sim.trainerUrl}/orders/${t}`);
    expect(await got.json()).toMatchObject({ sysTrace: t, state: 'paid', amountFen: 1000, payType: 'UPAY' });
    const none = await fetch(`${sim.trainerUrl}/orders/000`);
    expect(none.status).toBe(404);
    await none.text();
  });

  it('refuses trainer bodies over 4 KiB and invalid scripts; accepts scripts and faults over HTTP', async () => {
    const sim = await start();
    const big = await fetch(`${sim.trainerUrl}/pay`, { method: 'POST', body: JSON.stringify({ scanCode: 'x'.repeat(5000) }) });
    expect(big.status).toBe(413);
    await big.text();
    const bad = await fetch(`${sim.trainerUrl}/script`, { method: 'POST', body: JSON.stringify({ script: { kind: 'pay_after_queries', queries: -1 } }) });
    expect(bad.status).toBe(400);
    await bad.text();
    const farUrl = await fetch(`${sim.trainerUrl}/script`, {
      method: 'POST',
      body: JSON.stringify({ script: { kind: 'manual' }, notify: { url: 'http://example.com/x' } }),
    });
    expect(farUrl.status).toBe(400);
    await farUrl.text();

    const ok = await fetch(`${sim.trainerUrl}/script`, { method: 'POST', body: JSON.stringify({ script: { kind: 'fail' } }) });
    expect(ok.status).toBe(200);
    await ok.text();
    const t = await create(sim);
    expect(await queryCodes(sim, t, 1)).toEqual(['77']);

    const fault = await fetch(`${sim.trainerUrl}/fault`, { method: 'POST', body: JSON.stringify({ tranType: 'G', fault: { kind: 'http_500' } }) });
    expect(fault.status).toBe(200);
    await fault.text();
    expect((await post(sim, gBody(t))).status).toBe(500);
  });
});
