/**
 * Ingest: one signed batch from one counter, verified, then inserted and projected in one PostgreSQL
 * transaction. Idempotent by construction: events are keyed by (counter, event id) and inserted with
 * ON CONFLICT DO NOTHING; payment and refund rows replace the stored ones only when they are at least
 * as new (`as_of`), so a resent or late batch never moves state backwards.
 */
import { z } from 'zod';
import type { SecretCipher } from '../core/secrets/cipher';
import {
  COUNTER_HEADER,
  parseCounterLabel,
  SIGNATURE_HEADER,
  signBody,
  SyncBatchSchema,
  verifyBody,
  type SyncAck,
  type SyncBatch,
} from '../core/sync/protocol';
import { ensurePartitions, inTransaction, markPartitionsKnown, type Client, type Pool } from './db';

export interface IngestAnswer {
  status: number;
  body: string;
  /** Present when the answer is signed with the counter's key (the counter trusts only those). */
  signature?: string;
}

interface CounterRow {
  id: number;
  key_cipher: string;
  revoked_at: Date | null;
  hwm: number;
  day_rowid: number;
}

function refusal(status: number, code: string, message: string): IngestAnswer {
  return { status, body: JSON.stringify({ ok: false, hwm: 0, dayRowid: 0, code, message }) };
}

function signed(status: number, ack: SyncAck, key: string): IngestAnswer {
  const body = JSON.stringify(ack);
  return { status, body, signature: signBody(body, key) };
}

export async function counterKey(
  pool: Pool | Client,
  cipher: SecretCipher,
  store: string,
  lane: string,
): Promise<{ row: CounterRow; key: string } | undefined> {
  const result = await pool.query<CounterRow>('SELECT id, key_cipher, revoked_at, hwm, day_rowid FROM counters WHERE store = $1 AND lane = $2', [store, lane]);
  const row = result.rows[0];
  if (row === undefined) return undefined;
  return { row, key: cipher.decrypt(Buffer.from(row.key_cipher, 'base64')) };
}

/** PostgreSQL text and jsonb cannot hold NUL: a counter's NUL (a scanner, a pasted memo) is kept as U+FFFD. */
const clean = (v: string): string => (v.includes('\0') ? v.replaceAll('\0', '\uFFFD') : v);
const str = (v: unknown): string | null => (typeof v === 'string' ? clean(v) : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isSafeInteger(v) ? v : null);

/**
 * JSON text PostgreSQL's jsonb accepts: JSON.stringify writes NUL and lone surrogates as \u escapes
 * (a valid pair is written as itself), which jsonb refuses; both become U+FFFD. An escape is one only
 * after an even number of backslashes (`\\u0000` is a backslash and the text u0000).
 */
const jsonText = (v: unknown): string => JSON.stringify(v ?? null).replace(/(?<!\\)((?:\\\\)*)\\u(?:0000|d[89a-f][0-9a-f]{2})/g, '$1\\ufffd');

/** Event times headquarters stores: from 2000-01-01 to a year past its own clock (a month partition each). */
const EARLIEST_EVENT_AT = Date.UTC(2000, 0, 1);
const LATEST_EVENT_AHEAD_MS = 366 * 86_400_000;

/**
 * The fields of a counter's payment and refund rows that headquarters projects, checked as the
 * ledger's own constraints have them (positive integer fen, known statuses): a row that does not
 * satisfy them refuses the whole batch, rather than being dropped or summed in silence.
 */
const Fen = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const LocalId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const Ms = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).nullish();
const Text = z.string().max(64);
const PaymentRowSchema = z.object({
  id: LocalId,
  trade_no: Text.min(1),
  mode: z.enum(['training', 'live']),
  status: z.enum(['created', 'qr_issued', 'waiting', 'paid', 'failed', 'closed', 'unknown']),
  amount_fen: Fen,
  tender: Text.nullish(),
  gateway: Text.nullish(),
  pay_type: Text.nullish(),
  operator: Text.nullish(),
  business_day: Text,
  created_at: Ms,
  updated_at: Ms,
  paid_at: Ms,
  final_at: Ms,
});
const RefundRowSchema = z.object({
  id: LocalId,
  payment_id: LocalId,
  refund_no: Text.min(1),
  mode: z.enum(['training', 'live']),
  status: z.enum(['created', 'pending', 'succeeded', 'failed', 'unknown']),
  amount_fen: Fen,
  operator: Text.nullish(),
  business_day: Text,
  updated_at: Ms,
  final_at: Ms,
});

/** Why a batch that passed the schema cannot be stored as sent, or undefined when it can. */
function batchProblem(batch: SyncBatch, now: number): string | undefined {
  for (const e of batch.events) {
    if (e.at < EARLIEST_EVENT_AT || e.at > now + LATEST_EVENT_AHEAD_MS) {
      return `event ${e.id}: its time ${e.at} is before 2000 or more than a year after headquarters' clock; check the counter's clock`;
    }
  }
  for (const [name, rows, schema] of [
    ['payments', batch.payments, PaymentRowSchema],
    ['refunds', batch.refunds, RefundRowSchema],
  ] as const) {
    for (const [i, row] of rows.entries()) {
      const parsed = schema.safeParse(row);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return `${name}[${i}].${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'malformed row'}`;
      }
    }
  }
  return undefined;
}

/**
 * A batch PostgreSQL refused for what it holds (data nested too deep to store, a value out of range),
 * not for being unavailable: the same batch would fail again, so it is refused, not retried as a 503.
 */
function isDataError(error: unknown): boolean {
  if (error instanceof RangeError) return true;
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  return /^(22|54)[0-9A-Z]{3}$/.test(code);
}

/** Verifies and ingests one batch. Never throws for bad input: the answer says what was wrong. */
export async function ingestBatch(pool: Pool, cipher: SecretCipher, headers: Record<string, string | undefined>, raw: Buffer): Promise<IngestAnswer> {
  const label = headers[COUNTER_HEADER] ?? '';
  const id = parseCounterLabel(label);
  if (id === undefined) return refusal(400, 'BAD_COUNTER', 'x-counter must be store/lane');
  const found = await counterKey(pool, cipher, id.store, id.lane);
  if (found === undefined) return refusal(403, 'UNKNOWN_COUNTER', `counter ${label} is not registered at headquarters`);
  if (found.row.revoked_at !== null) return refusal(403, 'REVOKED', `counter ${label} was revoked`);
  if (!verifyBody(raw, found.key, headers[SIGNATURE_HEADER] ?? '')) return refusal(401, 'BAD_SIGNATURE', 'the batch signature does not match the counter key');
  // From here on the counter is authenticated: every answer is signed, so it can act on it.
  const ack = (status: number, extra: Partial<SyncAck> & { ok: boolean }, row: { hwm: number; day_rowid: number } = found.row): IngestAnswer =>
    signed(status, { hwm: row.hwm, dayRowid: row.day_rowid, batch: headers[SIGNATURE_HEADER], ...extra }, found.key);
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    return ack(400, { ok: false, code: 'BAD_BATCH', message: 'body is not JSON' });
  }
  const parsed = SyncBatchSchema.safeParse(json);
  if (!parsed.success) return ack(400, { ok: false, code: 'BAD_BATCH', message: parsed.error.issues[0]?.message ?? 'malformed batch' });
  const batch = parsed.data;
  if (batch.counter.store !== id.store || batch.counter.lane !== id.lane) {
    return ack(400, { ok: false, code: 'COUNTER_MISMATCH', message: 'the batch names another counter than its signature' });
  }
  for (let i = 1; i < batch.events.length; i += 1) {
    if (batch.events[i]!.id !== batch.events[i - 1]!.id + 1)
      return ack(400, { ok: false, code: 'BAD_BATCH', message: 'event ids in a batch must be contiguous' });
  }
  const problem = batchProblem(batch, Date.now());
  if (problem !== undefined) return ack(400, { ok: false, code: 'BAD_BATCH', message: problem });
  let created: string[] = [];
  const answer = await inTransaction(pool, async (client) => {
    // One batch per counter at a time: the row lock orders them, and the gap check sees the latest mark.
    const locked = (
      await client.query<{ hwm: number; day_rowid: number; revoked_at: Date | null; key_cipher: string }>(
        'SELECT hwm, day_rowid, revoked_at, key_cipher FROM counters WHERE id = $1 FOR UPDATE',
        [found.row.id],
      )
    ).rows[0]!;
    // Revoked or given a new key while this batch waited for the lock: refused as if it had come after.
    if (locked.revoked_at !== null) return refusal(403, 'REVOKED', `counter ${label} was revoked`);
    if (locked.key_cipher !== found.row.key_cipher) return refusal(401, 'BAD_SIGNATURE', 'the counter key changed; the batch signature does not match it');
    // The counter's ledger holds fewer events than headquarters already has from it: a new machine
    // started under the same name, or a ledger restored from a backup. Its event ids and row ids
    // mean other things now; storing them would mix two ledgers. Refused and flagged until decided.
    if (batch.asOf < locked.hwm) {
      await flag(client, found.row.id, 'ledger_behind', null, null, { hqHolds: locked.hwm, counterHas: batch.asOf });
      return ack(
        409,
        {
          ok: false,
          code: 'LEDGER_BEHIND',
          message: `headquarters holds events up to ${locked.hwm} from ${label}, its ledger has ${batch.asOf}: a replaced or restored ledger; register it under a new lane`,
        },
        locked,
      );
    }
    const first = batch.events[0]?.id;
    if (first !== undefined && first > locked.hwm + 1) {
      await flag(client, found.row.id, 'gap', null, null, { expectedFrom: locked.hwm + 1, got: first });
      return ack(409, { ok: false, code: 'GAP', message: `events ${locked.hwm + 1}..${first - 1} are missing; resend from ${locked.hwm + 1}` }, locked);
    }
    created = await ensurePartitions(
      client,
      batch.events.map((e) => e.at),
    );
    await insertEvents(client, found.row.id, batch);
    await projectPayments(client, found.row.id, batch);
    await projectRefunds(client, found.row.id, batch);
    const days = await projectDays(client, found.row.id, batch);
    const last = batch.events.at(-1)?.id ?? locked.hwm;
    const dayRowid = Math.max(locked.day_rowid, ...batch.dayReports.map((d) => d.rowid));
    const updated = (
      await client.query<{ hwm: number; day_rowid: number }>(
        `UPDATE counters SET hwm = GREATEST(hwm, $2), day_rowid = $3, backlog = $4, last_contact_at = now(),
           last_event_at = GREATEST(coalesce(last_event_at, 0), $5) WHERE id = $1 RETURNING hwm, day_rowid`,
        [found.row.id, last, dayRowid, batch.backlog, batch.events.at(-1)?.at ?? 0],
      )
    ).rows[0]!;
    await resolveGapFlag(client, found.row.id);
    await checkLanes(client, found.row.id, batch);
    for (const day of days) await reconcileDay(client, found.row.id, day.mode, day.businessDay);
    await checkRefundsWithinPayments(client, found.row.id, batch);
    return ack(200, { ok: true }, updated);
  }).catch((error: unknown) => {
    // All or nothing: the transaction was rolled back. Only a refusal of the data itself is answered here.
    if (!isDataError(error)) throw error;
    return ack(400, {
      ok: false,
      code: 'BAD_BATCH',
      message: `headquarters cannot store this batch: ${error instanceof Error ? error.message : String(error)}`,
    });
  });
  if (answer.status === 200) markPartitionsKnown(created);
  return answer;
}

async function insertEvents(client: Client, counterId: number, batch: SyncBatch): Promise<void> {
  if (batch.events.length === 0) return;
  const e = batch.events;
  await client.query(
    `INSERT INTO events (counter_id, event_id, at, entity, entity_id, type, actor, data)
     SELECT $1, u.event_id, to_timestamp(u.at / 1000.0), u.entity, u.entity_id, u.type, u.actor, u.data
       FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::jsonb[])
         AS u(event_id, at, entity, entity_id, type, actor, data)
     ON CONFLICT DO NOTHING`,
    [
      counterId,
      e.map((x) => x.id),
      e.map((x) => x.at),
      e.map((x) => clean(x.entity)),
      e.map((x) => x.entityId),
      e.map((x) => clean(x.type)),
      e.map((x) => str(x.actor)),
      e.map((x) => jsonText(x.data)),
    ],
  );
}

async function projectPayments(client: Client, counterId: number, batch: SyncBatch): Promise<void> {
  const rows = batch.payments.filter((r) => num(r.id) !== null && str(r.trade_no) !== null && num(r.amount_fen) !== null);
  if (rows.length === 0) return;
  await client.query(
    `INSERT INTO payments (counter_id, local_id, as_of, trade_no, mode, tender, gateway, status, amount_fen, pay_type, operator,
                           business_day, created_at, paid_at, final_at, row)
     SELECT $1, u.* FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bigint[],
                                $10::text[], $11::text[], $12::text[], $13::bigint[], $14::bigint[], $15::bigint[], $16::jsonb[]) AS u
     ON CONFLICT (counter_id, local_id) DO UPDATE SET
       as_of = excluded.as_of, status = excluded.status, amount_fen = excluded.amount_fen, pay_type = excluded.pay_type,
       tender = excluded.tender, gateway = excluded.gateway, operator = excluded.operator, business_day = excluded.business_day,
       paid_at = excluded.paid_at, final_at = excluded.final_at, row = excluded.row, projected_at = now()
     WHERE payments.as_of <= excluded.as_of`,
    [
      counterId,
      rows.map((r) => r.id),
      rows.map(() => batch.asOf),
      rows.map((r) => str(r.trade_no)),
      rows.map((r) => str(r.mode) ?? 'live'),
      rows.map((r) => str(r.tender)),
      rows.map((r) => str(r.gateway)),
      rows.map((r) => str(r.status) ?? 'unknown'),
      rows.map((r) => num(r.amount_fen)),
      rows.map((r) => str(r.pay_type)),
      rows.map((r) => str(r.operator)),
      rows.map((r) => str(r.business_day) ?? ''),
      rows.map((r) => num(r.created_at)),
      rows.map((r) => num(r.paid_at)),
      rows.map((r) => num(r.final_at)),
      rows.map((r) => jsonText(r)),
    ],
  );
}

async function projectRefunds(client: Client, counterId: number, batch: SyncBatch): Promise<void> {
  const rows = batch.refunds.filter((r) => num(r.id) !== null && num(r.payment_id) !== null && num(r.amount_fen) !== null);
  if (rows.length === 0) return;
  await client.query(
    `INSERT INTO refunds (counter_id, local_id, payment_local_id, as_of, refund_no, mode, status, amount_fen, business_day, final_at, row)
     SELECT $1, u.* FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::text[],
                                $10::bigint[], $11::jsonb[]) AS u
     ON CONFLICT (counter_id, local_id) DO UPDATE SET
       as_of = excluded.as_of, status = excluded.status, amount_fen = excluded.amount_fen, business_day = excluded.business_day,
       final_at = excluded.final_at, row = excluded.row, projected_at = now()
     WHERE refunds.as_of <= excluded.as_of`,
    [
      counterId,
      rows.map((r) => r.id),
      rows.map((r) => r.payment_id),
      rows.map(() => batch.asOf),
      rows.map((r) => str(r.refund_no) ?? ''),
      rows.map((r) => str(r.mode) ?? 'live'),
      rows.map((r) => str(r.status) ?? 'unknown'),
      rows.map((r) => num(r.amount_fen)),
      rows.map((r) => str(r.business_day) ?? ''),
      rows.map((r) => num(r.final_at)),
      rows.map((r) => jsonText(r)),
    ],
  );
}

/** Records activity per business day and stores newly frozen day reports; returns the days to reconcile. */
async function projectDays(client: Client, counterId: number, batch: SyncBatch): Promise<{ mode: string; businessDay: string }[]> {
  const touched = new Map<string, { mode: string; businessDay: string; at: number }>();
  for (const r of [...batch.payments, ...batch.refunds]) {
    const mode = str(r.mode);
    const day = str(r.business_day);
    if (mode === null || day === null) continue;
    const at = num(r.updated_at) ?? 0;
    const k = `${mode}|${day}`;
    const prev = touched.get(k);
    if (prev === undefined || prev.at < at) touched.set(k, { mode, businessDay: day, at });
  }
  for (const d of touched.values()) {
    await client.query(
      `INSERT INTO counter_days (counter_id, mode, business_day, last_event_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (counter_id, mode, business_day) DO UPDATE SET last_event_at = GREATEST(coalesce(counter_days.last_event_at, 0), excluded.last_event_at)`,
      [counterId, d.mode, d.businessDay, d.at],
    );
  }
  for (const report of batch.dayReports) {
    await client.query(
      `INSERT INTO counter_days (counter_id, mode, business_day, closed_at, report) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (counter_id, mode, business_day) DO UPDATE SET closed_at = excluded.closed_at, report = excluded.report`,
      [counterId, clean(report.mode), clean(report.businessDay), report.closedAt, jsonText(report.report)],
    );
    touched.set(`${report.mode}|${report.businessDay}`, { mode: report.mode, businessDay: report.businessDay, at: report.closedAt });
  }
  return [...touched.values()];
}

async function flag(client: Client, counterId: number, kind: string, mode: string | null, businessDay: string | null, detail: unknown): Promise<void> {
  await client.query(
    `INSERT INTO flags (counter_id, kind, mode, business_day, detail) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (counter_id, kind, coalesce(mode, ''), coalesce(business_day, '')) WHERE resolved_at IS NULL DO UPDATE SET detail = excluded.detail, at = now()`,
    [counterId, kind, mode, businessDay, JSON.stringify(detail)],
  );
}

/**
 * Uses the lane code in order numbers: records the counter's order lane; flags `lane_shared` while
 * another active counter of the same store reports the same lane (they could make the same number),
 * and `number_collision` when a payment or refund number of this batch is also another counter's.
 * Rows stay per counter either way: nothing is overwritten, the flag tells someone to fix the lanes.
 */
async function checkLanes(client: Client, counterId: number, batch: SyncBatch): Promise<void> {
  if (batch.orderLane !== undefined) {
    await client.query('UPDATE counters SET order_lane = $2 WHERE id = $1', [counterId, batch.orderLane]);
    const shared = (
      await client.query<{ label: string }>(
        `SELECT o.store || '/' || o.lane AS label FROM counters o JOIN counters c ON c.id = $1
          WHERE o.id <> c.id AND o.store = c.store AND o.order_lane = $2 AND o.revoked_at IS NULL ORDER BY o.lane`,
        [counterId, batch.orderLane],
      )
    ).rows.map((r) => r.label);
    if (shared.length > 0) await flag(client, counterId, 'lane_shared', null, null, { orderLane: batch.orderLane, alsoUsedBy: shared });
    else await client.query("UPDATE flags SET resolved_at = now() WHERE counter_id = $1 AND kind = 'lane_shared' AND resolved_at IS NULL", [counterId]);
  }
  const tradeNos = batch.payments.map((r) => str(r.trade_no)).filter((v): v is string => v !== null);
  const refundNos = batch.refunds.map((r) => str(r.refund_no)).filter((v): v is string => v !== null);
  if (tradeNos.length === 0 && refundNos.length === 0) return;
  const clashes = (
    await client.query<{ number: string; label: string }>(
      `SELECT p.trade_no AS number, c.store || '/' || c.lane AS label FROM payments p JOIN counters c ON c.id = p.counter_id
        WHERE p.trade_no = ANY($2::text[]) AND p.counter_id <> $1
       UNION
       SELECT r.refund_no, c.store || '/' || c.lane FROM refunds r JOIN counters c ON c.id = r.counter_id
        WHERE r.refund_no = ANY($3::text[]) AND r.counter_id <> $1
       ORDER BY 1, 2 LIMIT 50`,
      [counterId, tradeNos, refundNos],
    )
  ).rows;
  if (clashes.length > 0) await flag(client, counterId, 'number_collision', null, null, { numbers: clashes });
}

/**
 * A counter never lets the refunds of a payment (any not failed) exceed what was paid. Headquarters
 * checks its own projection after each batch with refunds and flags `refund_exceeds_payment` for the
 * payments where they do (or whose payment it does not hold); the rows are kept as the counter sent
 * them, and the flag is resolved once newer rows agree.
 */
async function checkRefundsWithinPayments(client: Client, counterId: number, batch: SyncBatch): Promise<void> {
  if (batch.refunds.length === 0) return;
  const over = (
    await client.query<{ payment: number; trade_no: string | null; paid_fen: number | null; refunded_fen: number }>(
      `SELECT r.payment_local_id AS payment, p.trade_no, p.amount_fen AS paid_fen, sum(r.amount_fen)::bigint AS refunded_fen
         FROM refunds r LEFT JOIN payments p ON p.counter_id = r.counter_id AND p.local_id = r.payment_local_id
        WHERE r.counter_id = $1 AND r.status <> 'failed'
        GROUP BY r.payment_local_id, p.trade_no, p.amount_fen
       HAVING p.amount_fen IS NULL OR sum(r.amount_fen) > p.amount_fen
        ORDER BY r.payment_local_id LIMIT 20`,
      [counterId],
    )
  ).rows;
  if (over.length > 0) {
    await flag(client, counterId, 'refund_exceeds_payment', null, null, {
      payments: over.map((o) => ({ payment: o.payment, tradeNo: o.trade_no, paidFen: o.paid_fen, refundedFen: o.refunded_fen })),
    });
  } else {
    await client.query("UPDATE flags SET resolved_at = now() WHERE counter_id = $1 AND kind = 'refund_exceeds_payment' AND resolved_at IS NULL", [counterId]);
  }
}

async function resolveGapFlag(client: Client, counterId: number): Promise<void> {
  await client.query("UPDATE flags SET resolved_at = now() WHERE counter_id = $1 AND kind = 'gap' AND resolved_at IS NULL", [counterId]);
}

interface Totals {
  paidCount: number;
  paidFen: number;
  refundCount: number;
  refundFen: number;
}

/** Headquarters' own totals for a counter's day, counting only what was final when the day was frozen. */
export async function projectedTotals(client: Client | Pool, counterId: number, mode: string, day: string, asOfMs: number | null): Promise<Totals> {
  const cut = asOfMs ?? Number.MAX_SAFE_INTEGER;
  const p = (
    await client.query<{ n: number; fen: number }>(
      `SELECT count(*)::bigint AS n, coalesce(sum(amount_fen), 0)::bigint AS fen FROM payments
        WHERE counter_id = $1 AND mode = $2 AND business_day = $3 AND status = 'paid' AND coalesce(paid_at, final_at, 0) <= $4`,
      [counterId, mode, day, cut],
    )
  ).rows[0]!;
  const r = (
    await client.query<{ n: number; fen: number }>(
      `SELECT count(*)::bigint AS n, coalesce(sum(amount_fen), 0)::bigint AS fen FROM refunds
        WHERE counter_id = $1 AND mode = $2 AND business_day = $3 AND status = 'succeeded' AND coalesce(final_at, 0) <= $4`,
      [counterId, mode, day, cut],
    )
  ).rows[0]!;
  return { paidCount: p.n, paidFen: p.fen, refundCount: r.n, refundFen: r.fen };
}

function reportTotals(report: unknown): Totals | undefined {
  const totals = (report as { totals?: Record<string, unknown> } | null)?.totals;
  if (totals === undefined || totals === null) return undefined;
  const pick = (k: keyof Totals): number | null => num(totals[k]);
  const t = { paidCount: pick('paidCount'), paidFen: pick('paidFen'), refundCount: pick('refundCount'), refundFen: pick('refundFen') };
  return Object.values(t).every((v) => v !== null) ? (t as Totals) : undefined;
}

/**
 * Compares a counter's frozen day report with headquarters' projection of the same day. A difference
 * (events not yet arrived, or a report that does not add up) is flagged; it is resolved automatically
 * once the projection agrees to the fen.
 */
async function reconcileDay(client: Client, counterId: number, mode: string, day: string): Promise<void> {
  const row = (
    await client.query<{ closed_at: number | null; report: unknown }>(
      'SELECT closed_at, report FROM counter_days WHERE counter_id = $1 AND mode = $2 AND business_day = $3',
      [counterId, mode, day],
    )
  ).rows[0];
  if (row === undefined || row.closed_at === null) return;
  const reported = reportTotals(row.report);
  const projected = await projectedTotals(client, counterId, mode, day, row.closed_at);
  const same = reported !== undefined && (Object.keys(projected) as (keyof Totals)[]).every((k) => projected[k] === reported[k]);
  if (same) {
    await client.query(
      "UPDATE flags SET resolved_at = now() WHERE counter_id = $1 AND kind = 'report_mismatch' AND mode = $2 AND business_day = $3 AND resolved_at IS NULL",
      [counterId, mode, day],
    );
  } else {
    await flag(client, counterId, 'report_mismatch', mode, day, { reported: reported ?? null, projected });
  }
}
