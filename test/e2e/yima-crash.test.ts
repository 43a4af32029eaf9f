import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startYimaSimulator, type YimaSimulator } from '../../src/core/simulators/yima';
import { crashRig } from '../support/crash-rig';
import type { Headless } from '../support/headless';

const YIMA_KEY = 'yima-crash-key-0123456789';
const ISSPID = '39493002';

/**
 * Issue 11: pos_seq uniqueness across restarts and SIGKILLs of the headless core (live mode, a Yima
 * simulator on loopback as the platform). A Yima card sale is killed right after its push was answered
 * (before the answer was written), then killed three more times while its result queries run; after
 * each restart it is queried again, never pushed again, and every pos_seq the simulator ever received —
 * the push, each query, the next sale's push — is distinct (the simulator's own request log).
 */
describe('Yima pos_seq across SIGKILL', () => {
  const rig = crashRig({
    key: 'crash-test-key-0123456789',
    tempPrefix: 'yima-crash-',
    polling: { firstQueryMs: 50, fastIntervalMs: 500, slowIntervalMs: 500, backoffStartMs: 500, backoffMaxMs: 1000 },
  });
  let yima: YimaSimulator;

  beforeEach(async () => {
    yima = await startYimaSimulator({ isspid: ISSPID, key: YIMA_KEY, signRule: 'sorted_kv_key', defaultScript: { kind: 'manual' } });
    const file = join(rig.dir, 'provisioning.json');
    const config = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    config.yima = {
      url: yima.url,
      isspid: ISSPID,
      systemId: '8888',
      storeId: '1511300001',
      posId: '1511300001',
      terminalId: '0001045907',
      key: YIMA_KEY,
      requireSignedResponses: true,
      cardRoute: 'yima',
    };
    writeFileSync(file, JSON.stringify(config));
  });
  afterEach(async () => {
    await yima.close();
  });

  const creates = (posSeq?: string): number =>
    yima.requests().filter((r) => r.requestType === 'bcm_ordercreate_request' && (posSeq === undefined || r.posSeq === posSeq)).length;
  const queries = (): number => yima.countRequests('bcm_resultquery_request');
  async function until(what: string, done: () => boolean, ms = 30_000): Promise<void> {
    const end = Date.now() + ms;
    while (!done()) {
      if (Date.now() > end) throw new Error(`timed out: ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  async function ready(h: Headless): Promise<void> {
    const line = await h.next((l) => l.ready === true, 60_000);
    expect(line.info.mode, `${line.info.modeReason} ${line.info.configError}`).toBe('live');
  }

  it('killed after the push and three times while polling: one push, every pos_seq unique, paid in the end', async () => {
    const first = rig.start('after-send');
    await ready(first);
    first.send({ op: 'create', amountFen: 2580, gateway: 'yima' });
    expect((await first.exited).signal).toBe('SIGKILL');
    expect(creates()).toBe(1);
    const tradeNo = yima.requests()[0]!.posSeq;

    for (let cycle = 0; cycle < 3; cycle++) {
      const h = rig.start();
      await ready(h);
      const before = queries();
      await until(`queries after restart ${cycle}`, () => queries() >= before + 2);
      h.child.kill('SIGKILL');
      expect((await h.exited).signal).toBe('SIGKILL');
    }

    const last = rig.start();
    await ready(last);
    await until('resumed', () => yima.order(tradeNo) !== undefined && queries() > 0);
    expect(yima.pay(tradeNo)).toBe(true);
    await last.next((l) => l.update?.tradeNo === tradeNo && l.update?.status === 'paid', 30_000);
    // The next sale gets a new order number, a pos_seq never used before.
    last.send({ op: 'create', amountFen: 100, gateway: 'yima' });
    const next = await last.next((l) => l.reply?.tradeNo !== undefined && l.reply.tradeNo !== tradeNo);
    expect(next.reply.gateway).toBe('yima');
    last.send({ op: 'exit' });
    await last.exited;

    expect(creates(tradeNo)).toBe(1);
    expect(creates()).toBe(2);
    const seqs = yima.requests().map((r) => r.posSeq);
    expect(seqs.length).toBeGreaterThan(8);
    expect(new Set(seqs).size).toBe(seqs.length);
  }, 180_000);
});
