import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BpcClient } from '../../src/core/gateways/bpc/client';
import { signBpcBody, verifyBpcSign } from '../../src/core/gateways/bpc/sign';
import { startBpcSimulator, type BpcSimulator } from '../../src/core/simulators/bpc/index';

/** Seed §2.2, byte for byte. */
const SEED_BODY = '{"qrValidTime":"","tradeNo":"100040","payType":"0001","posNo":"37381542","tranType":"F","tellerNo":"001","txnAmt":"000000000001"}';
const SEED_KEY = '01AC$@!BGT98aw#C';
const SEED_SIGN = '093c5609bc3d67219b2cf993c77e6d66';
const MID = '104320170118888';

const md5 = (bytes: Buffer): string => createHash('md5').update(bytes).digest('hex');

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('signBpcBody (seed §2.2)', () => {
  it('reproduces the seed vector byte for byte', () => {
    expect(signBpcBody(SEED_BODY, SEED_KEY)).toBe(SEED_SIGN);
    // The rule itself: MD5 over "<body>&<key>" as UTF-8, lowercase hex.
    expect(md5(Buffer.from(`${SEED_BODY}&${SEED_KEY}`, 'utf8'))).toBe(SEED_SIGN);
  });

  it('changes when one byte of the body or the key changes', () => {
    expect(signBpcBody(SEED_BODY.replace('000000000001', '000000000002'), SEED_KEY)).not.toBe(SEED_SIGN);
    expect(signBpcBody(SEED_BODY, '01AC$@!BGT98aw#D')).not.toBe(SEED_SIGN);
    // Whitespace counts: a re-serialised body is a different message.
    expect(signBpcBody(SEED_BODY.replace('{"qrValidTime"', '{ "qrValidTime"'), SEED_KEY)).not.toBe(SEED_SIGN);
  });

  it('signs UTF-8 bytes (Chinese text)', () => {
    const body = '{"respMsg":"交易成功"}';
    expect(signBpcBody(body, SEED_KEY)).toBe(md5(Buffer.from(`${body}&${SEED_KEY}`, 'utf8')));
    expect(signBpcBody(body, SEED_KEY)).not.toBe(md5(Buffer.from(`${body}&${SEED_KEY}`, 'latin1')));
  });
});

describe('verifyBpcSign', () => {
  it('accepts the right sign in lower and upper case hex', () => {
    expect(verifyBpcSign(SEED_BODY, SEED_KEY, SEED_SIGN)).toBe(true);
    expect(verifyBpcSign(SEED_BODY, SEED_KEY, SEED_SIGN.toUpperCase())).toBe(true);
  });

  it('rejects a wrong, short, long, non-hex or missing sign', () => {
    expect(verifyBpcSign(SEED_BODY, SEED_KEY, SEED_SIGN.replace(/^0/, '1'))).toBe(false);
    expect(verifyBpcSign(SEED_BODY, 'another key', SEED_SIGN)).toBe(false);
    expect(verifyBpcSign(`${SEED_BODY} `, SEED_KEY, SEED_SIGN)).toBe(false);
    expect(verifyBpcSign(SEED_BODY, SEED_KEY, SEED_SIGN.slice(0, 31))).toBe(false);
    expect(verifyBpcSign(SEED_BODY, SEED_KEY, `${SEED_SIGN}0`)).toBe(false);
    expect(verifyBpcSign(SEED_BODY, SEED_KEY, `${SEED_SIGN.slice(0, 31)}g`)).toBe(false);
    expect(verifyBpcSign(SEED_BODY, SEED_KEY, '')).toBe(false);
    expect(verifyBpcSign(SEED_BODY, SEED_KEY, undefined)).toBe(false);
    expect(verifyBpcSign(SEED_BODY, SEED_KEY, null)).toBe(false);
  });
});

describe('the client signs the exact bytes it sends', () => {
  it('sign header = MD5(received bytes & key), seen by a plain local server', async () => {
    const seen: { sign: string | undefined; bytes: Buffer; contentType: string | undefined }[] = [];
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const sign = req.headers.sign;
        seen.push({ sign: typeof sign === 'string' ? sign : undefined, bytes: Buffer.concat(chunks), contentType: req.headers['content-type'] });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ mid: MID, sysTrace: '1', scanCode: 'https://qr.example/x', respCode: '00', respMsg: '交易成功' }));
      });
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
    cleanups.push(() => new Promise<void>((ok) => server.close(() => ok())));
    const client = new BpcClient({
      merchant: { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/pay`, mid: MID, posNo: '37381542', tellerNo: '001' },
      getKey: () => SEED_KEY,
    });
    cleanups.push(() => client.destroy());

    const result = await client.createQr({ tradeNo: '100040', amountFen: 1, merOrderNo: '订单-001', payType: 'ZFBA' });
    expect(result.kind).toBe('success');
    const got = seen[0];
    expect(got).toBeDefined();
    if (got === undefined) return;
    expect(got.sign).toBe(md5(Buffer.concat([got.bytes, Buffer.from(`&${SEED_KEY}`, 'utf8')])));
    expect(got.contentType).toBe('application/json; charset=UTF-8');
    // The recorded request text is the very text that went on the wire, and it carries no key.
    expect(Buffer.from(result.exchange.requestText, 'utf8').equals(got.bytes)).toBe(true);
    expect(result.exchange.requestText).not.toContain(SEED_KEY);
    expect(JSON.parse(got.bytes.toString('utf8'))).toMatchObject({ tranType: 'F', merOrderNo: '订单-001', txnAmt: '000000000001' });
  });

  it('the simulator verifies every request the client sends (F, G, R, J, S)', async () => {
    const sim: BpcSimulator = await startBpcSimulator({ key: SEED_KEY, mid: MID, defaultScript: { kind: 'pay_after_queries', queries: 0 } });
    cleanups.push(() => sim.close());
    const client = new BpcClient({ merchant: { url: sim.url, mid: MID, posNo: '37381542', tellerNo: '001' }, getKey: () => SEED_KEY });
    cleanups.push(() => client.destroy());
    const f = await client.createQr({ tradeNo: 'T-sign-1', amountFen: 1234 });
    expect(f.kind).toBe('success');
    const trace = f.kind === 'success' ? (f.response.sysTrace ?? '') : '';
    expect((await client.queryPayment(trace)).kind).toBe('success');
    const r = await client.refund({ tradeNo: 'R-sign-1', orgSysTrace: trace, amountFen: 100 });
    expect(r.kind).toBe('success');
    expect((await client.queryRefund(r.kind === 'success' ? (r.response.sysTrace ?? '') : '')).kind).toBe('success');
    await client.closeOrder(trace);
    const reqs = sim.requests();
    expect(reqs.map((q) => q.tranType)).toEqual(['F', 'G', 'R', 'J', 'S']);
    for (const q of reqs) {
      expect(q.signOk).toBe(true);
      expect(q.rawBody).not.toContain(SEED_KEY);
    }
  });

  it('a client with the wrong key is refused by the simulator (A0)', async () => {
    const sim = await startBpcSimulator({ key: SEED_KEY, mid: MID });
    cleanups.push(() => sim.close());
    const client = new BpcClient({ merchant: { url: sim.url, mid: MID, posNo: '37381542', tellerNo: '001' }, getKey: () => 'not the key' });
    cleanups.push(() => client.destroy());
    const f = await client.createQr({ tradeNo: 'T-sign-2', amountFen: 1 });
    // The simulator signs its answer with the real key, so our client cannot verify it either.
    expect(f.kind).toBe('transport_unknown');
    expect(f.kind === 'transport_unknown' ? f.reason : '').toBe('bad_signature');
    expect(sim.requests()[0]?.signOk).toBe(false);
    expect(sim.requests()[0]?.answeredCode).toBe('A0');
  });
});
