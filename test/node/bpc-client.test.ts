import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../../src/shared/errors';
import { BpcClient, classifyResponse, formatAmount, parseBpcResponse, type BpcClientOptions, type BpcResult } from '../../src/core/gateways/bpc/client';
import { signBpcBody } from '../../src/core/gateways/bpc/sign';
import { startBpcSimulator, type BpcSimulator, type Fault } from '../../src/core/simulators/bpc/index';

const KEY = '01AC$@!BGT98aw#C';
const MID = '104320170118888';
const POS = '37381542';
const loose = { requireSignedResponses: false };
const strict = { requireSignedResponses: true };

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function simAndClient(opts: Partial<BpcClientOptions> = {}, script: 'pay0' | 'default' = 'pay0'): Promise<{ sim: BpcSimulator; client: BpcClient }> {
  const sim = await startBpcSimulator({ key: KEY, mid: MID, ...(script === 'pay0' ? { defaultScript: { kind: 'pay_after_queries', queries: 0 } } : {}) });
  cleanups.push(() => sim.close());
  const client = new BpcClient({
    merchant: { url: sim.url, mid: MID, posNo: POS, tellerNo: '001' },
    getKey: () => KEY,
    timeouts: { connectMs: 1000, responseMs: 2000 },
    ...opts,
  });
  cleanups.push(() => client.destroy());
  return { sim, client };
}

let seq = 0;
const tradeNo = (): string => `T${Date.now()}${(seq += 1)}`;

function traceOf(r: BpcResult): string {
  if (r.kind === 'transport_unknown' || r.response.sysTrace === undefined) throw new Error(`no trace in ${r.kind}`);
  return r.response.sysTrace;
}

describe('classifyResponse: respCode → outcome (seed §3.3)', () => {
  const body = (code: unknown): string => JSON.stringify({ mid: MID, sysTrace: '1', respCode: code, respMsg: 'm' });
  it.each([
    ['00', 'success'],
    ['77', 'failed'],
    ['88', 'waiting'],
    ['99', 'unknown'],
    ['12', 'rejected'],
    ['A0', 'rejected'],
    ['0', 'rejected'],
  ])('respCode %s → %s', (code, kind) => {
    const out = classifyResponse(200, body(code), undefined, KEY, loose);
    expect(out.kind).toBe(kind);
    if (out.kind !== 'transport_unknown') expect(out.response.respCode).toBe(code);
  });

  it('a numeric respCode is read as its digits', () => {
    expect(classifyResponse(200, body(77), undefined, KEY, loose).kind).toBe('failed');
    expect(classifyResponse(200, body(99), undefined, KEY, loose).kind).toBe('unknown');
    // 0 is not "00": a number loses the leading zero, so it must not count as success.
    expect(classifyResponse(200, body(0), undefined, KEY, loose).kind).toBe('rejected');
  });

  it('HTTP errors, non-JSON, JSON arrays and a missing respCode are transport_unknown', () => {
    const http500 = classifyResponse(500, body('00'), undefined, KEY, loose);
    expect(http500).toMatchObject({ kind: 'transport_unknown', reason: 'http_status', httpStatus: 500 });
    expect(classifyResponse(302, body('00'), undefined, KEY, loose)).toMatchObject({ kind: 'transport_unknown', reason: 'http_status' });
    expect(classifyResponse(200, '<html>502 Bad Gateway</html>', undefined, KEY, loose)).toMatchObject({ kind: 'transport_unknown', reason: 'not_json' });
    expect(classifyResponse(200, '{"respCode":"00"', undefined, KEY, loose)).toMatchObject({ kind: 'transport_unknown', reason: 'not_json' });
    expect(classifyResponse(200, '[{"respCode":"00"}]', undefined, KEY, loose)).toMatchObject({ kind: 'transport_unknown', reason: 'not_json' });
    expect(classifyResponse(200, 'null', undefined, KEY, loose)).toMatchObject({ kind: 'transport_unknown', reason: 'not_json' });
    expect(classifyResponse(200, '"00"', undefined, KEY, loose)).toMatchObject({ kind: 'transport_unknown', reason: 'not_json' });
    expect(classifyResponse(200, '{"mid":"1","respMsg":"x"}', undefined, KEY, loose)).toMatchObject({ kind: 'transport_unknown', reason: 'missing_resp_code' });
    expect(classifyResponse(200, '{"respCode":""}', undefined, KEY, loose)).toMatchObject({ kind: 'transport_unknown', reason: 'missing_resp_code' });
    expect(classifyResponse(200, '{"respCode":null}', undefined, KEY, loose)).toMatchObject({ kind: 'transport_unknown', reason: 'missing_resp_code' });
    // The raw text is kept for the event log whatever went wrong.
    expect(classifyResponse(200, 'garbage', undefined, KEY, loose)).toMatchObject({ raw: 'garbage' });
  });

  it('a signed answer is verified over its exact text', () => {
    const text = body('00');
    expect(classifyResponse(200, text, signBpcBody(text, KEY), KEY, strict).kind).toBe('success');
    expect(classifyResponse(200, text, signBpcBody(text, KEY).toUpperCase(), KEY, loose).kind).toBe('success');
    expect(classifyResponse(200, text, signBpcBody(text, 'wrong'), KEY, loose)).toMatchObject({ kind: 'transport_unknown', reason: 'bad_signature' });
    expect(classifyResponse(200, `${text} `, signBpcBody(text, KEY), KEY, loose)).toMatchObject({ kind: 'transport_unknown', reason: 'bad_signature' });
  });

  it('an unsigned answer is refused only when signed answers are required', () => {
    const text = body('00');
    expect(classifyResponse(200, text, undefined, KEY, loose).kind).toBe('success');
    expect(classifyResponse(200, text, undefined, KEY, strict)).toMatchObject({ kind: 'transport_unknown', reason: 'bad_signature' });
    expect(classifyResponse(200, text, '', KEY, strict)).toMatchObject({ kind: 'transport_unknown', reason: 'bad_signature' });
  });
});

describe('parseBpcResponse', () => {
  it('reads the known fields and keeps every other field in extra', () => {
    const parsed = parseBpcResponse(
      JSON.stringify({
        mid: MID,
        sysTrace: 'S1',
        orgSysTrace: 'O1',
        scanCode: 'https://qr',
        respCode: '00',
        respMsg: '交易成功',
        payType: 'WEIX',
        nested: { a: 1 },
        n: 5,
      }),
    );
    expect(parsed).toEqual({
      respCode: '00',
      respMsg: '交易成功',
      mid: MID,
      sysTrace: 'S1',
      orgSysTrace: 'O1',
      scanCode: 'https://qr',
      extra: { payType: 'WEIX', nested: { a: 1 }, n: 5 },
    });
  });

  it('tolerates a missing respMsg and numeric fields', () => {
    expect(parseBpcResponse('{"respCode":77,"sysTrace":123}')).toEqual({ respCode: '77', respMsg: '', sysTrace: '123', extra: {} });
  });

  it('names what is wrong', () => {
    expect(parseBpcResponse('nope')).toBe('not_json');
    expect(parseBpcResponse('[]')).toBe('not_json');
    expect(parseBpcResponse('{}')).toBe('missing_resp_code');
    expect(parseBpcResponse('{"respCode":true}')).toBe('missing_resp_code');
  });
});

describe('amount formats', () => {
  it('formatAmount pads to 12 digits or not', () => {
    expect(formatAmount(1, 'padded12')).toBe('000000000001');
    expect(formatAmount(12850, 'padded12')).toBe('000000012850');
    expect(formatAmount(999_999_999_999, 'padded12')).toBe('999999999999');
    expect(formatAmount(12850, 'plain')).toBe('12850');
  });

  it('by default F sends 12 padded digits and R sends plain digits (as received by the bank)', async () => {
    const { sim, client } = await simAndClient();
    const f = await client.createQr({ tradeNo: tradeNo(), amountFen: 12850 });
    const trace = traceOf(f);
    await client.queryPayment(trace);
    await client.refund({ tradeNo: tradeNo(), orgSysTrace: trace, amountFen: 150 });
    const [fReq, , rReq] = sim.requests();
    expect(fReq?.rawBody).toContain('"txnAmt":"000000012850"');
    expect(rReq?.rawBody).toContain('"txnAmt":"150"');
    expect(sim.order(trace)?.refundedFen).toBe(150);
  });

  it('the bank profile switches both formats', async () => {
    const { sim, client } = await simAndClient({ profile: { createAmountFormat: 'plain', refundAmountFormat: 'padded12' } });
    const trace = traceOf(await client.createQr({ tradeNo: tradeNo(), amountFen: 12850 }));
    await client.queryPayment(trace);
    await client.refund({ tradeNo: tradeNo(), orgSysTrace: trace, amountFen: 150 });
    const [fReq, , rReq] = sim.requests();
    expect(fReq?.rawBody).toContain('"txnAmt":"12850"');
    expect(rReq?.rawBody).toContain('"txnAmt":"000000000150"');
    expect(sim.order(trace)?.amountFen).toBe(12850);
  });

  it('refuses a bad amount before anything is sent', async () => {
    const { sim, client } = await simAndClient();
    expect(() => client.createQr({ tradeNo: tradeNo(), amountFen: 0 })).toThrow(AppError);
    expect(() => client.createQr({ tradeNo: tradeNo(), amountFen: 1.5 })).toThrow(/positive whole number/);
    expect(() => client.createQr({ tradeNo: tradeNo(), amountFen: 1_000_000_000_000 })).toThrow(/exceeds/);
    expect(() => client.refund({ tradeNo: tradeNo(), orgSysTrace: 'x', amountFen: -1 })).toThrow(AppError);
    expect(sim.requests()).toHaveLength(0);
  });
});

describe('request bodies', () => {
  it('F/G/R/J/S carry the seed fields, optional ones only when given', async () => {
    const { sim, client } = await simAndClient({ profile: { sendOrgTxnTime: true } });
    const trace = traceOf(
      await client.createQr({
        tradeNo: 'P1',
        amountFen: 1,
        merOrderNo: 'M-1',
        payType: 'WEIX',
        qrValidTime: '120',
        retUrl: 'http://127.0.0.1:9/n',
        tellerNo: '007',
      }),
    );
    await client.queryPayment(trace);
    const r = await client.refund({ tradeNo: 'R1', orgSysTrace: trace, amountFen: 1, orgTxnTime: '2019-08-07 10:39:11' });
    await client.queryRefund(traceOf(r));
    await client.closeOrder(trace);
    const bodies = sim.requests().map((q) => q.body);
    expect(bodies[0]).toEqual({
      tranType: 'F',
      posNo: POS,
      mid: MID,
      txnAmt: '000000000001',
      tradeNo: 'P1',
      qrValidTime: '120',
      payType: 'WEIX',
      tellerNo: '007',
      merOrderNo: 'M-1',
      retUrl: 'http://127.0.0.1:9/n',
    });
    expect(bodies[1]).toEqual({ tranType: 'G', posNo: POS, mid: MID, orgSysTrace: trace, tellerNo: '001' });
    expect(bodies[2]).toEqual({
      tranType: 'R',
      posNo: POS,
      mid: MID,
      txnAmt: '1',
      orgSysTrace: trace,
      tradeNo: 'R1',
      tellerNo: '001',
      orgTxnTime: '2019-08-07 10:39:11',
    });
    expect(bodies[3]).toEqual({ tranType: 'J', posNo: POS, mid: MID, orgSysTrace: traceOf(r), tellerNo: '001' });
    expect(bodies[4]).toEqual({ tranType: 'S', posNo: POS, mid: MID, orgSysTrace: trace, tellerNo: '001' });
  });

  it('omits merOrderNo/retUrl/orgTxnTime when not given or not enabled', async () => {
    const { sim, client } = await simAndClient();
    const trace = traceOf(await client.createQr({ tradeNo: 'P2', amountFen: 1 }));
    await client.queryPayment(trace);
    await client.refund({ tradeNo: 'R2', orgSysTrace: trace, amountFen: 1, orgTxnTime: '2019-08-07 10:39:11' });
    const bodies = sim.requests().map((q) => q.body);
    expect(bodies[0]).toEqual({ tranType: 'F', posNo: POS, mid: MID, txnAmt: '000000000001', tradeNo: 'P2', qrValidTime: '', payType: '', tellerNo: '001' });
    expect(bodies[2]).not.toHaveProperty('orgTxnTime');
  });

  it('closeOrder is refused locally when the profile disables S, and a trace is required', async () => {
    const { sim, client } = await simAndClient({ profile: { closeEnabled: false } });
    expect(() => client.closeOrder('123')).toThrow(expect.objectContaining({ code: 'NOT_CONFIGURED' }) as Error);
    expect(() => client.queryPayment('')).toThrow(expect.objectContaining({ code: 'BAD_INPUT' }) as Error);
    expect(sim.requests()).toHaveLength(0);
  });

  it('refuses a non-http URL at construction', () => {
    const make = (url: string): BpcClient => new BpcClient({ merchant: { url, mid: MID, posNo: POS, tellerNo: '1' }, getKey: () => KEY });
    expect(() => make('ftp://x/y')).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }) as Error);
    expect(() => make('not a url')).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }) as Error);
  });
});

describe('client over loopback against the simulator', () => {
  it('a normal round trip records the exchange with the raw answer', async () => {
    const { client } = await simAndClient();
    const f = await client.createQr({ tradeNo: tradeNo(), amountFen: 100 });
    expect(f.kind).toBe('success');
    expect(f.exchange.op).toBe('F');
    expect(f.exchange.httpStatus).toBe(200);
    expect(f.exchange.outcome).toBe('success');
    expect(JSON.parse(f.exchange.responseText ?? '')).toMatchObject({ respCode: '00', sysTrace: traceOf(f) });
    expect(f.kind === 'success' ? f.response.scanCode : '').toMatch(/^https?:\/\//);
  });

  const cases: [string, Fault, Record<string, unknown>][] = [
    ['reset', { kind: 'reset' }, { reason: 'reset' }],
    ['html', { kind: 'html' }, { reason: 'not_json', httpStatus: 200 }],
    ['garbage', { kind: 'garbage' }, { reason: 'not_json', httpStatus: 200 }],
    ['missing_resp_code', { kind: 'missing_resp_code' }, { reason: 'missing_resp_code' }],
    ['http_500', { kind: 'http_500' }, { reason: 'http_status', httpStatus: 500 }],
    ['bad_sign', { kind: 'bad_sign' }, { reason: 'bad_signature' }],
  ];
  it.each(cases)('fault %s on G → transport_unknown', async (_name, fault, expected) => {
    const { sim, client } = await simAndClient({}, 'default');
    const trace = traceOf(await client.createQr({ tradeNo: tradeNo(), amountFen: 100 }));
    sim.injectFault('G', fault);
    const g = await client.queryPayment(trace);
    expect(g).toMatchObject({ kind: 'transport_unknown', ...expected });
    expect(g.exchange.outcome).toBe('transport_unknown');
    // The connection and the client survive: the next query gets through.
    const again = await client.queryPayment(trace);
    expect(['waiting', 'success']).toContain(again.kind);
  });

  it('a delay longer than responseMs → transport_unknown timeout (and the bank still processed it)', async () => {
    // undici runs its header timeout on a coarse (~1 s) timer wheel, so the delay must clearly exceed that.
    const { sim, client } = await simAndClient({ timeouts: { connectMs: 1000, responseMs: 200 } });
    sim.injectFault('F', { kind: 'delay', ms: 2500 });
    const f = await client.createQr({ tradeNo: 'P-late', amountFen: 100 });
    expect(f).toMatchObject({ kind: 'transport_unknown', reason: 'timeout' });
    expect(f.kind === 'transport_unknown' ? f.detail : '').toMatch(/TIMEOUT/);
    // "unknown outcome": the order does exist at the bank once the delay is over.
    await expect.poll(() => sim.orders().filter((o) => o.tradeNo === 'P-late').length, { timeout: 5000 }).toBe(1);
  });

  it('a delay shorter than responseMs is just slow', async () => {
    const { sim, client } = await simAndClient({ timeouts: { connectMs: 1000, responseMs: 2000 } });
    sim.injectFault('F', { kind: 'delay', ms: 50 });
    expect((await client.createQr({ tradeNo: tradeNo(), amountFen: 100 })).kind).toBe('success');
  });

  it('a closed port → transport_unknown connect', async () => {
    const server = http.createServer();
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((ok) => server.close(() => ok()));
    const client = new BpcClient({ merchant: { url: `http://127.0.0.1:${port}/pay`, mid: MID, posNo: POS, tellerNo: '1' }, getKey: () => KEY });
    cleanups.push(() => client.destroy());
    const f = await client.createQr({ tradeNo: tradeNo(), amountFen: 100 });
    expect(f).toMatchObject({ kind: 'transport_unknown', reason: 'connect', raw: null });
    expect(f.exchange.httpStatus).toBeNull();
    expect(f.exchange.responseText).toBeNull();
  });

  it('requireSignedResponses refuses an unsigned simulator answer', async () => {
    const sim = await startBpcSimulator({ key: KEY, mid: MID, signResponses: false });
    cleanups.push(() => sim.close());
    const make = (requireSignedResponses: boolean): BpcClient => {
      const c = new BpcClient({ merchant: { url: sim.url, mid: MID, posNo: POS, tellerNo: '1' }, getKey: () => KEY, profile: { requireSignedResponses } });
      cleanups.push(() => c.destroy());
      return c;
    };
    expect((await make(false).createQr({ tradeNo: tradeNo(), amountFen: 1 })).kind).toBe('success');
    expect(await make(true).createQr({ tradeNo: tradeNo(), amountFen: 1 })).toMatchObject({ kind: 'transport_unknown', reason: 'bad_signature' });
  });

  it('an answer larger than 256 KiB is not trusted', async () => {
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ respCode: '00', pad: 'x'.repeat(300 * 1024) }));
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
    cleanups.push(() => new Promise<void>((ok) => server.close(() => ok())));
    const client = new BpcClient({
      merchant: { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, mid: MID, posNo: POS, tellerNo: '1' },
      getKey: () => KEY,
    });
    cleanups.push(() => client.destroy());
    expect((await client.queryPayment('123')).kind).toBe('transport_unknown');
  });

  it('reuses a kept-alive connection for consecutive requests', async () => {
    const sockets = new Set<Socket>();
    const perSocket = new Map<Socket, number>();
    let requests = 0;
    const server = http.createServer((req, res) => {
      requests += 1;
      perSocket.set(req.socket, (perSocket.get(req.socket) ?? 0) + 1);
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ mid: MID, sysTrace: String(requests), orgSysTrace: '123', respCode: '88', respMsg: '等待' }));
      });
    });
    server.on('connection', (s: Socket) => sockets.add(s));
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
    cleanups.push(
      () =>
        new Promise<void>((ok) => {
          server.closeAllConnections();
          server.close(() => ok());
        }),
    );
    const client = new BpcClient({
      merchant: { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, mid: MID, posNo: POS, tellerNo: '1' },
      getKey: () => KEY,
    });
    cleanups.push(() => client.destroy());
    for (let i = 0; i < 5; i += 1) expect((await client.queryPayment('123')).kind).toBe('waiting');
    expect(requests).toBe(5);
    // undici may open a second socket while the first is being released, but it reuses them.
    expect(sockets.size).toBeLessThan(requests);
    expect(Math.max(...perSocket.values())).toBeGreaterThanOrEqual(2);
  });
});
