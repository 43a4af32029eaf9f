import { randomBytes, randomInt } from 'node:crypto';

/** The bank runs on China Standard Time (UTC+8, no daylight saving), so its dates and times do too. */
const CHINA_OFFSET_MS = 8 * 3600_000;

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** `yyyyMMdd` and `HHmmss` of an epoch-ms instant in China time. */
export function chinaDateTime(ms: number): { date: string; time: string } {
  const d = new Date(ms + CHINA_OFFSET_MS);
  return {
    date: `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCDate(), 2)}`,
    time: `${pad(d.getUTCHours(), 2)}${pad(d.getUTCMinutes(), 2)}${pad(d.getUTCSeconds(), 2)}`,
  };
}

/**
 * Terminal part of a trace: the seed's sample trace starts with the 8-digit posNo. A posNo that is not
 * 8 digits is reduced to its digits and padded / cut to 8 so every trace stays 28 digits (our choice).
 */
export function tracePrefix(posNo: string): string {
  return posNo.replace(/\D/g, '').padStart(8, '0').slice(-8);
}

/**
 * Issues 28-digit traces `posNo(8) + yyyyMMddHHmmss + serial(6)` like the seed's
 * `3738154220190807103911009064`. The serial starts at a random point so two simulator runs in the same
 * second do not hand out the same trace (the ledger keys on it); `isTaken` skips any collision.
 */
export class TraceIssuer {
  private serial = randomInt(0, 1_000_000);

  next(posNo: string, nowMs: number, isTaken: (trace: string) => boolean): string {
    const { date, time } = chinaDateTime(nowMs);
    for (let i = 0; i < 1_000_000; i += 1) {
      this.serial = (this.serial + 1) % 1_000_000;
      const trace = `${tracePrefix(posNo)}${date}${time}${pad(this.serial, 6)}`;
      if (!isTaken(trace)) return trace;
    }
    throw new Error('no free trace serial left in this second');
  }
}

/** A unique-looking QR payload; the caller checks uniqueness against live orders. */
export function newScanCode(): string {
  return `https://qr.sim.local/bpc/${randomBytes(12).toString('hex')}`;
}

/** `n` random decimal digits (bank-side transaction ids). */
export function randomDigits(n: number): string {
  let out = '';
  while (out.length < n) out += String(randomInt(0, 10));
  return out;
}
