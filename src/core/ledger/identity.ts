/**
 * The ledger's identity: a random id written into the ledger when it is created (or first opened by a
 * version that knows identities) and into a marker file beside it. A data directory with a marker has
 * been used: a missing, 0-byte, emptied or foreign ledger there is refused at start-up instead of
 * being silently replaced by a fresh one (the paid history would be gone and the training PINs would
 * work again). The fix is to restore a backup (README: "Restoring a backup").
 */
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { AppError } from '../../shared/errors';
import { PRIVATE_FILE_MODE } from '../util/private-files';
import type { Db } from './db';
import { appendEvent } from './events';
import { readSetting, writeSetting } from './settings';

export const IDENTITY_FILE = 'ledger-identity.json';
export const IDENTITY_SETTING = 'ledger.identity';
export const BACKUP_DIR = 'backups';

export interface LedgerIdentity {
  id: string;
  createdAt: number;
}

function parseIdentity(value: unknown): LedgerIdentity | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { id, createdAt } = value as Record<string, unknown>;
  return typeof id === 'string' && id !== '' && typeof createdAt === 'number' ? { id, createdAt } : undefined;
}

/** The marker beside the ledger: undefined when absent; `damaged` when present but unreadable. */
function readMarker(dataDir: string): LedgerIdentity | 'damaged' | undefined {
  const file = join(dataDir, IDENTITY_FILE);
  if (!existsSync(file)) return undefined;
  try {
    return parseIdentity(JSON.parse(readFileSync(file, 'utf8'))) ?? 'damaged';
  } catch {
    return 'damaged';
  }
}

function writeMarker(dataDir: string, identity: LedgerIdentity): void {
  const file = join(dataDir, IDENTITY_FILE);
  const tmp = `${file}.tmp`;
  const body = {
    ...identity,
    ledger: 'ledger.sqlite',
    note: 'Written when this ledger was created. Do not delete: without it a lost ledger could be replaced by an empty one unnoticed.',
  };
  writeFileSync(tmp, `${JSON.stringify(body, null, 2)}\n`, { mode: PRIVATE_FILE_MODE });
  renameSync(tmp, file);
}

function hasBackups(dataDir: string): boolean {
  try {
    return readdirSync(join(dataDir, BACKUP_DIR)).some((name) => name.endsWith('.sqlite'));
  } catch {
    return false;
  }
}

/**
 * The identity recorded in the newest readable backup that has one (undefined when none does: no
 * backups, or only copies from before identities). A truncated or damaged copy is skipped, never trusted.
 */
function backupIdentity(dataDir: string): { identity: LedgerIdentity; file: string } | undefined {
  let names: string[];
  try {
    names = readdirSync(join(dataDir, BACKUP_DIR))
      .filter((name) => /^ledger-.*\.sqlite$/.test(name))
      .sort()
      .reverse();
  } catch {
    return undefined;
  }
  for (const name of names) {
    const file = join(dataDir, BACKUP_DIR, name);
    let copy: Database.Database | undefined;
    try {
      // Read from memory: opening the copy itself would leave -wal/-shm files beside it (or fail on a
      // read-only folder). Bytes 18/19 say WAL; an in-memory copy must read as a rollback-journal file.
      const bytes = readFileSync(file);
      if (bytes.length >= 100) bytes.fill(1, 18, 20);
      copy = new Database(bytes, { readonly: true });
      const row = copy.prepare('SELECT value FROM settings WHERE key = ?').get(IDENTITY_SETTING) as { value: string } | undefined;
      const identity = row === undefined ? undefined : parseIdentity(JSON.parse(row.value));
      if (identity !== undefined) return { identity, file };
    } catch {
      // Not a readable ledger copy: no witness either way.
    } finally {
      copy?.close();
    }
  }
  return undefined;
}

function restoreHint(dataDir: string): string {
  return `restore the latest backup from ${join(dataDir, BACKUP_DIR)} (README: "Restoring a backup"), or call support; do not delete ${IDENTITY_FILE}`;
}

/**
 * Before the ledger is opened (opening would create it): refuses with LEDGER_MISSING when the data
 * directory shows prior use (a marker or backups) but the ledger file is missing or empty (0 bytes).
 */
export function checkLedgerFile(dataDir: string, ledgerPath: string): void {
  const marker = readMarker(dataDir);
  const used = marker !== undefined || hasBackups(dataDir);
  if (!used) return;
  const size = existsSync(ledgerPath) ? statSync(ledgerPath).size : -1;
  if (size > 0) return;
  const what = size < 0 ? 'is missing' : 'is empty (0 bytes)';
  throw new AppError('LEDGER_MISSING', `the ledger ${ledgerPath} ${what}, but this data directory has been used before; ${restoreHint(dataDir)}`, {
    file: ledgerPath,
    reason: size < 0 ? 'missing' : 'empty',
  });
}

/**
 * After the ledger is open: compares the identity in the ledger with the marker. A marker with no or
 * another identity in the ledger (an emptied or foreign ledger) is refused with LEDGER_MISMATCH. With
 * the marker lost or damaged, the newest readable backup that has an identity is the witness instead. A
 * ledger without identity and no marker (new, or from a version before identities) gets one; a
 * ledger with identity whose marker was lost gets its marker back.
 */
export function ensureLedgerIdentity(db: Db, dataDir: string, ledgerPath: string, now: number): LedgerIdentity {
  const marker = readMarker(dataDir);
  const stored = parseIdentity(readSetting(db, IDENTITY_SETTING));
  if (marker !== undefined && marker !== 'damaged') {
    if (stored?.id === marker.id) return stored;
    throw new AppError(
      'LEDGER_MISMATCH',
      `the ledger ${ledgerPath} is not the one this data directory was created with (expected identity ${marker.id}, found ${stored?.id ?? 'none'}): it was emptied or replaced; ${restoreHint(dataDir)}`,
      { file: ledgerPath, expected: marker.id, found: stored?.id ?? null },
    );
  }
  // No usable marker: the backups of this data directory are the witness of which ledger belongs here.
  const witness = backupIdentity(dataDir);
  if (witness !== undefined && stored?.id !== witness.identity.id) {
    throw new AppError(
      'LEDGER_MISMATCH',
      `the ledger ${ledgerPath} is not the one this data directory's backups were made from (expected identity ${witness.identity.id} as in ${witness.file}, found ${stored?.id ?? 'none'}): it was emptied or replaced; ${restoreHint(dataDir)}`,
      { file: ledgerPath, expected: witness.identity.id, found: stored?.id ?? null },
    );
  }
  if (stored !== undefined) {
    // The ledger carries its identity: the marker alone was lost (or damaged). Put it back.
    writeMarker(dataDir, stored);
    appendEvent(db, {
      at: now,
      entity: 'app',
      type: 'identity_marker_restored',
      data: { id: stored.id, marker: basename(join(dataDir, IDENTITY_FILE)), was: marker ?? 'missing' },
    });
    return stored;
  }
  if (marker === 'damaged') {
    // A damaged marker and a ledger without identity: we cannot tell which ledger belonged here.
    throw new AppError('LEDGER_MISMATCH', `${join(dataDir, IDENTITY_FILE)} is damaged and the ledger ${ledgerPath} has no identity; ${restoreHint(dataDir)}`, {
      file: ledgerPath,
      expected: null,
      found: null,
    });
  }
  const identity: LedgerIdentity = { id: randomUUID(), createdAt: now };
  // Ledger first, then the marker: a crash in between leaves a ledger with identity, whose marker is
  // rewritten at the next start.
  db.transaction(() => {
    writeSetting(db, IDENTITY_SETTING, identity, now);
    appendEvent(db, { at: now, entity: 'app', type: 'identity_created', data: { id: identity.id } });
  })();
  writeMarker(dataDir, identity);
  return identity;
}
