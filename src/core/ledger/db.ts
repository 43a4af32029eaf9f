import Database from 'better-sqlite3';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { AppError } from '../../shared/errors';
import { asLedgerError } from './errors';
import { makePrivate, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../util/private-files';
import { LATEST_VERSION, MIGRATIONS, type Migration } from './migrations';

export type Db = Database.Database;

export const LEDGER_FILE = 'ledger.sqlite';

/**
 * Opens (creating if needed) the ledger at `file`: WAL, synchronous=FULL (a paid sale survives a power
 * cut once its commit returns), foreign keys on, then migrates to the latest version.
 * Throws LEDGER_TOO_NEW for a database written by a newer version of the app, which we refuse to touch.
 */
export function openLedger(file: string, options: { migrations?: readonly Migration[]; targetVersion?: number; busyTimeoutMs?: number } = {}): Db {
  if (file !== ':memory:') {
    mkdirSync(dirname(file), { recursive: true, mode: PRIVATE_DIR_MODE });
    // Created owner-only before SQLite opens it: its -wal and -shm inherit the ledger's mode.
    if (!existsSync(file)) writeFileSync(file, '', { mode: PRIVATE_FILE_MODE, flag: 'wx' });
  }
  const db = new Database(file);
  try {
    // A short busy timeout: better-sqlite3 waits synchronously, so a long one freezes the whole app
    // while another program (a backup tool, antivirus) holds the lock. A write that meets the lock fails
    // fast with LEDGER_BUSY; the engine retries its scheduled steps with backoff.
    db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? LEDGER_BUSY_TIMEOUT_MS}`);
    db.pragma('journal_mode = WAL');
    if (file !== ':memory:') makePrivate(file, `${file}-wal`, `${file}-shm`);
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    migrate(db, options.migrations ?? MIGRATIONS, options.targetVersion ?? LATEST_VERSION);
    return db;
  } catch (error) {
    db.close();
    throw asLedgerError(error);
  }
}

/** How long one ledger statement waits for another program's lock before failing with LEDGER_BUSY. */
export const LEDGER_BUSY_TIMEOUT_MS = 200;

/**
 * Opens the ledger, waiting while another program holds its lock: each busy attempt is reported
 * (`onBusy`, e.g. "ledger busy, retrying" on the start-up screen and in the log) and retried with
 * backoff, instead of failing the start. Other errors are thrown at once.
 */
export async function openLedgerWaiting(
  file: string,
  options: { onBusy?: (error: AppError, attempt: number) => void; sleep?: (ms: number) => Promise<void>; maxWaitMs?: number } = {},
): Promise<Db> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  return waitWhileBusy(
    () => {
      const db = openLedger(file);
      try {
        // A ledger that opens may still be write-locked: the start writes (events, provisioning), so wait here.
        db.prepare('BEGIN IMMEDIATE').run();
        db.prepare('ROLLBACK').run();
        return db;
      } catch (error) {
        db.close();
        throw asLedgerError(error);
      }
    },
    { ...options, sleep },
  );
}

/** Runs `fn` until it does not fail with LEDGER_BUSY (backoff 100 ms → 2 s); gives up after `maxWaitMs` if set. */
export async function waitWhileBusy<T>(
  fn: () => T,
  options: { onBusy?: (error: AppError, attempt: number) => void; sleep: (ms: number) => Promise<void>; maxWaitMs?: number },
): Promise<T> {
  let waited = 0;
  for (let attempt = 0; ; attempt++) {
    try {
      return fn();
    } catch (error) {
      const mapped = asLedgerError(error);
      if (!(mapped instanceof AppError) || mapped.code !== 'LEDGER_BUSY') throw mapped;
      if (options.maxWaitMs !== undefined && waited >= options.maxWaitMs) throw mapped;
      options.onBusy?.(mapped, attempt);
      const delay = Math.min(2000, 100 * 2 ** attempt);
      waited += delay;
      await options.sleep(delay);
    }
  }
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Applies every migration above the current `user_version` up to `target`, each in its own transaction. */
export function migrate(db: Db, migrations: readonly Migration[], target: number): void {
  const current = schemaVersion(db);
  const known = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  if (current > known) {
    throw new AppError('LEDGER_TOO_NEW', `the ledger is at schema ${current}, this app knows up to ${known}; refusing to open it`);
  }
  const pending = [...migrations].filter((m) => m.version > current && m.version <= target).sort((a, b) => a.version - b.version);
  for (const migration of pending) {
    const foreignKeys = db.pragma('foreign_keys', { simple: true }) as number;
    // Outside the transaction: SQLite ignores this pragma inside one.
    if (migration.rebuildsTables === true) db.pragma('foreign_keys = OFF');
    try {
      db.transaction(() => {
        db.exec(migration.sql);
        if (migration.rebuildsTables === true) {
          const broken = db.pragma('foreign_key_check') as unknown[];
          if (broken.length > 0)
            throw new AppError(
              'LEDGER_CORRUPT',
              `migration ${migration.version} would break ${broken.length} references; nothing was changed — restore the latest backup or call support`,
            );
        }
        db.pragma(`user_version = ${migration.version}`);
      })();
    } finally {
      if (migration.rebuildsTables === true) db.pragma(`foreign_keys = ${foreignKeys === 1 ? 'ON' : 'OFF'}`);
    }
  }
}

const statementCache = new WeakMap<Db, Map<string, Database.Statement>>();

/**
 * A prepared statement for `sql`, compiled once per connection. Hot paths (every payment writes and
 * reads a few rows) would otherwise recompile the same SQL each time.
 */
export function stmt(db: Db, sql: string): Database.Statement {
  let cache = statementCache.get(db);
  if (cache === undefined) {
    cache = new Map();
    statementCache.set(db, cache);
  }
  let statement = cache.get(sql);
  if (statement === undefined) {
    statement = db.prepare(sql);
    cache.set(sql, statement);
  }
  return statement;
}
