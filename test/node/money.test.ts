import { describe, expect, it } from 'vitest';
import { assertFen, formatFen, parseYuanToFen } from '../../src/shared/money';

describe('money in fen', () => {
  it.each([
    ['12', 1200],
    ['12.5', 1250],
    ['12.50', 1250],
    ['0.01', 1],
    ['128.50', 12850],
    ['999999999999.99', 99999999999999],
  ])('parses %s to %i fen', (text, fen) => {
    expect(parseYuanToFen(text)).toBe(fen);
  });

  it.each(['', '0', '0.00', '-1', '1.234', '01', '1e3', 'abc', '1.2.3', '.5', ' '])('refuses "%s"', (text) => {
    expect(() => parseYuanToFen(text)).toThrow(expect.objectContaining({ code: 'AMOUNT_INVALID' }));
  });

  it('formats fen without floating point', () => {
    expect(formatFen(12850)).toBe('128.50');
    expect(formatFen(1)).toBe('0.01');
    expect(formatFen(-250)).toBe('-2.50');
    expect(formatFen(1234567)).toBe('12345.67');
  });

  it('checks limits with stable codes', () => {
    expect(assertFen(100, 100)).toBe(100);
    expect(() => assertFen(101, 100)).toThrow(expect.objectContaining({ code: 'AMOUNT_TOO_LARGE' }));
    expect(() => assertFen(0.5)).toThrow(expect.objectContaining({ code: 'AMOUNT_INVALID' }));
  });
});
