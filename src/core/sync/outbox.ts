/**
 * Reading the outbox: the counter's append-only event log, from the last event headquarters
 * acknowledged, with the current rows of what those events touch. One read transaction, so the rows
 * and `asOf` describe one moment of the ledger.
 */
import type { Db } from '../ledger/db';
import { stmt } from '../ledger/db';
import { storedLaneCode } from '../ledger/lane';
import { BATCH_EVENTS, type CounterId, type SyncBatch, type SyncEvent } from './protocol';

export const SYNC_TARGET = 'hq';

export interface SyncCursor {
  ackedEventId: number;
  ackedDayRowid: number;
}

export interface SyncStateRow extends SyncCursor {
  lastOkAt: number | null;
  lastAttemptAt: number | null;
  lastError: string | null;
  snapshotVersion: number;
}

interface EventRow {
  id: number;
  at: number;
  entity: string;
  entity_id: number | null;
  type: string;
  actor: string | null;
  data: string;
}

export function readSyncState(db: Db, target = SYNC_TARGET): SyncStateRow {
  const row = stmt(db, 'SELECT * FROM sync_state WHERE target = ?').get(target) as
    | {
        acked_event_id: number;
        acked_day_rowid: number;
        last_ok_at: number | null;
        last_attempt_at: number | null;
        last_error: string | null;
        snapshot_version: number;
      }
    | undefined;
  return {
    ackedEventId: row?.acked_event_id ?? 0,
    ackedDayRowid: row?.acked_day_rowid ?? 0,
    lastOkAt: row?.last_ok_at ?? null,
    lastAttemptAt: row?.last_attempt_at ?? null,
    lastError: row?.last_error ?? null,
    snapshotVersion: row?.snapshot_version ?? 0,
  };
}

/** Records an attempt's outcome. The acknowledged marks only move forward. */
export function recordSyncAttempt(
  db: Db,
  at: number,
  outcome: { ok: true; hwm: number; dayRowid: number } | { ok: false; error: string },
  target = SYNC_TARGET,
): void {
  stmt(db, 'INSERT INTO sync_state (target) VALUES (?) ON CONFLICT (target) DO NOTHING').run(target);
  if (outcome.ok) {
    stmt(
      db,
      `UPDATE sync_state SET acked_event_id = max(acked_event_id, ?), acked_day_rowid = max(acked_day_rowid, ?),
         last_ok_at = ?, last_attempt_at = ?, last_error = NULL WHERE target = ?`,
    ).run(outcome.hwm, outcome.dayRowid, at, at, target);
  } else {
    stmt(db, 'UPDATE sync_state SET last_attempt_at = ?, last_error = ? WHERE target = ?').run(at, outcome.error.slice(0, 300), target);
  }
}

/**
 * Headquarters answered that it holds less than we thought (e.g. its database was restored from a
 * backup): start again from its mark. Resending is harmless — ingest is idempotent.
 */
export function rewindSyncState(db: Db, hwm: number, dayRowid: number, target = SYNC_TARGET): void {
  stmt(db, 'INSERT INTO sync_state (target) VALUES (?) ON CONFLICT (target) DO NOTHING').run(target);
  stmt(db, 'UPDATE sync_state SET acked_event_id = ?, acked_day_rowid = ? WHERE target = ?').run(hwm, dayRowid, target);
}

export function latestEventId(db: Db): number {
  return (stmt(db, 'SELECT coalesce(max(id), 0) AS id FROM events').get() as { id: number }).id;
}

function rowsByIds(db: Db, table: 'payments' | 'refunds', ids: number[]): Record<string, unknown>[] {
  if (ids.length === 0) return [];
  // json_each keeps one prepared statement whatever the number of ids.
  return stmt(db, `SELECT * FROM ${table} WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id`).all(JSON.stringify(ids)) as Record<string, unknown>[];
}

/** The next batch after `cursor`, or undefined when there is nothing new. */
export function readBatch(db: Db, counter: CounterId, cursor: SyncCursor, sentAt: number, limit = BATCH_EVENTS): SyncBatch | undefined {
  return db.transaction(() => {
    const asOf = latestEventId(db);
    const rows = stmt(db, 'SELECT * FROM events WHERE id > ? AND id <= ? ORDER BY id LIMIT ?').all(cursor.ackedEventId, asOf, limit) as EventRow[];
    const dayRows = stmt(db, 'SELECT rowid, mode, business_day, closed_at, report FROM day_reports WHERE rowid > ? ORDER BY rowid LIMIT 20').all(
      cursor.ackedDayRowid,
    ) as {
      rowid: number;
      mode: string;
      business_day: string;
      closed_at: number;
      report: string;
    }[];
    if (rows.length === 0 && dayRows.length === 0) return undefined;
    const events: SyncEvent[] = rows.map((row) => ({
      id: row.id,
      at: row.at,
      entity: row.entity,
      entityId: row.entity_id,
      type: row.type,
      actor: row.actor,
      data: JSON.parse(row.data) as unknown,
    }));
    const touched = (entity: string): number[] => [
      ...new Set(rows.filter((r) => r.entity === entity && r.entity_id !== null).map((r) => r.entity_id as number)),
    ];
    const refunds = rowsByIds(db, 'refunds', touched('refund'));
    // A refund's payment travels with it (its refunded total changes with the refund).
    const paymentIds = [...new Set([...touched('payment'), ...refunds.map((r) => r.payment_id as number)])];
    const last = rows.at(-1)?.id ?? cursor.ackedEventId;
    const orderLane = storedLaneCode(db);
    return {
      version: 1 as const,
      counter,
      sentAt,
      asOf,
      backlog: Math.max(0, asOf - last),
      // Read only: building a batch never writes (a lane is stored at the counter's first start).
      ...(orderLane === undefined ? {} : { orderLane }),
      events,
      payments: rowsByIds(db, 'payments', paymentIds),
      refunds,
      dayReports: dayRows.map((d) => ({
        rowid: d.rowid,
        mode: d.mode,
        businessDay: d.business_day,
        closedAt: d.closed_at,
        report: JSON.parse(d.report) as unknown,
      })),
    };
  })();
}
