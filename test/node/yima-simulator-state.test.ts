import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { YimaClient } from '../../src/core/gateways/yima/index';
import { startYimaSimulator, type YimaSimulator } from '../../src/core/simulators/yima/index';
import { SEED_MERCHANT } from '../support/yima-seed';
import { tempDir } from '../support/temp';

/**
 * The Yima training simulator as the chaos run uses it: its orders and every pos_seq it saw survive a
 * restart (its state file), a trainer can decline a waiting order, and a rig hears each request when it
 * arrives and once it is processed.
 */
const KEY = 'Yk9#key&01';
let counter = 0;
const seq = (): string => `${Date.now()}${String((counter += 1)).padStart(5, '0')}`;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function sim(stateFile: string, port = 0, onRequest?: (type: string, phase: string) => void): Promise<YimaSimulator> {
  return startYimaSimulator({
    isspid: SEED_MERCHANT.isspid,
    key: KEY,
    signRule: 'sorted_kv_key',
    port,
    stateFile,
    defaultScript: { kind: 'manual' },
    ...(onRequest === undefined ? {} : { onRequest: (e: { requestType: string }, phase: string) => onRequest(e.requestType, phase) }),
  });
}

function client(url: string): YimaClient {
  const c = new YimaClient({
    merchant: { ...SEED_MERCHANT, url },
    profile: { format: 'json', xmlTransport: 'raw', signRule: 'sorted_kv_key' },
    timeouts: { connectMs: 1000, responseMs: 2000 },
    getKey: () => KEY,
  });
  cleanups.push(() => c.destroy());
  return c;
}

describe('Yima simulator state file, decline and request hook', () => {
  it('a restarted simulator still has its orders and refuses a pos_seq it saw before', async () => {
    const data = tempDir('yima-state-');
    cleanups.push(() => data.cleanup());
    const file = join(data.dir, 'yima-state.json');
    const seen: string[] = [];
    const first = await sim(file, 0, (type, phase) => seen.push(`${type}:${phase}`));
    const c = client(first.url);
    const order = seq();
    expect((await c.createOrder({ posSeq: order, amountFen: 1234 })).kind).toBe('pushed');
    expect(seen).toEqual(['bcm_ordercreate_request:received', 'bcm_ordercreate_request:processed']);
    expect(first.pay(order)).toBe(true);
    const port = first.port;
    await first.close();
    expect(existsSync(file)).toBe(true);

    const second = await sim(file, port);
    cleanups.push(() => second.close());
    expect(second.order(order)).toMatchObject({ state: 'paid', amountFen: 1234 });
    const c2 = client(second.url);
    expect((await c2.queryResult({ posSeq: seq(), orgPosSeq: order, amountFen: 1234 })).kind).toBe('paid');
    // The create's pos_seq was used before the restart: refused (4002), never a second order.
    const again = await c2.createOrder({ posSeq: order, amountFen: 1234 });
    expect(again.kind).not.toBe('pushed');
    expect(second.requests().at(-1)?.answeredId).toBe('4002');
  });

  it('decline: a waiting order is declined on the card POS and the result query says so; a final order cannot be declined', async () => {
    const data = tempDir('yima-decline-');
    cleanups.push(() => data.cleanup());
    const s = await sim(join(data.dir, 'state.json'));
    cleanups.push(() => s.close());
    const c = client(s.url);
    const order = seq();
    await c.createOrder({ posSeq: order, amountFen: 500 });
    expect(s.decline(order)).toBe(true);
    expect(s.decline(order)).toBe(false);
    expect(s.pay(order)).toBe(false);
    expect((await c.queryResult({ posSeq: seq(), orgPosSeq: order, amountFen: 500 })).kind).toBe('failed');
    expect(s.decline('no-such-order')).toBe(false);
  });
});
