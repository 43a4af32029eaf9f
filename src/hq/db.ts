/**
 * Headquarters' PostgreSQL access: a pool, the migrations (serialised across HQ instances by an
 * advisory lock, so several stateless HQ services can start against one database), and the monthly
 * partitions of the event table, created on demand inside the transaction that needs them.
 */
import pg from 'pg';
import { HQ_MIGRATIONS, type HqMigration } from './migrations';

export type Pool = pg.Pool;
export type Client = pg.PoolClient;

/** BIGINT columns come back as JS numbers: every value we store (fen, ms, ids) is a safe integer. */
pg.types.setTypeParser(20, (value: string) => Number(value));

const MIGRATION_LOCK = 7_305_001;

export function createPool(connectionString: string, max = 10): Pool {
  const pool = new pg.Pool({ connectionString, max, idleTimeoutMillis: 30_000, connectionTimeoutMillis: 10_000 });
  // An idle client's error (the server restarted) must not crash the service: the pool drops it.
  pool.on('error', () => undefined);
  return pool;
}

export async function migrateHq(pool: Pool, migrations: readonly HqMigration[] = HQ_MIGRATIONS): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS hq_schema (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())');
    const done = new Set((await client.query<{ version: number }>('SELECT version FROM hq_schema')).rows.map((r) => r.version));
    const known = Math.max(0, ...migrations.map((m) => m.version));
    const newest = Math.max(0, ...done);
    if (newest > known) throw new Error(`headquarters database is at schema ${newest}; this service knows up to ${known}`);
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(migration.version)) continue;
      await client.query('BEGIN');
      try {
        await client.query(migration.sql);
        await client.query('INSERT INTO hq_schema (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      }
    }
    return known;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    client.release();
  }
}

/** `events_y2026m12` and its [start, end) bounds for the month of `ms` (UTC). */
export function partitionFor(ms: number): { name: string; from: string; to: string } {
  const d = new Date(ms);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  const from = new Date(Date.UTC(y, m, 1)).toISOString();
  const to = new Date(Date.UTC(y, m + 1, 1)).toISOString();
  return { name: `events_y${y}m${String(m + 1).padStart(2, '0')}`, from, to };
}

const knownPartitions = new Set<string>();

/**
 * Creates the monthly partitions the given event times need (idempotent, safe under concurrency).
 * Returns the names it checked; call markPartitionsKnown with them after the transaction commits.
 */
export async function ensurePartitions(client: Client, times: readonly number[]): Promise<string[]> {
  const wanted = new Map<string, { name: string; from: string; to: string }>();
  for (const t of times) {
    const p = partitionFor(t);
    if (!knownPartitions.has(p.name)) wanted.set(p.name, p);
  }
  for (const p of wanted.values()) {
    // Two ingests creating the same month at once: the advisory lock serialises them, IF NOT EXISTS makes it idempotent.
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [MIGRATION_LOCK, p.name]);
    await client.query(`CREATE TABLE IF NOT EXISTS ${p.name} PARTITION OF events FOR VALUES FROM ('${p.from}') TO ('${p.to}')`);
  }
  return [...wanted.keys()];
}

export function markPartitionsKnown(names: readonly string[]): void {
  for (const name of names) knownPartitions.add(name);
}

/** Forgets the partition cache (tests that drop and recreate the schema). */
export function resetPartitionCache(): void {
  knownPartitions.clear();
}

export async function inTransaction<T>(pool: Pool, work: (client: Client) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
