import { afterEach, describe, expect, it } from 'vitest';
import { assertSaleAmount, GATEWAY_MAX_FEN, saleLimitFen } from '../../src/core/config/gateway-limits';
import { listOpenPayments } from '../../src/core/ledger/payments';
import { startEngineHarness, type EngineHarness } from '../support/engine-harness';

/** Per-gateway amount limits, checked with the shop's own limit before anything is written or sent. */
describe('per-gateway amount limits', () => {
  const harnesses: EngineHarness[] = [];
  afterEach(async () => {
    await Promise.all(harnesses.splice(0).map((h) => h.close()));
  });

  it('each gateway has its protocol limit; the lower of it and the shop limit applies', () => {
    expect(GATEWAY_MAX_FEN).toMatchObject({ bpc: 999_999_999_999, terminal: 999_999_999_999, yima: 999_999_999 });
    expect(saleLimitFen('yima', 5_000_000_000)).toBe(999_999_999);
    expect(saleLimitFen('yima', 5_000_000)).toBe(5_000_000);
    expect(saleLimitFen('bpc', 5_000_000_000)).toBe(5_000_000_000);
    expect(assertSaleAmount('yima', 999_999_999, 5_000_000_000)).toBe(999_999_999);
    expect(() => assertSaleAmount('yima', 1_000_000_000, 5_000_000_000)).toThrow(
      expect.objectContaining({
        code: 'AMOUNT_TOO_LARGE',
        details: { maxFen: 999_999_999, gateway: 'yima' },
        message: expect.stringContaining("yima gateway's own limit"),
      }),
    );
    expect(() => assertSaleAmount('bpc', 5_000_001, 5_000_000)).toThrow(
      expect.objectContaining({ code: 'AMOUNT_TOO_LARGE', details: { maxFen: 5_000_000, gateway: 'bpc' }, message: expect.stringContaining("shop's limit") }),
    );
    for (const bad of [0, -1, 1.5, Number.NaN])
      expect(() => assertSaleAmount('terminal', bad, 5_000_000)).toThrow(expect.objectContaining({ code: 'AMOUNT_INVALID' }));
  });

  it('the engine refuses an amount above the BPC sale limit before any intent is written or F sent', async () => {
    const h = await startEngineHarness();
    harnesses.push(h);
    await expect(h.engine.createPayment({ amountFen: 5_000_001, operator: '001' })).rejects.toMatchObject({
      code: 'AMOUNT_TOO_LARGE',
      details: { maxFen: 5_000_000, gateway: 'bpc' },
    });
    expect(listOpenPayments(h.db)).toEqual([]);
    expect(h.db.prepare('SELECT COUNT(*) AS n FROM payments').get()).toEqual({ n: 0 });
    expect(h.sim.requests()).toEqual([]);
  });
});
