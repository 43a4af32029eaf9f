import { existsSync, readFileSync, realpathSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { AppError } from '../../shared/errors';
import { ProvisioningSchema, type Provisioning } from '../../shared/settings';
import type { Db } from '../ledger/db';
import { appendEvent } from '../ledger/events';
import { setLane } from '../ledger/lane';
import { defaultPinsError, isDefaultPin, operatorsWithDefaultPinSync, provisionOperator } from '../operators/operators';
import { hashPinSync } from '../operators/pin';
import { readSetting, writeSetting } from '../ledger/settings';
import { DevicesConfigSchema } from '../../shared/devices';
import type { SecretStore } from '../secrets/store';
import { SETTING } from './config';
import { checkHqCa } from './hq-config';
import { jsonErrorPosition } from './json-position';

/** The settings key of the device configuration (the same as back-office's DEVICES_SETTING). */
const DEVICES_SETTING_KEY = 'devices';
import { assertYimaSettings, YIMA_KEY, YIMA_SETTING } from './yima-config';

export const PROVISIONING_FILE = 'provisioning.json';
export const BPC_KEY = 'bpc.key';
export const HQ_KEY = 'hq.key';

export interface ProvisioningResult {
  applied: boolean;
  /** Setting groups written. */
  changed: string[];
  keyMoved: boolean;
  /** Operators' PINs were hashed into the ledger and removed from the file. */
  pinsMoved?: boolean;
}

/**
 * Parses and validates provisioning text. Throws CONFIG_INVALID naming the first bad field
 * (`details.field`, e.g. "bpc.mid"); nothing is written when it throws.
 */
export function parseProvisioning(text: string): Provisioning {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    // Never the parser's message: V8 quotes the source text around the error, which may be the key.
    const at = error instanceof SyntaxError ? jsonErrorPosition(text) : null;
    const where = at === null ? 'position unknown' : `line ${at.line}, column ${at.column}`;
    throw new AppError('CONFIG_INVALID', `provisioning file is not valid JSON (${where}); fix the file and restart`, {
      field: '',
      ...(at === null ? {} : { line: at.line, column: at.column }),
    });
  }
  const parsed = ProvisioningSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const keys: string[] = issue !== undefined && 'keys' in issue && Array.isArray(issue.keys) ? issue.keys : [];
    const field = [...(issue?.path ?? []).map(String), ...keys].join('.');
    throw new AppError('CONFIG_INVALID', `provisioning file: ${field === '' ? '' : `${field}: `}${issue?.message ?? 'invalid'}`, { field });
  }
  return parsed.data;
}

/**
 * Applies a provisioning file: validates it, writes the settings and moves `bpc.key` into encrypted
 * storage in one transaction, then rewrites the file without the key. A bad file changes nothing, so
 * the app stays in the mode it was in. A missing file is not an error unless `required`.
 */
export function applyProvisioningFile(file: string, db: Db, secrets: SecretStore, now: number, required = false): ProvisioningResult {
  if (!existsSync(file)) {
    if (required) throw new AppError('CONFIG_INVALID', `provisioning file not found: ${file}`, { field: 'file' });
    return { applied: false, changed: [], keyMoved: false };
  }
  const text = readFileSync(file, 'utf8');
  const config = parseProvisioning(text);
  const { key, profile, timeouts, ...merchant } = config.bpc ?? {};
  if (config.bpc !== undefined && key === undefined && !secrets.summary(BPC_KEY).hasValue) {
    throw new AppError('CONFIG_INVALID', 'provisioning file: bpc.key: required (no key is stored yet)', { field: 'bpc.key' });
  }
  if (config.hq !== undefined && config.hq.key === undefined && !secrets.summary(HQ_KEY).hasValue) {
    throw new AppError('CONFIG_INVALID', 'provisioning file: hq.key: required (no headquarters key is stored yet)', { field: 'hq.key' });
  }
  const hqCa = config.hq === undefined ? '' : provisionedHqCa(config.hq, file, now);
  // PINs are hashed before the transaction (scrypt); only hashes reach the ledger.
  const operators = (config.operators ?? []).map(({ pin, ...op }) => ({ ...op, pinHash: pin === undefined ? undefined : hashPinSync(pin) }));
  const pinsMoved = operators.some((op) => op.pinHash !== undefined);
  const { key: yimaKey, ...yimaValue } = config.yima ?? { key: undefined };
  if (config.yima !== undefined) {
    try {
      assertYimaSettings(config.yima);
    } catch (err) {
      if (err instanceof AppError)
        throw new AppError('CONFIG_INVALID', `provisioning file: ${String(err.details?.field ?? 'yima')}: ${err.message}`, {
          field: String(err.details?.field ?? 'yima'),
        });
      throw err;
    }
  }
  const changed: string[] = [];
  db.transaction(() => {
    operators.forEach((op, index) => provisionOperator(db, op, index, now, 'provisioning-file'));
    if (operators.length > 0) changed.push('operators');
    if (config.bpc !== undefined) {
      writeSetting(db, SETTING.merchant, merchant, now);
      // A provisioning file with a merchant is the installer's decision to take real payments.
      writeSetting(db, SETTING.mode, 'live', now);
      changed.push('bpc.merchant');
    }
    if (profile !== undefined) {
      writeSetting(db, SETTING.profile, profile, now);
      changed.push('bpc.profile');
    }
    if (timeouts !== undefined) {
      writeSetting(db, SETTING.timeouts, timeouts, now);
      changed.push('bpc.timeouts');
    }
    for (const group of ['qr', 'polling', 'notifications', 'limits', 'shop', 'backups', 'businessDay'] as const) {
      const value = config[group];
      if (value !== undefined) {
        writeSetting(db, SETTING[group], value, now);
        changed.push(group);
      }
    }
    if (config.counter !== undefined) {
      try {
        if (setLane(db, { code: config.counter.lane, source: 'provisioning', actor: 'provisioning-file', now })) changed.push('counter.lane');
      } catch (err) {
        if (err instanceof AppError) throw new AppError('CONFIG_INVALID', `provisioning file: counter.lane: ${err.message}`, { field: 'counter.lane' });
        throw err;
      }
    }
    if (config.hq !== undefined) {
      const { key: _hqKey, caFile: _caFile, ...hq } = config.hq;
      writeSetting(db, SETTING.hq, { ...hq, ca: hqCa }, now);
      changed.push('hq');
    }
    if (config.bpc !== undefined) {
      // Live mode with the published training PINs would let anyone approve refunds: refuse the file.
      // PINs set by this file are checked in plain text (no scrypt needed), the others by their hash.
      const fromFile = new Map((config.operators ?? []).filter((op) => op.pin !== undefined).map((op) => [op.code, op.pin ?? '']));
      const still = operatorsWithDefaultPinSync(db, [...fromFile.keys()]).concat([...fromFile].filter(([, pin]) => isDefaultPin(pin)).map(([code]) => code));
      if (still.length > 0) throw defaultPinsError(still);
    }
    if (config.receiptPrinter !== undefined) {
      const stored = DevicesConfigSchema.safeParse(readSetting(db, DEVICES_SETTING_KEY) ?? {});
      const devices = stored.success ? stored.data : DevicesConfigSchema.parse({});
      writeSetting(db, DEVICES_SETTING_KEY, { ...devices, receiptPrinter: config.receiptPrinter }, now);
      changed.push('receiptPrinter');
    }
    if (key !== undefined) secrets.write(BPC_KEY, key);
    if (config.hq?.key !== undefined) secrets.write(HQ_KEY, config.hq.key);
    if (config.yima !== undefined) {
      writeSetting(db, YIMA_SETTING, yimaValue, now);
      changed.push('yima');
    }
    if (yimaKey !== undefined) secrets.write(YIMA_KEY, yimaKey);
    appendEvent(db, { at: now, entity: 'settings', type: 'provisioned', actor: 'provisioning-file', data: { file, changed, keyMoved: key !== undefined } });
  })();
  const hqKeyMoved = config.hq?.key !== undefined;
  // A CA read from hq.caFile is written into the file as hq.ca: the file is applied at every start, and
  // the CA file may be gone by then.
  const hqCaInlined = config.hq?.caFile !== undefined;
  if ((key !== undefined && config.bpc !== undefined) || pinsMoved || hqKeyMoved || hqCaInlined || yimaKey !== undefined) {
    // The keys now live encrypted in the ledger and the PINs as hashes; the plain copies leave the disk.
    // (hq.ca is not a secret: it stays in the file, as text.)
    const rest = config.bpc === undefined ? undefined : (({ key: _removed, ...others }) => others)(config.bpc);
    const hqRest = config.hq === undefined ? undefined : (({ key: _removed, caFile: _read, ...others }) => ({ ...others, ca: hqCa }))(config.hq);
    const operatorsWithoutPins = config.operators?.map(({ pin: _pin, ...op }) => op);
    // A symlinked file is rewritten where it really lives: renaming onto the link itself would
    // replace the link and leave the plaintext key in its target.
    const real = realpathSync(file);
    const tmp = `${real}.tmp`;
    const copy = { ...config, bpc: rest, hq: hqRest, operators: operatorsWithoutPins, yima: config.yima === undefined ? undefined : yimaValue };
    writeFileSync(tmp, `${JSON.stringify(copy, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, real);
  }
  return { applied: true, changed, keyMoved: key !== undefined || hqKeyMoved || yimaKey !== undefined, pinsMoved };
}

/**
 * Headquarters' CA from the file: `hq.ca` (PEM text) or `hq.caFile` (a PEM file, read now — relative to
 * the provisioning file — and stored as text, so the counter never depends on the file again). Either
 * is parsed as X.509 (CONFIG_INVALID naming the field); both at once is refused.
 */
function provisionedHqCa(hq: { ca: string; caFile?: string | undefined }, file: string, now: number): string {
  const prefix = 'provisioning file: ';
  if (hq.caFile === undefined) return checkHqCa(hq.ca, 'hq.ca', 'CONFIG_INVALID', now, prefix);
  if (hq.ca !== '') throw new AppError('CONFIG_INVALID', `${prefix}hq.caFile: give hq.ca or hq.caFile, not both`, { field: 'hq.caFile' });
  const path = resolve(dirname(file), hq.caFile);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
    throw new AppError('CONFIG_INVALID', `${prefix}hq.caFile: the CA file cannot be read: ${path} (${reason})`, { field: 'hq.caFile' });
  }
  // An empty file is a mistake, not "the public CAs": the shape check refuses it.
  return checkHqCa(text.trim() === '' ? '-' : text, 'hq.caFile', 'CONFIG_INVALID', now, prefix);
}
