import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { arch, platform, release } from 'node:os';
import { join } from 'node:path';
import JSZip from 'jszip';
import type { Db } from '../ledger/db';
import { schemaVersion } from '../ledger/db';
import { LOG_FILE } from '../util/log-file';
import { maskSecrets, redactText } from '../util/logger';

/** What goes into a diagnostics zip. Every part is optional: a core that could not start has no ledger. */
export interface DiagnosticsParts {
  appVersion: string;
  platform: string;
  /** The log directory (<data>/logs). */
  logDir: string;
  /** How many of the newest log files go in (default 3). */
  logFiles?: number;
  db?: Db;
  ledgerPath?: string;
  health?: unknown;
  /** The settings view (secrets already reduced to hasValue + suffix); reduced further here. */
  settings?: unknown;
  /** Why the core could not start, when it could not. */
  startupError?: unknown;
  now?: number;
}

/** Tables whose row counts help an installer (not their contents). */
const COUNTED = ['payments', 'refunds', 'events', 'operators', 'shifts', 'closed_days', 'settings', 'secrets'];

/**
 * One zip for the installer: the last logs, health, versions, settings with every secret removed, the
 * ledger's `PRAGMA integrity_check` and row counts. Never the ledger itself, never a key or a PIN hash:
 * each text file is passed through the log's redaction once more (known secrets, key=/sign=/pin=,
 * card numbers) before it goes in.
 */
export async function buildDiagnostics(parts: DiagnosticsParts): Promise<{ fileName: string; bytes: Buffer }> {
  const now = parts.now ?? Date.now();
  const zip = new JSZip();
  const put = (name: string, text: string): void => {
    zip.file(name, redactText(text));
  };
  const json = (value: unknown): string => `${JSON.stringify(maskSecrets(value), null, 2)}\n`;

  put(
    'versions.json',
    json({
      app: parts.appVersion,
      platform: parts.platform,
      node: process.versions.node,
      electron: process.versions.electron ?? null,
      chrome: process.versions.chrome ?? null,
      os: `${platform()} ${release()} ${arch()}`,
      createdAt: new Date(now).toISOString(),
    }),
  );
  if (parts.startupError !== undefined) put('startup-error.json', json(parts.startupError));
  if (parts.health !== undefined) put('health.json', json(parts.health));
  if (parts.settings !== undefined) put('settings.json', json(withoutSecrets(parts.settings)));
  if (parts.db !== undefined) put('ledger.json', json(ledgerFacts(parts.db, parts.ledgerPath)));
  for (const file of newestLogs(parts.logDir, parts.logFiles ?? 3)) {
    put(`logs/${file}`, readFileSync(join(parts.logDir, file), 'utf8'));
  }
  put(
    'README.txt',
    [
      'Counter Cashier diagnostics / 收银台诊断包',
      '',
      'Contains: versions, health, settings (secrets removed), the ledger integrity check and row counts, the last log files.',
      'Does not contain: the ledger, any key, any PIN or PIN hash, any full card number.',
      '包含：版本、健康状态、设置（已去除密钥）、账本完整性检查与行数、最近的日志。不包含账本、密钥、PIN 或完整卡号。',
      '',
    ].join('\n'),
  );
  const bytes = await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
  const stamp = new Date(now).toISOString().replace(/[:.]/g, '-');
  return { fileName: `diagnostics-${stamp}.zip`, bytes };
}

/** The settings view minus anything about a secret but whether it is set. */
function withoutSecrets(settings: unknown): unknown {
  return JSON.parse(
    JSON.stringify(settings, (key, value: unknown) => {
      if (key === 'suffix') return undefined;
      return value;
    }),
  ) as unknown;
}

function ledgerFacts(db: Db, path: string | undefined): unknown {
  const facts: Record<string, unknown> = { path: path ?? null };
  try {
    facts.schemaVersion = schemaVersion(db);
    facts.integrityCheck = (db.prepare('PRAGMA integrity_check').all() as { integrity_check: string }[]).map((r) => r.integrity_check);
    const tables = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name));
    const counts: Record<string, number> = {};
    for (const table of COUNTED) {
      if (tables.has(table)) counts[table] = (db.prepare(`SELECT count(*) AS n FROM "${table}"`).get() as { n: number }).n;
    }
    facts.counts = counts;
  } catch (error) {
    facts.error = error instanceof Error ? error.message : String(error);
  }
  return facts;
}

function newestLogs(dir: string, count: number): string[] {
  if (!existsSync(dir)) return [];
  const names = readdirSync(dir).filter((n) => n === LOG_FILE || n.startsWith(`${LOG_FILE}.`));
  const index = (n: string): number => (n === LOG_FILE ? 0 : Number(n.slice(LOG_FILE.length + 1)) || 999);
  return names.sort((a, b) => index(a) - index(b)).slice(0, count);
}
