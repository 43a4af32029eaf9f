/**
 * The counter → headquarters sync protocol, shared by the counter's pusher (src/core/sync) and the
 * headquarters service (src/hq).
 *
 * A counter's append-only event log is its outbox. A batch carries a contiguous run of events (SQLite
 * rowids of an append-only table are contiguous: nothing is ever deleted) plus the current rows of the
 * payments and refunds those events touch and any newly frozen day reports. Rows carry `asOf`, the
 * highest event id that existed when they were read, so headquarters keeps the newest state whatever
 * order (or how often) batches arrive: delivery is at least once, the effect exactly once.
 *
 * Each batch is signed with the counter's own key: HMAC-SHA256 over the exact body bytes, hex, in the
 * `x-counter-signature` header, the counter named in `x-counter` (store/lane). The body names the
 * counter too, and headquarters refuses a body whose counter differs from the header's.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

export const COUNTER_HEADER = 'x-counter';
export const SIGNATURE_HEADER = 'x-counter-signature';
/** Largest batch body headquarters accepts (bytes). */
export const MAX_BATCH_BYTES = 4 * 1024 * 1024;
/** Events per batch the pusher sends. */
export const BATCH_EVENTS = 500;

const CodeSchema = z.string().regex(/^[A-Za-z0-9_-]{1,16}$/, 'letters, digits, _ and - (1–16)');
export const CounterIdSchema = z.object({ store: CodeSchema, lane: CodeSchema }).strict();
export type CounterId = z.output<typeof CounterIdSchema>;

export const SyncEventSchema = z.object({
  id: z.number().int().positive(),
  at: z.number().int().nonnegative(),
  entity: z.string().min(1).max(32),
  entityId: z.number().int().nullable(),
  type: z.string().min(1).max(64),
  actor: z.string().max(64).nullable(),
  data: z.unknown(),
});
export type SyncEvent = z.output<typeof SyncEventSchema>;

/** A ledger row as SQLite returns it (snake_case columns); headquarters reads the fields it projects. */
const RowSchema = z.record(z.string(), z.unknown());

export const SyncBatchSchema = z.object({
  version: z.literal(1),
  counter: CounterIdSchema,
  /** When the counter built the batch (ms since epoch, the counter's clock). */
  sentAt: z.number().int(),
  /** The highest event id in the counter's ledger when the batch was read. */
  asOf: z.number().int().nonnegative(),
  /** Events still waiting behind this batch (the counter's backlog, for the dashboard's lag). */
  backlog: z.number().int().nonnegative(),
  /** The lane code in this counter's order numbers (absent from counters older than lanes). */
  orderLane: z
    .string()
    .regex(/^\d{2}$/)
    .optional(),
  events: z.array(SyncEventSchema).max(BATCH_EVENTS),
  payments: z.array(RowSchema),
  refunds: z.array(RowSchema),
  dayReports: z.array(
    z.object({ rowid: z.number().int().positive(), mode: z.string(), businessDay: z.string(), closedAt: z.number().int(), report: z.unknown() }),
  ),
});
export type SyncBatch = z.output<typeof SyncBatchSchema>;

export const SyncAckSchema = z.object({
  ok: z.boolean(),
  /** The highest event id headquarters holds for this counter with nothing missing below it. */
  hwm: z.number().int().nonnegative(),
  /** The highest day-report rowid headquarters holds for this counter. */
  dayRowid: z.number().int().nonnegative(),
  /**
   * The signature of the batch this answers (its `x-counter-signature`): binds the answer to the
   * batch, so a recorded answer replayed to another batch (a fresh ledger under the same key) counts
   * for nothing. Absent only on answers to a batch whose signature did not verify (never signed).
   */
  batch: z.string().optional(),
  code: z.string().optional(),
  message: z.string().optional(),
});
export type SyncAck = z.output<typeof SyncAckSchema>;

/** HMAC-SHA256 of `body` with `key`, lower-case hex. */
export function signBody(body: Uint8Array | string, key: string): string {
  return createHmac('sha256', key).update(body).digest('hex');
}

/** Constant-time check of a hex signature over `body`. */
export function verifyBody(body: Uint8Array | string, key: string, signature: string): boolean {
  if (!/^[0-9a-f]{64}$/.test(signature)) return false;
  const expected = Buffer.from(signBody(body, key), 'hex');
  return timingSafeEqual(expected, Buffer.from(signature, 'hex'));
}

export function counterLabel(id: CounterId): string {
  return `${id.store}/${id.lane}`;
}

export function parseCounterLabel(label: string): CounterId | undefined {
  const [store, lane, ...rest] = label.split('/');
  const parsed = CounterIdSchema.safeParse({ store, lane });
  return rest.length === 0 && parsed.success ? parsed.data : undefined;
}

/**
 * The snapshot headquarters publishes to counters (pulled, versioned). Its answer to a pull also
 * carries `answers`, the pull's own signature (inside the signed body), which the counter requires.
 */
export const HqSnapshotSchema = z.object({
  version: z.number().int().positive(),
  shopName: z.string().max(64).optional(),
  receiptHeader: z.string().max(500).optional(),
  receiptFooter: z.string().max(500).optional(),
  maxAmountFen: z.number().int().positive().optional(),
  operators: z
    .array(
      z.object({
        code: z.string().regex(/^[0-9A-Za-z]{1,16}$/),
        name: z.string().min(1).max(32),
        role: z.enum(['cashier', 'supervisor', 'manager']),
        pinHash: z.string().regex(/^scrypt\$/),
        active: z.boolean(),
      }),
    )
    .optional(),
});
export type HqSnapshot = z.output<typeof HqSnapshotSchema>;
