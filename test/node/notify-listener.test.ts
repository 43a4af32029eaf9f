import { afterEach, describe, expect, it } from 'vitest';
import { signBpcBody } from '../../src/core/gateways/bpc/sign';
import type { BpcNotification } from '../../src/core/gateways/bpc/wire';
import { parseNotification, startNotifyListener, type NotifyListener } from '../../src/core/gateways/bpc/notify-listener';
import { startBpcSimulator } from '../../src/core/simulators/bpc/index';
import { silentLogger } from '../../src/core/util/logger';

const KEY = '01AC$@!BGT98aw#C';
const MID = '104320170118888';
/** Seed §3.2.5 sample notification, verbatim. */
const SEED_NOTIFICATION =
  '{ "orgSysTrace": "230111120190917125659009304", "qrValidTime": "00000600", "bankDate": "20190917", "bankTime": "125350", "qrOrderNo": "230111120190917125659009304", "limitCount": "1", "payTypeMap": "111000000", "oldQrOrderNo": "230111120190917125659009304", "oldTermId": "23011111", "oldPayType": "WEIX", "oldBankDate": "20190917", "oldBankTime": "125350", "oldRespCode": "000000", "oldRespMsg": "交易成功", "oldTradeNo": "", "oldTradeId": "4200000395201909177323430256" }';
const OK = { respCode: '00', respMsg: '成功' };

interface Got {
  n: BpcNotification;
  raw: string;
}

const listeners: NotifyListener[] = [];
afterEach(async () => {
  await Promise.all(listeners.splice(0).map((l) => l.close()));
});

async function listen(requireSigned: boolean, onNotification?: (n: BpcNotification) => void): Promise<{ url: string; got: Got[]; l: NotifyListener }> {
  const got: Got[] = [];
  const l = await startNotifyListener({
    host: '127.0.0.1',
    port: 0,
    getKey: () => KEY,
    requireSigned,
    onNotification: (n, raw) => {
      got.push({ n, raw });
      onNotification?.(n);
    },
    logger: silentLogger,
  });
  listeners.push(l);
  return { url: `http://127.0.0.1:${l.port}/notify`, got, l };
}

async function post(url: string, text: string | Buffer, sign?: string | null, method = 'POST'): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=UTF-8' };
  if (typeof sign === 'string') headers.sign = sign;
  const res = await fetch(url, { method, headers, ...(method === 'GET' ? {} : { body: text }) });
  return { status: res.status, text: await res.text() };
}

describe('notification listener (seed §3.2.5)', () => {
  it('accepts a valid signed notification, answers 00 成功 and passes the parsed fields on', async () => {
    const { url, got } = await listen(true);
    const res = await post(url, SEED_NOTIFICATION, signBpcBody(SEED_NOTIFICATION, KEY));
    expect(res.status).toBe(200);
    expect(res.text).toBe('{"respCode":"00","respMsg":"成功"}');
    expect(got).toHaveLength(1);
    expect(got[0]?.raw).toBe(SEED_NOTIFICATION);
    expect(got[0]?.n).toMatchObject({
      orgSysTrace: '230111120190917125659009304',
      oldQrOrderNo: '230111120190917125659009304',
      oldPayType: 'WEIX',
      oldRespCode: '000000',
      oldRespMsg: '交易成功',
    });
    expect(got[0]?.n.extra).toMatchObject({ qrValidTime: '00000600', oldTradeId: '4200000395201909177323430256', limitCount: '1' });
  });

  it('refuses a forged sign (A0) without calling back', async () => {
    const { url, got } = await listen(false);
    const res = await post(url, SEED_NOTIFICATION, signBpcBody(SEED_NOTIFICATION, 'forged'));
    expect(JSON.parse(res.text)).toMatchObject({ respCode: 'A0' });
    expect(got).toHaveLength(0);
  });

  it('refuses an unsigned notification when signatures are required, accepts it when not', async () => {
    const strict = await listen(true);
    const res = await post(strict.url, SEED_NOTIFICATION, null);
    expect(JSON.parse(res.text)).toMatchObject({ respCode: 'A0' });
    expect(strict.got).toHaveLength(0);

    const loose = await listen(false);
    const ok = await post(loose.url, SEED_NOTIFICATION, null);
    expect(JSON.parse(ok.text)).toEqual(OK);
    expect(loose.got).toHaveLength(1);
  });

  it('garbage → 400, oversized → 413, GET → 405, none calls back, and the server keeps running', async () => {
    const { url, got } = await listen(false);
    const garbage = await post(url, '{"orgSysTrace": "1"', null);
    expect(garbage.status).toBe(400);
    const array = await post(url, '["x"]', null);
    expect(array.status).toBe(400);
    const signedGarbage = await post(url, 'not json', signBpcBody('not json', KEY));
    expect(signedGarbage.status).toBe(400);
    const big = JSON.stringify({ orgSysTrace: '1', pad: 'x'.repeat(17 * 1024) });
    const oversized = await post(url, big, signBpcBody(big, KEY));
    expect(oversized.status).toBe(413);
    const get = await post(url, '', null, 'GET');
    expect(get.status).toBe(405);
    expect(got).toHaveLength(0);

    const after = await post(url, SEED_NOTIFICATION, signBpcBody(SEED_NOTIFICATION, KEY));
    expect(JSON.parse(after.text)).toEqual(OK);
    expect(got).toHaveLength(1);
  });

  it('a body just under 16 KiB is still accepted', async () => {
    const { url, got } = await listen(true);
    const base = JSON.stringify({ orgSysTrace: '230111120190917125659009304', pad: '' });
    const text = JSON.stringify({ orgSysTrace: '230111120190917125659009304', pad: 'x'.repeat(16 * 1024 - base.length) });
    expect(Buffer.byteLength(text)).toBe(16 * 1024);
    expect((await post(url, text, signBpcBody(text, KEY))).status).toBe(200);
    expect(got).toHaveLength(1);
  });

  it('a handler that throws does not take the listener down', async () => {
    const { url, got } = await listen(true, () => {
      throw new Error('boom');
    });
    const sign = signBpcBody(SEED_NOTIFICATION, KEY);
    expect((await post(url, SEED_NOTIFICATION, sign)).status).toBe(200);
    expect((await post(url, SEED_NOTIFICATION, sign)).status).toBe(200);
    expect(got).toHaveLength(2);
  });

  it('receives the simulator’s signed notification, duplicates included; forged ones are refused', async () => {
    const { url, got } = await listen(true);
    const sim = await startBpcSimulator({ key: KEY, mid: MID, defaultScript: { kind: 'manual' } });
    try {
      const text = JSON.stringify({ tranType: 'F', posNo: '1', mid: MID, txnAmt: '000000000100', tradeNo: 'N1', qrValidTime: '', payType: '', tellerNo: '1' });
      const f = (await (await fetch(sim.url, { method: 'POST', headers: { sign: signBpcBody(text, KEY) }, body: text })).json()) as { sysTrace: string };
      expect(sim.pay(f.sysTrace, 'ZFBA')).toBe(true);
      const results = await sim.notify(f.sysTrace, { url, count: 2 });
      expect(results.map((r) => r.ok)).toEqual([true, true]);
      expect(got.map((g) => g.n.orgSysTrace)).toEqual([f.sysTrace, f.sysTrace]);
      expect(got[0]?.n.oldPayType).toBe('ZFBA');
      const forged = await sim.notify(f.sysTrace, { url, forged: true });
      expect(forged[0]?.ok).toBe(false);
      expect(got).toHaveLength(2);
    } finally {
      await sim.close();
    }
  });
});

describe('parseNotification', () => {
  it('keeps only string values in the known fields, everything else in extra', () => {
    expect(parseNotification('{"orgSysTrace":123,"respCode":"00","x":[1]}')).toEqual({ respCode: '00', extra: { orgSysTrace: 123, x: [1] } });
    expect(parseNotification('null')).toBeNull();
    expect(parseNotification('[]')).toBeNull();
    expect(parseNotification('')).toBeNull();
  });
});
