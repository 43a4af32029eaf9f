import { connect } from 'node:net';
import type { Health, HealthItem } from '../../shared/ipc/contract';
import type { DeviceManager } from '../devices/manager';
import { deviceHealth } from '../devices/manager';
import type { Db } from '../ledger/db';
import { schemaVersion } from '../ledger/db';
import type { ReceiptService } from '../receipts/receipt-service';
import { syncHealthStatus, type SyncPusher } from '../sync/pusher';
import { transportOf, type CounterState } from './state';

/** A TCP connect to the gateway's host and port (3 s): reachability only, nothing is sent. */
export function probe(url: string): Promise<{ ok: boolean; latencyMs: number; detail: string }> {
  return new Promise((resolve) => {
    const u = new URL(url);
    const started = Date.now();
    const socket = connect({ host: u.hostname, port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)) });
    const done = (ok: boolean, detail: string): void => {
      socket.destroy();
      resolve({ ok, latencyMs: Date.now() - started, detail });
    };
    socket.setTimeout(3000, () => done(false, 'connect timeout'));
    socket.once('connect', () => done(true, `${u.host} reachable`));
    socket.once('error', (e) => done(false, e.message));
  });
}

export interface HealthDeps {
  db: Db;
  ledgerPath: string;
  state: CounterState;
  now: () => number;
  trainingGatewayUrl: string;
  devices: DeviceManager;
  receipts: ReceiptService;
  sync: () => SyncPusher;
}

/** The health report: ledger, gateways (training bank or the configured one, Yima), devices and printer, headquarters sync. */
export function createHealth(deps: HealthDeps): () => Promise<Health> {
  const { db, state } = deps;
  return async () => {
    let ledger: Health['ledger'];
    try {
      db.prepare('SELECT count(*) FROM events').get();
      ledger = { status: 'ok', detail: 'open', path: deps.ledgerPath, schemaVersion: schemaVersion(db) };
    } catch (error) {
      ledger = { status: 'error', detail: error instanceof Error ? error.message : String(error), path: deps.ledgerPath, schemaVersion: -1 };
    }
    const config = state.config();
    const merchant = config.merchant;
    const bpc: HealthItem =
      state.mode() === 'training'
        ? await probe(deps.trainingGatewayUrl).then((r) => ({
            name: 'bpc',
            status: r.ok ? ('ok' as const) : ('unreachable' as const),
            detail: `training gateway ${r.detail}`,
            latencyMs: r.latencyMs,
          }))
        : merchant === null
          ? { name: 'bpc', status: 'not_configured', detail: 'no merchant configured' }
          : await probe(merchant.url).then((r) => {
              const transport = transportOf(merchant.url);
              const signed = config.profile.requireSignedResponses;
              const refused = transport === 'http' && !signed;
              return {
                name: 'bpc',
                status: refused ? ('error' as const) : r.ok ? ('ok' as const) : ('unreachable' as const),
                detail: `${r.detail} · ${transport} · ${signed ? 'signed answers required' : 'unsigned answers accepted'}${refused ? ' · live payments refused (use https or require signed answers)' : ''}`,
                latencyMs: r.latencyMs,
              };
            });
    const yima = state.yima();
    const gateways: HealthItem[] = [
      bpc,
      yima === null || yima.url === ''
        ? {
            name: 'yima',
            status: 'not_configured',
            detail: yima === null ? 'no Yima merchant configured' : 'no Yima gateway URL (training uses the built-in simulator)',
          }
        : await probe(yima.url).then((r) => ({
            name: 'yima',
            status: r.ok ? ('ok' as const) : ('unreachable' as const),
            detail: r.detail,
            latencyMs: r.latencyMs,
          })),
    ];
    const printer = await deps.receipts.refreshStatus();
    const s = deps.sync().status();
    const syncItem: Health['sync'] = !s.configured
      ? { name: 'hq', status: 'not_configured', detail: 'no headquarters configured' }
      : {
          name: 'hq',
          status: syncHealthStatus(s.lastError),
          detail: `${s.counter ?? ''} → ${s.target ?? ''}: acknowledged up to event ${s.ackedEventId}, ${s.lagEvents} events waiting${s.lastError === null ? '' : `; ${s.lastError}`}`,
          sync: { ackedEventId: s.ackedEventId, waiting: s.lagEvents, lastContactAt: s.lastOkAt },
        };
    return {
      checkedAt: new Date(deps.now()).toISOString(),
      ledger,
      gateways,
      devices: [...deps.devices.statuses(), printer].map(deviceHealth),
      sync: syncItem,
    };
  };
}
