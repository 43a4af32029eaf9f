import { join } from 'node:path';
import type { AppInfo, Health } from '../../../shared/ipc/contract';
import type { Handlers } from '../../../shared/ipc/types';
import type { Db } from '../../ledger/db';
import { appendEvent } from '../../ledger/events';
import { requireRole, verifyPin } from '../../operators/operators';
import { LOG_DIR } from '../../util/log-file';
import { buildDiagnostics } from '../diagnostics';
import type { StatusService } from '../status';

/** About the app itself: info, health, the status light, and the supervisor's diagnostics export. */
export function appHandlers(deps: {
  db: Db;
  now: () => number;
  version: string;
  platform: AppInfo['platform'];
  dataDir: string;
  ledgerPath: string;
  logDir?: string;
  info: () => AppInfo;
  health: () => Promise<Health>;
  status: StatusService;
  settings: Handlers['settings:get'];
}): Pick<Handlers, 'app:info' | 'app:health' | 'app:status' | 'app:diagnostics'> {
  const { db, now } = deps;
  return {
    'app:info': () => deps.info(),
    'app:health': () => deps.health(),
    'app:status': () => deps.status.current(),
    'app:diagnostics': async ({ approval }) => {
      const op = await verifyPin(db, approval.code, approval.pin, now());
      requireRole(op, 'supervisor');
      appendEvent(db, { at: now(), entity: 'app', type: 'diagnostics_exported', actor: op.code, data: {} });
      const settings = await deps.settings(undefined, { role: 'cashier' });
      const zip = await buildDiagnostics({
        appVersion: deps.version,
        platform: deps.platform,
        logDir: deps.logDir ?? join(deps.dataDir, LOG_DIR),
        db,
        ledgerPath: deps.ledgerPath,
        health: await deps.health(),
        // Secret fields come out as *** (the masking of `key`); whether each key is set is said here.
        settings: { info: deps.info(), settings, keysSet: { bpc: settings.bpc.key.hasValue, cipher: settings.cipher } },
        now: now(),
      });
      return { fileName: zip.fileName, mime: 'application/zip', base64: zip.bytes.toString('base64') };
    },
  };
}
