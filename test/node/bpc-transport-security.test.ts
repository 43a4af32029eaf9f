/**
 * Issue 8.7: live mode over plain http with unsigned answers trusted is refused before anything is
 * sent; https works against a loopback TLS front whose CA (made in the test) the client trusts through
 * the bpc.caFile setting — never by turning verification off; health shows transport and signing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Core } from '../../src/core/app/core';
import { startBpcSimulator, type BpcSimulator } from '../../src/core/simulators/bpc/index';
import { startMitm } from '../support/mitm';
import { startProvisionedCore } from '../support/counter';
import { tempDir } from '../support/temp';
import { makeTestCa, type TestCa } from '../support/test-ca';

const KEY = '01AC$@!BGT98aw#C';
const MID = '104320170118888';
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function sim(): Promise<BpcSimulator> {
  const s = await startBpcSimulator({ key: KEY, mid: MID, defaultScript: { kind: 'manual' } });
  cleanups.push(() => s.close());
  return s;
}

async function liveCore(bpc: Record<string, unknown>): Promise<Core> {
  const t = tempDir('cashier-tls-');
  cleanups.push(t.cleanup);
  const core = await startProvisionedCore(
    t.dir,
    { bpc: { mid: MID, posNo: '37381542', tellerNo: '001', key: KEY, ...bpc } },
    { schedule: { firstQueryMs: 600_000 } },
  );
  cleanups.push(() => core.close());
  expect(core.info()).toMatchObject({ mode: 'live', configError: null });
  return core;
}

let ca: TestCa | null = null;
function testCa(): TestCa {
  if (ca === null) {
    const t = tempDir('cashier-ca-');
    ca = makeTestCa(t.dir);
  }
  return ca;
}

const bpcHealth = async (core: Core): Promise<{ status: string; detail: string }> => {
  const item = (await core.health()).gateways.find((g) => g.name === 'bpc');
  if (item === undefined) throw new Error('no bpc health');
  return item;
};

describe('live transport security (issue 8.7)', () => {
  it('plain http with unsigned answers accepted: live charging is refused before any request leaves; health says why', async () => {
    const s = await sim();
    const core = await liveCore({ url: s.url });
    await expect(core.engine.createPayment({ amountFen: 100, operator: '001' })).rejects.toMatchObject({ code: 'INSECURE_TRANSPORT' });
    expect(s.countRequests('F')).toBe(0);
    const h = await bpcHealth(core);
    expect(h.status).toBe('error');
    expect(h.detail).toMatch(/http · unsigned answers accepted · live payments refused/);
  });

  it('plain http is allowed when signed answers are required (and health says so)', async () => {
    const s = await sim();
    const core = await liveCore({ url: s.url, profile: { requireSignedResponses: true } });
    const p = await core.engine.createPayment({ amountFen: 100, operator: '001' });
    expect(p.status).toBe('qr_issued');
    expect((await bpcHealth(core)).detail).toMatch(/http · signed answers required/);
  });

  it('https through a loopback TLS front: trusted via bpc.caFile; without it the F never leaves (tls) and nothing is charged', async () => {
    const s = await sim();
    const authority = testCa();
    const front = await startMitm(s.url, { key: authority.keyPem, cert: authority.certPem });
    cleanups.push(() => front.close());
    expect(front.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\//);

    const trusted = await liveCore({ url: front.url, caFile: authority.caFile });
    const p = await trusted.engine.createPayment({ amountFen: 250, operator: '001' });
    expect(p.status).toBe('qr_issued');
    expect(s.countRequests('F')).toBe(1);
    const h = await bpcHealth(trusted);
    expect(h.detail).toMatch(/https · unsigned answers accepted/);
    expect(h.status).toBe('ok');

    const untrusted = await liveCore({ url: front.url });
    const q = await untrusted.engine.createPayment({ amountFen: 250, operator: '001' });
    expect(q.status).toBe('failed');
    expect(q.respMsg).toMatch(/tls/);
    expect(s.countRequests('F')).toBe(1);
  });
});
