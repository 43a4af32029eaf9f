import { redactText } from '../util/logger';

/** What the shop reads when the core cannot start: what happened and what to do, in zh and en. */
export interface StartupFailure {
  /** A stable kind, for tests and for the installer. */
  kind: 'ledger_busy' | 'ledger_corrupt' | 'ledger_missing' | 'ledger_too_new' | 'disk_full' | 'config_refused' | 'port_busy' | 'unexpected';
  /** The error's code as thrown (AppError code, SQLite code, errno), or null. */
  code: string | null;
  title: { zh: string; en: string };
  todo: { zh: string; en: string };
  /** For "copy details": the code, the (redacted) message, the data directory. Never a stack on screen. */
  details: string;
}

const TEXT: Record<StartupFailure['kind'], { title: [string, string]; todo: [string, string] }> = {
  ledger_busy: {
    title: ['账本正被其他程序占用', 'The ledger is locked by another program'],
    todo: [
      '请关闭另一个正在运行的收银程序、备份软件或杀毒扫描，稍等片刻再启动。数据没有丢失。',
      'Close the other copy of the cashier, the backup tool or the virus scan that holds it, wait a moment and start again. No data is lost.',
    ],
  },
  ledger_corrupt: {
    title: ['账本文件已损坏', 'The ledger file is damaged'],
    todo: [
      '请不要删除数据目录。请联系维护人员，从最近的备份恢复账本（见数据目录下的 backups），并导出诊断包交给他们。',
      'Do not delete the data directory. Call the installer to restore the ledger from the latest backup (see backups in the data directory), and give them the diagnostics export.',
    ],
  },
  ledger_missing: {
    title: ['账本文件不见了，但这台电脑以前用过收银程序', 'The ledger file is missing although this computer was used before'],
    todo: [
      '为了不丢失收款记录，程序不会新建空账本。请联系维护人员从备份恢复账本（见数据目录下的 backups）。',
      'So that no payment history is lost, the app will not start on an empty ledger. Call the installer to restore the ledger from a backup (see backups in the data directory).',
    ],
  },
  ledger_too_new: {
    title: ['账本来自更新版本的收银程序', 'The ledger was written by a newer version of the app'],
    todo: ['请安装最新版本的收银程序后再启动。', 'Install the newest version of the app, then start again.'],
  },
  disk_full: {
    title: ['磁盘已满，无法写入账本', 'The disk is full: the ledger cannot be written'],
    todo: ['请删除不需要的文件、腾出磁盘空间后再启动。数据没有丢失。', 'Free some disk space, then start again. No data is lost.'],
  },
  config_refused: {
    title: ['配置文件无法使用', 'The configuration file was refused'],
    todo: [
      '请让维护人员按说明修正配置文件（详情里有出错的行和字段），然后再启动。',
      'Ask the installer to fix the provisioning file (the details name the line and field), then start again.',
    ],
  },
  port_busy: {
    title: ['端口已被占用', 'A network port is already in use'],
    todo: [
      '可能已有一个收银程序在运行。请关闭它，或让维护人员换一个端口，然后再启动。',
      'Another copy of the cashier may be running. Close it, or have the installer choose another port, then start again.',
    ],
  },
  unexpected: {
    title: ['收银程序无法启动', 'The cashier cannot start'],
    todo: [
      '请重新启动电脑后再试。如果仍然不行，请复制详情并导出诊断包交给维护人员。',
      'Restart the computer and try again. If it still fails, copy the details and give the diagnostics export to the installer.',
    ],
  },
};

function errorCode(error: unknown): string | null {
  if (typeof error !== 'object' || error === null) return null;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : null;
}

function classify(code: string | null, message: string): StartupFailure['kind'] {
  const c = code ?? '';
  if (c === 'LEDGER_BUSY' || c.startsWith('SQLITE_BUSY') || c.startsWith('SQLITE_LOCKED') || /database is locked/i.test(message)) return 'ledger_busy';
  if (c === 'LEDGER_CORRUPT' || c.startsWith('SQLITE_CORRUPT') || c === 'SQLITE_NOTADB' || /not a database|malformed/i.test(message)) return 'ledger_corrupt';
  if (c === 'DISK_FULL' || c === 'SQLITE_FULL' || c === 'ENOSPC') return 'disk_full';
  if (c === 'LEDGER_TOO_NEW') return 'ledger_too_new';
  if (c.startsWith('LEDGER_') && /MISSING|GONE|PRIOR/.test(c)) return 'ledger_missing';
  if (c === 'EADDRINUSE' || c === 'PORT_BUSY' || /EADDRINUSE/.test(message)) return 'port_busy';
  if (c === 'CONFIG_INVALID' || /provisioning/i.test(message)) return 'config_refused';
  return 'unexpected';
}

/** Turns whatever startCore (or the web host) threw into what the shop reads. */
export function describeStartupFailure(error: unknown, context: { dataDir: string }): StartupFailure {
  const message = redactText(error instanceof Error ? error.message : String(error));
  const code = errorCode(error);
  const kind = classify(code, message);
  const text = TEXT[kind];
  return {
    kind,
    code,
    title: { zh: text.title[0], en: text.title[1] },
    todo: { zh: text.todo[0], en: text.todo[1] },
    details: [`code: ${code ?? '-'}`, `message: ${message}`, `data directory: ${context.dataDir}`, `time: ${new Date().toISOString()}`].join('\n'),
  };
}

/** The same text as the window, for a terminal (browser mode) — both languages. */
export function startupFailureText(f: StartupFailure): string {
  return [`无法启动：${f.title.zh}`, f.todo.zh, '', `Cannot start: ${f.title.en}`, f.todo.en, '', f.details, ''].join('\n');
}
