/**
 * Money is an integer number of fen (1/100 yuan) everywhere. These helpers are the only place where
 * yuan text is turned into fen and back; they never use floating point arithmetic on money.
 */
import { AppError } from './errors';

export type Fen = number;

/** BPC carries 12 digits of fen. */
export const BPC_MAX_FEN: Fen = 999_999_999_999;
/** The card terminal's MIS amount field is 12 digits of fen. */
export const CARD_TERMINAL_MAX_FEN: Fen = 999_999_999_999;
/** Yima's amount is Number(9) fen. */
export const YIMA_MAX_FEN: Fen = 999_999_999;

const YUAN_TEXT = /^(0|[1-9][0-9]{0,11})(\.[0-9]{0,2})?$/;

/**
 * Parses what the cashier typed ("12", "12.5", "12.50", "0.01") into fen.
 * Fails with AMOUNT_INVALID for anything else (empty, negative, more than two decimals, leading zeros,
 * exponent notation) and for zero.
 */
export function parseYuanToFen(text: string): Fen {
  const trimmed = text.trim();
  const match = YUAN_TEXT.exec(trimmed);
  if (match === null) {
    throw new AppError('AMOUNT_INVALID', `not an amount: "${text}"`);
  }
  const whole = match[1] ?? '0';
  const frac = (match[2] ?? '').slice(1).padEnd(2, '0');
  const fen = Number(whole) * 100 + Number(frac);
  if (!Number.isSafeInteger(fen)) throw new AppError('AMOUNT_INVALID', `amount out of range: "${text}"`);
  if (fen <= 0) throw new AppError('AMOUNT_INVALID', 'amount must be greater than zero');
  return fen;
}

/** Checks that a value is a positive safe integer number of fen not above `maxFen`. */
export function assertFen(value: number, maxFen: Fen = BPC_MAX_FEN): Fen {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new AppError('AMOUNT_INVALID', `amount must be a positive whole number of fen, got ${String(value)}`);
  }
  if (value > maxFen) {
    throw new AppError('AMOUNT_TOO_LARGE', `amount ${formatFen(value)} exceeds the limit ${formatFen(maxFen)}`, {
      maxFen,
    });
  }
  return value;
}

/** 12850 → "128.50"; negative values keep their sign. */
export function formatFen(fen: Fen): string {
  const negative = fen < 0;
  const abs = Math.abs(fen);
  const yuan = Math.floor(abs / 100);
  const cents = String(abs % 100).padStart(2, '0');
  return `${negative ? '-' : ''}${yuan}.${cents}`;
}
