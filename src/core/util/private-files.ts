import { chmodSync, mkdirSync } from 'node:fs';

/**
 * The data directory holds PIN hashes, encrypted keys and the money ledger: only the account the app
 * runs as may read it. Directories 0700, files 0600 (on Windows chmod only toggles read-only, and the
 * per-user profile directory already limits access).
 */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Creates `dir` (and parents) if needed and restricts it to the owner. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  chmodSync(dir, PRIVATE_DIR_MODE);
}

/** Restricts each existing file to the owner; files that do not exist (yet) are skipped. */
export function makePrivate(...files: string[]): void {
  for (const file of files) {
    try {
      chmodSync(file, PRIVATE_FILE_MODE);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}
