import { stmt, type Db } from './db';

/**
 * A counter per open ledger, raised by every settings or secrets write in this process: the core reads
 * its configuration and mode once and again only when this number moved (see app/state.ts).
 */
const generations = new WeakMap<Db, number>();

export function settingsGeneration(db: Db): number {
  return generations.get(db) ?? 0;
}

/** Called by every writer of the `settings` and `secrets` tables (writeSetting, SecretStore, a headquarters snapshot). */
export function settingsChanged(db: Db): void {
  generations.set(db, settingsGeneration(db) + 1);
}

/** Settings are JSON values under string keys; callers validate what they read with their own schema. */
export function readSetting(db: Db, key: string): unknown {
  const row = stmt(db, 'SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
  return row === undefined ? undefined : (JSON.parse(row.value) as unknown);
}

export function writeSetting(db: Db, key: string, value: unknown, now: number): void {
  stmt(
    db,
    'INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
  ).run(key, JSON.stringify(value), now);
  settingsChanged(db);
}
