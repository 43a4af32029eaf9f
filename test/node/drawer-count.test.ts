import { describe, expect, it } from 'vitest';
import { drawerCount } from '../../src/core/operators/shifts';

/** The drawer count at 交班 by denomination plus loose coins (issue 12.5): integer fen, checked in the core. */
describe('drawer count by denomination', () => {
  it('sums notes and the loose coins in fen and keeps the breakdown; zero counts are dropped', () => {
    const d = drawerCount(20_000, 3_780, 0, {
      denominations: [
        { valueFen: 10_000, count: 2 },
        { valueFen: 2_000, count: 1 },
        { valueFen: 1_000, count: 1 },
        { valueFen: 500, count: 1 },
        { valueFen: 100, count: 2 },
        { valueFen: 50, count: 0 },
        { valueFen: 10, count: 7 },
      ],
      coinsFen: 8,
    });
    expect(d).toEqual({
      floatFen: 20_000,
      cashSalesFen: 3_780,
      cashRefundsFen: 0,
      expectedFen: 23_780,
      countedFen: 23_778,
      differenceFen: -2,
      denominations: [
        { valueFen: 10_000, count: 2 },
        { valueFen: 2_000, count: 1 },
        { valueFen: 1_000, count: 1 },
        { valueFen: 500, count: 1 },
        { valueFen: 100, count: 2 },
        { valueFen: 10, count: 7 },
      ],
      coinsFen: 8,
    });
  });

  it('loose coins alone are a count; a total that disagrees with the notes, a repeated denomination or negative coins are refused', () => {
    expect(drawerCount(0, 500, 0, { coinsFen: 500 })).toMatchObject({ countedFen: 500, differenceFen: 0, denominations: [], coinsFen: 500 });
    expect(() => drawerCount(0, 0, 0, { countedFen: 1_000, denominations: [{ valueFen: 500, count: 1 }], coinsFen: 400 })).toThrow(
      expect.objectContaining({ code: 'BAD_INPUT', details: { field: 'countedFen' } }),
    );
    expect(drawerCount(0, 0, 0, { countedFen: 900, denominations: [{ valueFen: 500, count: 1 }], coinsFen: 400 }).countedFen).toBe(900);
    expect(() =>
      drawerCount(0, 0, 0, {
        denominations: [
          { valueFen: 500, count: 1 },
          { valueFen: 500, count: 2 },
        ],
      }),
    ).toThrow(expect.objectContaining({ code: 'BAD_INPUT', details: { field: 'denominations' } }));
    expect(() => drawerCount(0, 0, 0, { coinsFen: -1 })).toThrow(expect.objectContaining({ code: 'BAD_INPUT', details: { field: 'coinsFen' } }));
  });
});
