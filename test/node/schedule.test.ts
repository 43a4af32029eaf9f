import { describe, expect, it } from 'vitest';
import {
  backoffDelay,
  DEFAULT_SCHEDULE,
  nextLiveQueryDelay,
  nextPaymentDelay,
  refundQueryDelay,
  scheduleProblems,
  type PaymentTiming,
  type PollingSchedule,
} from '../../src/core/payments/schedule';

describe('the default polling schedule (PRODUCT.md §1)', () => {
  it('is 3 s first, 2 s for 60 s, then 5 s', () => {
    expect(DEFAULT_SCHEDULE).toMatchObject({ firstQueryMs: 3000, fastIntervalMs: 2000, fastPhaseMs: 60_000, slowIntervalMs: 5000 });
  });

  it('first query: 3 s after the QR is shown, less whatever time already passed, never negative', () => {
    expect(nextLiveQueryDelay(DEFAULT_SCHEDULE, 0, 0)).toBe(3000);
    expect(nextLiveQueryDelay(DEFAULT_SCHEDULE, 1200, 0)).toBe(1800);
    expect(nextLiveQueryDelay(DEFAULT_SCHEDULE, 3000, 0)).toBe(0);
    expect(nextLiveQueryDelay(DEFAULT_SCHEDULE, 45_000, 0)).toBe(0);
  });

  it('then every 2 s until 60 s after the QR was shown, then every 5 s', () => {
    expect(nextLiveQueryDelay(DEFAULT_SCHEDULE, 3000, 1)).toBe(2000);
    expect(nextLiveQueryDelay(DEFAULT_SCHEDULE, 59_999, 20)).toBe(2000);
    expect(nextLiveQueryDelay(DEFAULT_SCHEDULE, 60_000, 29)).toBe(5000);
    expect(nextLiveQueryDelay(DEFAULT_SCHEDULE, 300_000, 80)).toBe(5000);
  });

  it('over a 10-minute QR the query instants follow the product rule', () => {
    const at: number[] = [];
    let t = 0;
    while (t < 600_000) {
      t += nextLiveQueryDelay(DEFAULT_SCHEDULE, t, at.length);
      at.push(t);
    }
    expect(at.slice(0, 4)).toEqual([3000, 5000, 7000, 9000]);
    const gaps = at.slice(1).map((x, i) => x - (at[i] ?? 0));
    const fast = gaps.filter((g, i) => (at[i] ?? 0) < 60_000);
    const slow = gaps.filter((g, i) => (at[i] ?? 0) >= 60_000);
    expect(new Set(fast)).toEqual(new Set([2000]));
    expect(new Set(slow)).toEqual(new Set([5000]));
    // 3 s, then 29 queries 2 s apart up to 61 s, then 5 s apart until 10 minutes.
    expect(at.filter((x) => x <= 61_000)).toHaveLength(30);
    expect(at.length).toBe(30 + Math.ceil((600_000 - 61_000) / 5000));
  });
});

describe('backoffDelay', () => {
  it('doubles from 5 s and is capped at 60 s', () => {
    expect([0, 1, 2, 3, 4, 5, 20].map((n) => backoffDelay(DEFAULT_SCHEDULE, n))).toEqual([5000, 10_000, 20_000, 40_000, 60_000, 60_000, 60_000]);
  });

  it('treats a negative attempt as the first and never overflows', () => {
    expect(backoffDelay(DEFAULT_SCHEDULE, -3)).toBe(5000);
    expect(backoffDelay(DEFAULT_SCHEDULE, 10_000)).toBe(60_000);
  });

  it('follows the configured start, factor and cap', () => {
    const s: PollingSchedule = { ...DEFAULT_SCHEDULE, backoffStartMs: 1000, backoffFactor: 3, backoffMaxMs: 20_000 };
    expect([0, 1, 2, 3].map((n) => backoffDelay(s, n))).toEqual([1000, 3000, 9000, 20_000]);
    expect(backoffDelay({ ...s, backoffFactor: 1 }, 7)).toBe(1000);
  });
});

describe('scheduleProblems', () => {
  it('accepts the default', () => {
    expect(scheduleProblems(DEFAULT_SCHEDULE)).toEqual([]);
  });

  it('names every bad field', () => {
    const bad: PollingSchedule = {
      firstQueryMs: -1,
      fastIntervalMs: 100,
      fastPhaseMs: Number.NaN,
      slowIntervalMs: 0,
      backoffStartMs: 499,
      backoffFactor: 0.5,
      backoffMaxMs: Number.POSITIVE_INFINITY,
      unknownAfterMs: -5,
    };
    const problems = scheduleProblems(bad);
    for (const name of Object.keys(bad)) expect(problems.some((p) => p.startsWith(`${name} `))).toBe(true);
    expect(problems).toHaveLength(8);
  });

  it('allows an immediate first query but not sub-500 ms intervals', () => {
    expect(scheduleProblems({ ...DEFAULT_SCHEDULE, firstQueryMs: 0, unknownAfterMs: 0, fastPhaseMs: 0 })).toEqual([]);
    expect(scheduleProblems({ ...DEFAULT_SCHEDULE, fastIntervalMs: 499 })).toEqual(['fastIntervalMs must be ≥ 500']);
    expect(scheduleProblems({ ...DEFAULT_SCHEDULE, slowIntervalMs: 500 })).toEqual([]);
  });
});

describe('nextPaymentDelay', () => {
  const shown = 1_000_000;
  const live = (over: Partial<PaymentTiming> = {}): PaymentTiming => ({
    at: shown,
    createdAt: shown - 200,
    qrExpiresAt: shown + 600_000,
    qrValidityMs: 600_000,
    queryCount: 0,
    closeRequested: false,
    unknown: false,
    ...over,
  });

  it('follows the live cadence from the moment the QR was shown', () => {
    expect(nextPaymentDelay(DEFAULT_SCHEDULE, live())).toBe(3000);
    expect(nextPaymentDelay(DEFAULT_SCHEDULE, live({ at: shown + 1000 }))).toBe(2000);
    expect(nextPaymentDelay(DEFAULT_SCHEDULE, live({ at: shown + 10_000, queryCount: 4 }))).toBe(2000);
    expect(nextPaymentDelay(DEFAULT_SCHEDULE, live({ at: shown + 61_000, queryCount: 30 }))).toBe(5000);
  });

  it('never waits past the QR expiry, and backs off once it is over, closing, or 状态未明', () => {
    expect(nextPaymentDelay(DEFAULT_SCHEDULE, live({ at: shown + 599_000, queryCount: 100 }))).toBe(1000);
    expect(nextPaymentDelay(DEFAULT_SCHEDULE, live({ at: shown + 600_000, queryCount: 100 }))).toBe('backoff');
    expect(nextPaymentDelay(DEFAULT_SCHEDULE, live({ closeRequested: true }))).toBe('backoff');
    expect(nextPaymentDelay(DEFAULT_SCHEDULE, live({ unknown: true }))).toBe('backoff');
  });

  it('a sale without a QR yet counts from its creation', () => {
    expect(nextPaymentDelay(DEFAULT_SCHEDULE, live({ qrExpiresAt: null, at: shown + 1000 }))).toBe(1800);
  });
});

describe('refundQueryDelay', () => {
  it('first query, ten fast ones, then backoff up to the cap', () => {
    const delays = Array.from({ length: 16 }, (_, n) => refundQueryDelay(DEFAULT_SCHEDULE, n));
    expect(delays).toEqual([3000, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 5000, 10_000, 20_000, 40_000, 60_000, 60_000]);
  });
});
