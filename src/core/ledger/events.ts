import { maskSecrets } from '../util/logger';
import { stmt, type Db } from './db';

export type EventEntity = 'app' | 'payment' | 'refund' | 'settings' | 'operator' | 'day' | 'device';

export interface LedgerEvent {
  id: number;
  at: number;
  entity: EventEntity;
  entityId: number | null;
  type: string;
  actor: string | null;
  data: unknown;
}

/** Appends one event; the data is masked before it is stored (the table itself refuses UPDATE/DELETE). */
export function appendEvent(
  db: Db,
  event: { at: number; entity: EventEntity; entityId?: number | null; type: string; actor?: string | null; data?: unknown },
): number {
  const info = stmt(db, 'INSERT INTO events (at, entity, entity_id, type, actor, data) VALUES (?, ?, ?, ?, ?, ?)').run(
    event.at,
    event.entity,
    event.entityId ?? null,
    event.type,
    event.actor ?? null,
    JSON.stringify(maskSecrets(event.data ?? {})),
  );
  return Number(info.lastInsertRowid);
}

interface EventRow {
  id: number;
  at: number;
  entity: EventEntity;
  entity_id: number | null;
  type: string;
  actor: string | null;
  data: string;
}

export function listEvents(db: Db, entity: EventEntity, entityId: number): LedgerEvent[] {
  const rows = stmt(db, 'SELECT * FROM events WHERE entity = ? AND entity_id = ? ORDER BY id').all(entity, entityId) as EventRow[];
  return rows.map((row) => ({
    id: row.id,
    at: row.at,
    entity: row.entity,
    entityId: row.entity_id,
    type: row.type,
    actor: row.actor,
    data: JSON.parse(row.data) as unknown,
  }));
}
