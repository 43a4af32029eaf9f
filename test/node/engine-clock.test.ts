import { afterEach, describe, expect, it, vi } from 'vitest';
import { getPayment } from '../../src/core/ledger/payments';
import { PaymentEngine } from '../../src/core/payments/engine';
import { DEFAULT_SCHEDULE } from '../../src/core/payments/schedule';
import { startEngineHarness, type EngineHarness } from '../support/engine-harness';
import { manualClock, type ManualClock } from '../support/manual-clock';

/**
 * The engine on an injected clock: the product's default schedule (3 s, every 2 s for a minute, then
 * every 5 s; expiry; backoff) is followed to the millisecond without any real waiting. Requests still
 * go over real HTTP to the simulator; the test only waits for each one to be recorded.
 */
const harnesses: EngineHarness[] = [];
afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.close()));
});

const WAIT = { timeout: 5000, interval: 5 };

async function rig(qrValiditySec = 600): Promise<{ h: EngineHarness; clock: ManualClock; engine: PaymentEngine }> {
  const h = await startEngineHarness({ sim: { defaultScript: { kind: 'manual' } } });
  harnesses.push(h);
  h.engine.stop();
  const clock = manualClock();
  const engine = new PaymentEngine({ ...h.deps, now: clock.now, timers: clock.timers, schedule: () => DEFAULT_SCHEDULE, qrValiditySec: () => qrValiditySec });
  return { h, clock, engine };
}

/** Waits (real time, briefly) until the request fired by the last advance is recorded and the next step is set. */
async function recorded(h: EngineHarness, clock: ManualClock, op: string, count: number): Promise<void> {
  await vi.waitFor(() => {
    expect(h.sim.countRequests(op)).toBe(count);
    expect(clock.pending()).toBe(1);
  }, WAIT);
}

describe('engine on an injected clock', () => {
  it('queries at 3 s, then every 2 s during the first minute, then every 5 s', async () => {
    const { h, clock, engine } = await rig();
    const p = await engine.createPayment({ amountFen: 500, operator: '001' });
    expect(p.status).toBe('qr_issued');
    expect(clock.nextIn()).toBe(3000);
    clock.advance(2999);
    expect(h.sim.countRequests('G')).toBe(0);
    clock.advance(1);
    await recorded(h, clock, 'G', 1);
    expect(getPayment(h.db, p.id)).toMatchObject({ status: 'waiting', queryCount: 1 });
    expect(clock.nextIn()).toBe(2000);
    // Through the fast phase: 3 s + 28 × 2 s = 59 s.
    for (let n = 2; n <= 29; n += 1) {
      clock.advance(2000);
      await recorded(h, clock, 'G', n);
    }
    clock.advance(2000); // 61 s: the last fast query
    await recorded(h, clock, 'G', 30);
    expect(clock.nextIn()).toBe(5000);
    clock.advance(4999);
    expect(h.sim.countRequests('G')).toBe(30);
    clock.advance(1);
    await recorded(h, clock, 'G', 31);
    expect(h.sim.countRequests('F')).toBe(1);
  });

  it('at expiry it closes (S), confirms with one more G, and ends closed; nothing runs after', async () => {
    const { h, clock, engine } = await rig(10);
    const p = await engine.createPayment({ amountFen: 700, operator: '001' });
    clock.advance(3000);
    await recorded(h, clock, 'G', 1);
    // 3 s + 3 × 2 s = 9 s; the next step is capped at the QR's end (10 s).
    for (let n = 2; n <= 4; n += 1) {
      clock.advance(2000);
      await recorded(h, clock, 'G', n);
    }
    expect(clock.nextIn()).toBe(1000);
    clock.advance(1000);
    await vi.waitFor(() => expect(getPayment(h.db, p.id).status).toBe('closed'), WAIT);
    expect(h.sim.countRequests('S')).toBe(1);
    expect(h.sim.countRequests('G')).toBe(5);
    expect(clock.pending()).toBe(0);
    clock.advance(3_600_000);
    expect(h.sim.requests().length).toBe(1 + 5 + 1);
  });

  it('a gateway that keeps failing: 状态未明 after unknownAfterMs, then backoff 5 s, 10 s, 20 s … capped at 60 s', async () => {
    const { h, clock, engine } = await rig();
    const p = await engine.createPayment({ amountFen: 900, operator: '001' });
    h.sim.injectFault('G', { kind: 'reset' }, { count: 1000 });
    clock.advance(3000);
    await recorded(h, clock, 'G', 1);
    let n = 1;
    // Live phase: every 2 s; after 30 s of unclear answers the sale shows 状态未明.
    while (getPayment(h.db, p.id).status !== 'unknown') {
      clock.advance(clock.nextIn()!);
      n += 1;
      await recorded(h, clock, 'G', n);
      expect(n).toBeLessThan(40);
    }
    expect(clock.now() - p.createdAt).toBeGreaterThanOrEqual(3000 + DEFAULT_SCHEDULE.unknownAfterMs);
    const delays: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      delays.push(clock.nextIn()!);
      clock.advance(clock.nextIn()!);
      n += 1;
      await recorded(h, clock, 'G', n);
    }
    expect(delays).toEqual([5000, 10_000, 20_000, 40_000, 60_000, 60_000]);
    expect(h.sim.countRequests('F')).toBe(1);
  });
});
