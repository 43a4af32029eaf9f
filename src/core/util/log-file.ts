import { appendFileSync, chmodSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { LogRecord, LogSink } from './logger';

export const LOG_DIR = 'logs';
export const LOG_FILE = 'cashier.log';

export interface RotatingLogOptions {
  /** Rotate when the current file would grow past this (default 10 MB). */
  maxBytes?: number;
  /** Files kept, the current one included (default 5: cashier.log, cashier.log.1 … .4). */
  files?: number;
}

export interface RotatingLog extends LogSink {
  readonly dir: string;
  readonly path: string;
  /** The log files, newest first (for the diagnostics export). */
  list(): string[];
}

/**
 * The log file under `<dataDir>/logs/`: JSON lines (time, level, module, message, data), written
 * synchronously so that the line before a crash is on disk, rotated by size (10 MB × 5 by default).
 * The directory is 0700 and the files 0600: a log is not for other users of the machine.
 */
export function createRotatingLog(dataDir: string, options: RotatingLogOptions = {}): RotatingLog {
  const maxBytes = options.maxBytes ?? 10 * 1024 * 1024;
  const files = Math.max(1, options.files ?? 5);
  const dir = join(dataDir, LOG_DIR);
  const path = join(dir, LOG_FILE);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    chmodSync(dir, 0o700);
  } catch {
    // Not ours to change (a shared mount): the files are still 0600.
  }
  let size = existsSync(path) ? statSync(path).size : 0;
  const nameOf = (i: number): string => (i === 0 ? path : `${path}.${i}`);

  const rotate = (): void => {
    rmSync(nameOf(files - 1), { force: true });
    for (let i = files - 2; i >= 0; i--) {
      if (existsSync(nameOf(i))) renameSync(nameOf(i), nameOf(i + 1));
    }
    size = 0;
  };

  return {
    dir,
    path,
    write(record: LogRecord) {
      const line = `${JSON.stringify(record)}\n`;
      const bytes = Buffer.byteLength(line);
      if (size > 0 && size + bytes > maxBytes) rotate();
      appendFileSync(path, line, { mode: 0o600 });
      size += bytes;
    },
    list() {
      const names = new Set(readdirSync(dir));
      return Array.from({ length: files }, (_v, i) => nameOf(i)).filter((p) => names.has(p.slice(dir.length + 1)));
    },
  };
}
