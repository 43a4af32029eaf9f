/**
 * What the headquarters dashboard shows: per store and counter the last contact, lag and day-close
 * status; a day's totals per store / counter / pay type / gateway; unresolved items across the chain;
 * reconciliation flags. Reads only the projection tables (a read replica can serve them).
 */
import { formatFen } from '../shared/money';
import type { Pool } from './db';

export interface Totals {
  paidCount: number;
  paidFen: number;
  refundCount: number;
  refundFen: number;
  netFen: number;
}

export interface CounterOverview {
  store: string;
  lane: string;
  /** The lane code in the counter's order numbers, as its batches report it (null: not reported yet). */
  orderLane: string | null;
  name: string;
  revoked: boolean;
  lastContactAt: string | null;
  backlog: number;
  hwm: number;
  dayClosedAt: number | null;
  totals: Totals;
}

export interface Overview {
  day: string;
  mode: string;
  generatedAt: string;
  totals: Totals;
  stores: { store: string; totals: Totals; counters: CounterOverview[] }[];
  byPayType: { store: string; bucket: string; paidCount: number; paidFen: number }[];
  byGateway: { gateway: string; paidCount: number; paidFen: number }[];
  unresolved: { store: string; lane: string; kind: 'payment' | 'refund'; number: string; amountFen: number; status: string; businessDay: string }[];
  flags: { store: string; lane: string; kind: string; mode: string | null; businessDay: string | null; detail: unknown; at: string }[];
}

const zero = (): Totals => ({ paidCount: 0, paidFen: 0, refundCount: 0, refundFen: 0, netFen: 0 });

function add(into: Totals, t: Partial<Totals>): void {
  into.paidCount += t.paidCount ?? 0;
  into.paidFen += t.paidFen ?? 0;
  into.refundCount += t.refundCount ?? 0;
  into.refundFen += t.refundFen ?? 0;
  into.netFen = into.paidFen - into.refundFen;
}

/** The bucket a payment counts under, as on the counters' reports (card / cash by tender, QR by wallet). */
export const BUCKET_SQL = `CASE WHEN tender = 'card' THEN 'card' WHEN tender = 'cash' THEN 'cash'
  WHEN pay_type IN ('ZFBA', 'WEIX', 'UPAY') THEN pay_type ELSE 'other' END`;

export async function overview(pool: Pool, day: string, mode: string): Promise<Overview> {
  const counters = (
    await pool.query<{
      id: number;
      store: string;
      lane: string;
      order_lane: string | null;
      name: string;
      revoked_at: Date | null;
      last_contact_at: Date | null;
      backlog: number;
      hwm: number;
      closed_at: number | null;
    }>(
      `SELECT c.id, c.store, c.lane, c.order_lane, c.name, c.revoked_at, c.last_contact_at, c.backlog, c.hwm, d.closed_at
         FROM counters c LEFT JOIN counter_days d ON d.counter_id = c.id AND d.mode = $2 AND d.business_day = $1
        ORDER BY c.store, c.lane`,
      [day, mode],
    )
  ).rows;
  const paid = (
    await pool.query<{ counter_id: number; n: number; fen: number }>(
      `SELECT counter_id, count(*)::bigint AS n, sum(amount_fen)::bigint AS fen FROM payments
        WHERE mode = $2 AND business_day = $1 AND status = 'paid' GROUP BY counter_id`,
      [day, mode],
    )
  ).rows;
  const refunded = (
    await pool.query<{ counter_id: number; n: number; fen: number }>(
      `SELECT counter_id, count(*)::bigint AS n, sum(amount_fen)::bigint AS fen FROM refunds
        WHERE mode = $2 AND business_day = $1 AND status = 'succeeded' GROUP BY counter_id`,
      [day, mode],
    )
  ).rows;
  const byCounter = new Map<number, Totals>();
  const get = (id: number): Totals => {
    let t = byCounter.get(id);
    if (t === undefined) byCounter.set(id, (t = zero()));
    return t;
  };
  for (const p of paid) add(get(p.counter_id), { paidCount: p.n, paidFen: p.fen });
  for (const r of refunded) add(get(r.counter_id), { refundCount: r.n, refundFen: r.fen });

  const stores = new Map<string, { store: string; totals: Totals; counters: CounterOverview[] }>();
  const totals = zero();
  for (const c of counters) {
    const t = byCounter.get(c.id) ?? zero();
    let s = stores.get(c.store);
    if (s === undefined) stores.set(c.store, (s = { store: c.store, totals: zero(), counters: [] }));
    s.counters.push({
      store: c.store,
      lane: c.lane,
      orderLane: c.order_lane,
      name: c.name,
      revoked: c.revoked_at !== null,
      lastContactAt: c.last_contact_at?.toISOString() ?? null,
      backlog: c.backlog,
      hwm: c.hwm,
      dayClosedAt: c.closed_at,
      totals: t,
    });
    add(s.totals, t);
    add(totals, t);
  }

  const byPayType = (
    await pool.query<{ store: string; bucket: string; n: number; fen: number }>(
      `SELECT c.store, ${BUCKET_SQL} AS bucket, count(*)::bigint AS n, sum(p.amount_fen)::bigint AS fen
         FROM payments p JOIN counters c ON c.id = p.counter_id
        WHERE p.mode = $2 AND p.business_day = $1 AND p.status = 'paid' GROUP BY c.store, bucket ORDER BY c.store, bucket`,
      [day, mode],
    )
  ).rows.map((r) => ({ store: r.store, bucket: r.bucket, paidCount: r.n, paidFen: r.fen }));
  const byGateway = (
    await pool.query<{ gateway: string | null; n: number; fen: number }>(
      `SELECT gateway, count(*)::bigint AS n, sum(amount_fen)::bigint AS fen FROM payments
        WHERE mode = $2 AND business_day = $1 AND status = 'paid' GROUP BY gateway ORDER BY gateway`,
      [day, mode],
    )
  ).rows.map((r) => ({ gateway: r.gateway ?? 'other', paidCount: r.n, paidFen: r.fen }));
  const unresolved = (
    await pool.query<{ store: string; lane: string; kind: 'payment' | 'refund'; number: string; amount_fen: number; status: string; business_day: string }>(
      `SELECT c.store, c.lane, 'payment' AS kind, p.trade_no AS number, p.amount_fen, p.status, p.business_day
         FROM payments p JOIN counters c ON c.id = p.counter_id
        WHERE p.mode = $1 AND p.status IN ('created', 'qr_issued', 'waiting', 'unknown')
       UNION ALL
       SELECT c.store, c.lane, 'refund', r.refund_no, r.amount_fen, r.status, r.business_day
         FROM refunds r JOIN counters c ON c.id = r.counter_id
        WHERE r.mode = $1 AND r.status IN ('created', 'pending', 'unknown')
       ORDER BY business_day DESC, store, lane LIMIT 500`,
      [mode],
    )
  ).rows.map((r) => ({ store: r.store, lane: r.lane, kind: r.kind, number: r.number, amountFen: r.amount_fen, status: r.status, businessDay: r.business_day }));
  const flags = (
    await pool.query<{ store: string; lane: string; kind: string; mode: string | null; business_day: string | null; detail: unknown; at: Date }>(
      `SELECT c.store, c.lane, f.kind, f.mode, f.business_day, f.detail, f.at FROM flags f JOIN counters c ON c.id = f.counter_id
        WHERE f.resolved_at IS NULL ORDER BY f.at DESC LIMIT 200`,
    )
  ).rows.map((f) => ({ store: f.store, lane: f.lane, kind: f.kind, mode: f.mode, businessDay: f.business_day, detail: f.detail, at: f.at.toISOString() }));
  return { day, mode, generatedAt: new Date().toISOString(), totals, stores: [...stores.values()], byPayType, byGateway, unresolved, flags };
}

/** The day's payments and refunds across the chain, for export (one row each). */
export async function dayRows(pool: Pool, day: string, mode: string): Promise<(string | number)[][]> {
  const rows = (
    await pool.query<{
      store: string;
      lane: string;
      kind: string;
      number: string;
      status: string;
      amount_fen: number;
      bucket: string;
      gateway: string | null;
      operator: string | null;
      business_day: string;
    }>(
      `SELECT c.store, c.lane, 'payment' AS kind, p.trade_no AS number, p.status, p.amount_fen, ${BUCKET_SQL} AS bucket, p.gateway, p.operator, p.business_day
         FROM payments p JOIN counters c ON c.id = p.counter_id WHERE p.mode = $2 AND p.business_day = $1
       UNION ALL
       SELECT c.store, c.lane, 'refund', r.refund_no, r.status, r.amount_fen, '', NULL, r.row->>'operator', r.business_day
         FROM refunds r JOIN counters c ON c.id = r.counter_id WHERE r.mode = $2 AND r.business_day = $1
       ORDER BY store, lane, kind, number`,
      [day, mode],
    )
  ).rows;
  return rows.map((r) => [r.store, r.lane, r.kind, r.number, r.status, formatFen(r.amount_fen), r.bucket, r.gateway ?? '', r.operator ?? '', r.business_day]);
}

export const EXPORT_HEADER = ['store', 'lane', 'kind', 'number', 'status', 'amount_yuan', 'pay_type', 'gateway', 'operator', 'business_day'];
