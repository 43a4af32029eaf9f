/**
 * Our unique numbers: payment order numbers (BPC tradeNo, the card order number), refund numbers and
 * gateway request serials (Yima pos_seq), all carrying the counter's lane code.
 *
 * Order number: prefix (P / R) + lane (2 digits) + yyMMddHHmmssSSS (UTC) + 2 random digits = 20
 * characters, a letter then digits, the same length and shape as before lanes. BPC gives no length
 * or charset for tradeNo (its samples are "100040" and "R1565146185700"); the wallets behind it take
 * 32 characters at most (WeChat out_trade_no), UnionPay letters and digits only, and the receipt's
 * CODE128 barcode stays scannable on 58 mm paper only at this size. The lane has a fixed position,
 * so two counters' numbers never meet; inside one counter a number already in the ledger is never
 * handed out again (retried with other random digits), and the UNIQUE constraints (trade_no,
 * refund_no; request serial per gateway) stay the final guard: a collision fails before anything is sent.
 */
import { randomInt } from 'node:crypto';
import { AppError } from '../../shared/errors';
import { stmt, type Db } from './db';
import { laneCode } from './lane';

export type OrderPrefix = 'P' | 'R';

/** yyMMddHHmmssSSS in UTC. */
function stamp(at: number): string {
  const iso = new Date(at).toISOString(); // 2026-11-23T08:30:12.345Z
  return iso.slice(2, 4) + iso.slice(5, 7) + iso.slice(8, 10) + iso.slice(11, 13) + iso.slice(14, 16) + iso.slice(17, 19) + iso.slice(20, 23);
}

/** The number for lane `lane` at `at` (pure; `random2` gives the last two digits, injectable for tests). */
export function formatOrderNumber(prefix: OrderPrefix, lane: string, at: number, random2: () => number = () => randomInt(0, 100)): string {
  return `${prefix}${lane}${stamp(at)}${String(random2()).padStart(2, '0')}`;
}

function taken(db: Db, prefix: OrderPrefix, no: string): boolean {
  const sql = prefix === 'P' ? 'SELECT 1 FROM payments WHERE trade_no = ?' : 'SELECT 1 FROM refunds WHERE refund_no = ?';
  return stmt(db, sql).get(no) !== undefined;
}

/**
 * A new payment / refund number of this ledger's counter, not yet in the ledger. Two numbers of one
 * counter in the same millisecond get other random digits; 100 tries all taken is refused.
 */
export function newOrderNumber(db: Db, prefix: OrderPrefix, at: number, random2?: () => number): string {
  const lane = laneCode(db, at);
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const no = formatOrderNumber(prefix, lane, at, random2);
    if (!taken(db, prefix, no)) return no;
  }
  throw new AppError('INVALID_STATE', `no free order number for lane ${lane} at ${new Date(at).toISOString()}; nothing was sent — try again`);
}

/** The lane code inside one of our order numbers made since lanes (undefined when not one of ours). */
export function laneOfOrderNumber(no: string): string | undefined {
  return /^[PR]\d{19}$/.test(no) ? no.slice(1, 3) : undefined;
}

/**
 * Reserves a fresh request serial for `gateway` (Yima pos_seq: unique per merchant, never reused,
 * more than 12 characters) and records it before the request leaves: lane + yyMMddHHmmssSSS + the
 * ledger's request counter (mod 10 000), at most 23 characters. The ledger's (gateway, seq) UNIQUE
 * constraint refuses a reuse. Runs in its own immediate transaction unless the caller has one.
 */
export function reserveRequestSeq(
  db: Db,
  input: { gateway: string; purpose: string; paymentId?: number | null; refundId?: number | null; now: number },
): string {
  const run = db.transaction((): string => {
    const row = stmt(db, 'SELECT COALESCE(MAX(id), 0) AS n FROM gateway_requests').get() as { n: number };
    const seq = `${laneCode(db, input.now)}${stamp(input.now)}${String((row.n + 1) % 10_000).padStart(4, '0')}`;
    stmt(db, 'INSERT INTO gateway_requests (gateway, seq, purpose, payment_id, refund_id, reserved_at) VALUES (?, ?, ?, ?, ?, ?)').run(
      input.gateway,
      seq,
      input.purpose,
      input.paymentId ?? null,
      input.refundId ?? null,
      input.now,
    );
    return seq;
  });
  return db.inTransaction ? run() : run.immediate();
}
