/**
 * Automatic ledger backups: a consistent copy made with SQLite's online backup (better-sqlite3's
 * `db.backup()`: pages are copied while the counter keeps working, and the copy is a complete ledger,
 * WAL included) into `<dataDir>/backups/`, at each day close and once a day. Copies older than
 * `keepDays` are deleted, the newest one never. Restoring is a file copy (README: "Restoring a backup").
 */
import { readdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { BackupsSchema, type BackupsSettings } from '../../shared/settings';
import { ensurePrivateDir, makePrivate } from '../util/private-files';
import type { Db } from './db';
import { appendEvent } from './events';
import { BACKUP_DIR } from './identity';
import { readSetting } from './settings';

export const BACKUPS_SETTING = 'backups';
const NAME = /^ledger-(\d{8})-(\d{6})-([a-z-]+)\.sqlite$/;
const DAY_MS = 86_400_000;

export function readBackupsSettings(db: Db): BackupsSettings {
  const parsed = BackupsSchema.safeParse(readSetting(db, BACKUPS_SETTING) ?? {});
  return parsed.success ? parsed.data : BackupsSchema.parse({});
}

export interface BackupFile {
  file: string;
  name: string;
  /** When the copy was made (from its name, UTC). */
  at: number;
  reason: string;
  bytes: number;
}

function stamp(at: number): string {
  const iso = new Date(at).toISOString(); // 2026-05-01T02:00:00.000Z
  return `${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}`;
}

function parseStamp(date: string, time: string): number {
  return Date.UTC(
    Number(date.slice(0, 4)),
    Number(date.slice(4, 6)) - 1,
    Number(date.slice(6, 8)),
    Number(time.slice(0, 2)),
    Number(time.slice(2, 4)),
    Number(time.slice(4, 6)),
  );
}

/** The backups in `<dataDir>/backups`, newest first. */
export function listBackups(dataDir: string): BackupFile[] {
  const dir = join(dataDir, BACKUP_DIR);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: BackupFile[] = [];
  for (const name of names) {
    const m = NAME.exec(name);
    if (m === null) continue;
    const file = join(dir, name);
    out.push({ file, name, at: parseStamp(m[1] ?? '', m[2] ?? ''), reason: m[3] ?? '', bytes: statSync(file).size });
  }
  return out.sort((a, b) => b.at - a.at || b.name.localeCompare(a.name));
}

/**
 * Copies the open ledger to `<dataDir>/backups/ledger-YYYYMMDD-HHMMSS-<reason>.sqlite` (UTC time), mode
 * 0600, then deletes copies older than `keepDays`. The copy is written under a temporary name and
 * renamed, so a half-written file never looks like a backup. Records `app/backup` in the event log.
 */
export async function backupLedger(
  db: Db,
  dataDir: string,
  reason: 'daily' | 'day-close' | 'manual',
  now: number,
  keepDays = readBackupsSettings(db).keepDays,
): Promise<BackupFile> {
  const dir = join(dataDir, BACKUP_DIR);
  ensurePrivateDir(dir);
  let name = `ledger-${stamp(now)}-${reason}.sqlite`;
  for (let n = 2; listBackups(dataDir).some((b) => b.name === name); n += 1) name = `ledger-${stamp(now + n - 1)}-${reason}.sqlite`;
  const file = join(dir, name);
  const tmp = `${file}.partial`;
  await db.backup(tmp);
  makePrivate(tmp);
  renameSync(tmp, file);
  const bytes = statSync(file).size;
  const removed = pruneBackups(dataDir, keepDays, now);
  appendEvent(db, { at: now, entity: 'app', type: 'backup', data: { file: name, reason, bytes, removed: removed.length } });
  return { file, name, at: parseStamp(name.slice(7, 15), name.slice(16, 22)), reason, bytes };
}

/** Deletes backups older than `keepDays` (the newest is always kept). Returns the names removed. */
export function pruneBackups(dataDir: string, keepDays: number, now: number): string[] {
  const [newest, ...rest] = listBackups(dataDir);
  if (newest === undefined) return [];
  const removed: string[] = [];
  for (const b of rest) {
    if (now - b.at > keepDays * DAY_MS) {
      unlinkSync(b.file);
      removed.push(b.name);
    }
  }
  return removed;
}

export interface BackupScheduleOptions {
  db: Db;
  dataDir: string;
  now: () => number;
  timers: { setTimeout(fn: () => void, ms: number): unknown; clearTimeout(handle: unknown): void };
  logger: { info(message: string, data?: unknown): void; error(message: string, data?: unknown): void };
  /** Delay of the first backup when none exists yet (default 5 minutes after start). */
  firstDelayMs?: number;
}

export interface BackupSchedule {
  /** Makes a backup now (day close, or a supervisor's request); resolves null when it failed (logged and recorded). */
  run(reason: 'daily' | 'day-close' | 'manual'): Promise<BackupFile | null>;
  /** Stops the timer and waits for a backup in progress. */
  stop(): Promise<void>;
}

/**
 * A backup at the daily interval (counted from the newest backup, so restarts do not postpone it
 * forever) plus on demand. Every run ends with the next one scheduled, whatever throws.
 */
export function scheduleBackups(options: BackupScheduleOptions): BackupSchedule {
  const { db, dataDir, now, timers, logger } = options;
  let handle: unknown = null;
  let stopped = false;
  let running: Promise<BackupFile | null> = Promise.resolve(null);

  const run = (reason: 'daily' | 'day-close' | 'manual'): Promise<BackupFile | null> => {
    // One at a time: a day close during the daily copy waits for it.
    running = running.then(async () => {
      if (stopped || !db.open) return null;
      try {
        const made = await backupLedger(db, dataDir, reason, now());
        logger.info('ledger backup made', { file: made.name, bytes: made.bytes });
        return made;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        logger.error('ledger backup failed', { reason, message });
        try {
          appendEvent(db, { at: now(), entity: 'app', type: 'backup_failed', data: { reason, message } });
        } catch {
          // The ledger itself may be what failed; the log line above stands.
        }
        return null;
      }
    });
    return running;
  };

  const arm = (delayMs: number): void => {
    if (stopped) return;
    handle = timers.setTimeout(
      () => {
        handle = null;
        void run('daily').finally(() => arm(nextDelay()));
      },
      Math.max(0, delayMs),
    );
  };
  const nextDelay = (): number => {
    let intervalMs = 24 * 3_600_000;
    try {
      intervalMs = readBackupsSettings(db).intervalHours * 3_600_000;
    } catch {
      // Unreadable settings: keep the daily default.
    }
    const newest = listBackups(dataDir)[0];
    if (newest === undefined) return options.firstDelayMs ?? 5 * 60_000;
    return Math.min(intervalMs, Math.max(60_000, newest.at + intervalMs - now()));
  };
  arm(nextDelay());

  return {
    run,
    async stop() {
      stopped = true;
      if (handle !== null) timers.clearTimeout(handle);
      handle = null;
      await running;
    },
  };
}
