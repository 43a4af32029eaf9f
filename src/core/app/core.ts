import { join } from 'node:path';
import type { AppInfo, AppMode, Health, HealthItem } from '../../shared/ipc/contract';
import type { Handlers } from '../../shared/ipc/types';
import { createDispatcher, type Dispatch } from '../ipc/dispatcher';
import { EventBus } from '../ipc/event-bus';
import { LEDGER_FILE, openLedger, schemaVersion, type Db } from '../ledger/db';
import { appendEvent } from '../ledger/events';
import { readSetting } from '../ledger/settings';
import type { SecretCipher } from '../secrets/cipher';
import { SecretStore } from '../secrets/store';
import { createConsoleLogger, type Logger } from '../util/logger';

export const APP_NAME = 'Counter Cashier';

export interface CoreOptions {
  dataDir: string;
  version: string;
  platform: AppInfo['platform'];
  cipher: SecretCipher;
  logger?: Logger;
  now?: () => number;
}

export interface Core {
  readonly db: Db;
  readonly bus: EventBus;
  readonly handlers: Handlers;
  readonly dispatch: Dispatch;
  readonly secrets: SecretStore;
  readonly logger: Logger;
  readonly ledgerPath: string;
  info(): AppInfo;
  health(): Promise<Health>;
  close(): Promise<void>;
}

/** Settings key holding the live merchant configuration (written by provisioning or Settings). */
export const MERCHANT_SETTING = 'bpc.merchant';
export const BPC_KEY_SECRET = 'bpc.key';

/**
 * Live mode needs a configured merchant and its key; until then the app runs in training mode with
 * the built-in simulated gateways. A supervisor can also force training mode on a configured counter.
 */
export function resolveMode(db: Db, secrets: SecretStore): { mode: AppMode; reason: string } {
  const merchant = readSetting(db, MERCHANT_SETTING);
  if (merchant === undefined) return { mode: 'training', reason: 'no merchant configured' };
  if (!secrets.summary(BPC_KEY_SECRET).hasValue) return { mode: 'training', reason: 'merchant key missing' };
  if (readSetting(db, 'app.mode') === 'training') return { mode: 'training', reason: 'training chosen by a supervisor' };
  return { mode: 'live', reason: 'merchant configured' };
}

/**
 * Composes the core services on one data directory. Used by Electron's main process and by browser
 * mode alike; everything outside (cipher, clock, logger) is injected.
 */
export function startCore(options: CoreOptions): Promise<Core> {
  const logger = options.logger ?? createConsoleLogger();
  const now = options.now ?? Date.now;
  const ledgerPath = join(options.dataDir, LEDGER_FILE);
  const db = openLedger(ledgerPath);
  const secrets = new SecretStore(db, options.cipher, now);
  const bus = new EventBus();

  const info = (): AppInfo => {
    const { mode, reason } = resolveMode(db, secrets);
    return { name: APP_NAME, version: options.version, mode, modeReason: reason, dataDir: options.dataDir, platform: options.platform };
  };

  const health = (): Promise<Health> => {
    let ledger: Health['ledger'];
    try {
      db.prepare('SELECT count(*) FROM events').get();
      ledger = { status: 'ok', detail: 'open', path: ledgerPath, schemaVersion: schemaVersion(db) };
    } catch (error) {
      ledger = { status: 'error', detail: error instanceof Error ? error.message : String(error), path: ledgerPath, schemaVersion: -1 };
    }
    const gateways: HealthItem[] = [
      { name: 'bpc', status: 'not_configured', detail: 'no BPC gateway client in this build yet' },
      { name: 'yima', status: 'not_configured', detail: 'no Yima gateway client in this build yet' },
    ];
    const devices: HealthItem[] = [
      { name: 'pole-display', status: 'not_configured', detail: 'no pole display configured' },
      { name: 'card-terminal', status: 'not_configured', detail: 'no card terminal configured' },
    ];
    return Promise.resolve({ checkedAt: new Date(now()).toISOString(), ledger, gateways, devices });
  };

  const handlers: Handlers = {
    'app:info': () => info(),
    'app:health': () => health(),
  };

  appendEvent(db, { at: now(), entity: 'app', type: 'started', data: { version: options.version, platform: options.platform } });
  logger.info(`core started`, { dataDir: options.dataDir, mode: info().mode });

  return Promise.resolve({
    db,
    bus,
    ledgerPath,
    handlers,
    dispatch: createDispatcher(handlers, logger),
    secrets,
    logger,
    info,
    health,
    close() {
      db.close();
      return Promise.resolve();
    },
  });
}
