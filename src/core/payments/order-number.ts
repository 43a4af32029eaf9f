import { randomInt } from 'node:crypto';

/**
 * A unique order number: prefix + yyMMddHHmmssSSS (UTC) + 4 random digits, 20 characters. The ledger's
 * UNIQUE constraint is the final guard; a collision fails before anything is sent.
 */
export function newOrderNumber(prefix: 'P' | 'R', at: number): string {
  const iso = new Date(at).toISOString(); // 2026-11-23T08:30:12.345Z
  const stamp = iso.slice(2, 4) + iso.slice(5, 7) + iso.slice(8, 10) + iso.slice(11, 13) + iso.slice(14, 16) + iso.slice(17, 19) + iso.slice(20, 23);
  return `${prefix}${stamp}${String(randomInt(0, 10_000)).padStart(4, '0')}`;
}
