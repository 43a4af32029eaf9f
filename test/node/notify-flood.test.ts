/**
 * Issue 8.10: the notification port must not let anyone write to the append-only ledger. A live core
 * (provisioned against a loopback BPC simulator) receives a flood of unsigned notifications naming
 * unknown or malformed traces: (almost) no rows are added; a well-formed one naming our sale still
 * triggers an immediate query. The listener binds 127.0.0.1 unless the installer says otherwise.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Core } from '../../src/core/app/core';
import { startNotifyListener } from '../../src/core/gateways/bpc/notify-listener';
import { startBpcSimulator, type BpcSimulator } from '../../src/core/simulators/bpc/index';
import { NotificationsSchema } from '../../src/shared/settings';
import { silentLogger } from '../../src/core/util/logger';
import { startProvisionedCore } from '../support/counter';
import { tempDir } from '../support/temp';

const KEY = '01AC$@!BGT98aw#C';
const MID = '104320170118888';
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', () => ok()));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((ok) => s.close(() => ok()));
  return port;
}

async function liveCore(): Promise<{ core: Core; sim: BpcSimulator; notifyUrl: string }> {
  const sim = await startBpcSimulator({ key: KEY, mid: MID, defaultScript: { kind: 'manual' } });
  cleanups.push(() => sim.close());
  const t = tempDir('cashier-notify-');
  cleanups.push(t.cleanup);
  const port = await freePort();
  const core = await startProvisionedCore(
    t.dir,
    {
      bpc: { url: sim.url, mid: MID, posNo: '37381542', tellerNo: '001', key: KEY, profile: { requireSignedResponses: true } },
      notifications: { enabled: true, port, publicUrl: `http://127.0.0.1:${port}/notify` },
    },
    // Only a notification can make a query happen within the test.
    { schedule: { firstQueryMs: 600_000 } },
  );
  cleanups.push(() => core.close());
  expect(core.info()).toMatchObject({ mode: 'live', configError: null });
  return { core, sim, notifyUrl: `http://127.0.0.1:${port}/notify` };
}

const rows = (core: Core): number => (core.db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
const post = (url: string, body: string): Promise<Response> => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

describe('notification port (issue 8.10)', () => {
  it('200 unsigned notifications with unknown or malformed traces add (almost) no rows; a known one still triggers an immediate G', async () => {
    const { core, sim, notifyUrl } = await liveCore();
    const sale = await core.engine.createPayment({ amountFen: 4321, operator: '001' });
    expect(sale.sysTrace).toMatch(/^\d{28}$/);
    const before = rows(core);
    const bodies: string[] = [];
    for (let i = 0; i < 200; i += 1) {
      const trace = i % 2 === 0 ? `3738154220990101000000${String(i).padStart(6, '0')}` : `x${'A'.repeat(i)}'; DROP TABLE events; --`;
      bodies.push(JSON.stringify({ orgSysTrace: trace, oldRespCode: '000000', pad: 'p'.repeat(2_000) }));
    }
    const statuses: number[] = [];
    for (const b of bodies) {
      const r = await post(notifyUrl, b);
      await r.text();
      statuses.push(r.status);
    }
    expect(statuses.every((s) => s === 200 || s === 400 || s === 429)).toBe(true);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(rows(core) - before).toBeLessThanOrEqual(1);
    expect(sim.countRequests('G')).toBe(0);

    // The bank's real notification for our sale (unsigned, as the default allows) → one immediate G.
    await new Promise((r) => setTimeout(r, 1100)); // let the rate limit refill a token
    sim.pay(sale.sysTrace ?? '');
    const res = await post(notifyUrl, JSON.stringify({ orgSysTrace: sale.sysTrace, oldRespCode: '000000' }));
    expect(res.status).toBe(200);
    await vi.waitFor(() => expect(sim.countRequests('G')).toBeGreaterThanOrEqual(1), { timeout: 5000, interval: 20 });
    await vi.waitFor(() => expect((core.db.prepare('SELECT status FROM payments WHERE id = ?').get(sale.id) as { status: string }).status).toBe('paid'), {
      timeout: 5000,
      interval: 20,
    });
  }, 60_000);

  it('the listener rate-limits per source and counts what it refuses; the default host is loopback', async () => {
    expect(NotificationsSchema.parse({}).host).toBe('127.0.0.1');
    let t = 0;
    const l = await startNotifyListener({
      host: '127.0.0.1',
      port: 0,
      getKey: () => KEY,
      requireSigned: false,
      onNotification: () => false,
      logger: silentLogger,
      rateLimit: { burst: 5, perSecond: 1 },
      now: () => t,
    });
    cleanups.push(() => l.close());
    const url = `http://127.0.0.1:${l.port}/notify`;
    const ok = JSON.stringify({ orgSysTrace: '373815422026120212000000001' });
    const got: number[] = [];
    for (let i = 0; i < 8; i += 1) got.push((await post(url, ok)).status);
    expect(got).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
    t += 2000; // two tokens back
    expect((await post(url, '{"orgSysTrace":"12"}')).status).toBe(400);
    expect((await post(url, ok)).status).toBe(200);
    expect((await post(url, ok)).status).toBe(429);
    expect(l.stats()).toEqual({ accepted: 6, unknownTrace: 6, badSignature: 0, malformed: 1, rateLimited: 4 });
  });
});
