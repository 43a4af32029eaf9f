import Database from 'better-sqlite3';
import { AppError } from '../../shared/errors';

/**
 * Maps SQLite's own failures to stable codes the cashier can act on. Anything else is returned as is
 * (and becomes INTERNAL at the dispatcher edge). Used by the engine and by the dispatcher.
 *
 * - SQLITE_FULL, SQLITE_IOERR* → DISK_FULL (the write did not happen; free space / check the disk)
 * - SQLITE_BUSY*, SQLITE_LOCKED* → LEDGER_BUSY (another program holds the lock; retried)
 * - SQLITE_CORRUPT*, SQLITE_NOTADB → LEDGER_CORRUPT (restore the backup)
 */
export function ledgerErrorOf(error: unknown): AppError | undefined {
  if (error instanceof AppError) return undefined;
  const code = sqliteCode(error);
  if (code === undefined) return undefined;
  if (code === 'SQLITE_FULL' || code.startsWith('SQLITE_IOERR')) {
    return new AppError(
      'DISK_FULL',
      `the ledger could not be written (${code}): the disk is full or failing; nothing was written — free disk space or check the disk, then try again`,
      { sqlite: code },
    );
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new AppError(
      'LEDGER_BUSY',
      `the ledger is locked by another program (${code}); nothing was written — retrying; if it lasts, close backup or antivirus tools that hold the file`,
      { sqlite: code },
    );
  }
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
    return new AppError('LEDGER_CORRUPT', `the ledger file is damaged (${code}); stop selling and restore the latest backup`, { sqlite: code });
  }
  return undefined;
}

/** The error to throw: the mapped AppError for SQLite failures, the original otherwise. */
export function asLedgerError(error: unknown): unknown {
  return ledgerErrorOf(error) ?? error;
}

/** True for an error that says "the ledger could not be written now" (busy / disk), mapped or not. */
export function isLedgerWriteFailure(error: unknown): boolean {
  const mapped = error instanceof AppError ? error : ledgerErrorOf(error);
  return mapped !== undefined && (mapped.code === 'LEDGER_BUSY' || mapped.code === 'DISK_FULL' || mapped.code === 'LEDGER_CORRUPT');
}

export function isLedgerBusy(error: unknown): boolean {
  const mapped = error instanceof AppError ? error : ledgerErrorOf(error);
  return mapped?.code === 'LEDGER_BUSY';
}

function sqliteCode(error: unknown): string | undefined {
  if (error instanceof Database.SqliteError) return error.code;
  if (error instanceof Error) {
    const code: unknown = (error as Error & { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('SQLITE_')) return code;
  }
  return undefined;
}
