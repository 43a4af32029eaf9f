import type { Health, HealthItem, StatusItem, StatusReport } from '../../shared/ipc/contract';
import type { Logger } from '../util/logger';
import type { Timers } from '../util/time';

export const STATUS_INTERVAL_MS = 30_000;

export interface StatusServiceDeps {
  health(): Promise<Health>;
  /** The live notification listener: null when not in use (training, or disabled). */
  notifications(): HealthItem | null;
  publish(report: StatusReport): void;
  timers: Timers;
  logger: Logger;
  intervalMs?: number;
}

/**
 * The checkout's status light: probes what the cashier depends on (each configured gateway, the
 * ledger, pole display, card terminal, printer, notifications) every 30 s and whenever something
 * changes (`refresh()`), and publishes a report when it differs from the last one. Items that are not
 * configured are left out; the light is red when any item is not ok, each with a stable reason the
 * renderer turns into one zh/en line — except headquarters sync, which is only ever a notice (amber):
 * headquarters down does not affect selling.
 */
export class StatusService {
  private last: StatusReport | null = null;
  private lastKey = '';
  private timer: unknown = null;
  private running: Promise<StatusReport> | null = null;
  private again = false;
  private stopped = false;

  constructor(private readonly deps: StatusServiceDeps) {}

  start(): void {
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) this.deps.timers.clearTimeout(this.timer);
    this.timer = null;
  }

  /** The last report (probing once if there is none yet). */
  async current(): Promise<StatusReport> {
    return this.last ?? (await this.refresh());
  }

  /** Probe now; concurrent calls share one probe, and a change during a probe probes once more. */
  refresh(): Promise<StatusReport> {
    // After close the ledger is gone: no probe may touch it (the last report stands).
    if (this.stopped) return Promise.resolve(this.last ?? { checkedAt: new Date().toISOString(), ok: false, items: [] });
    if (this.running !== null) {
      this.again = true;
      return this.running;
    }
    this.running = this.probe().finally(() => {
      this.running = null;
      if (this.again && !this.stopped) {
        this.again = false;
        void this.refresh();
      }
    });
    return this.running;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = this.deps.timers.setTimeout(() => {
      this.timer = null;
      // Whatever the probe does, the next one is scheduled.
      this.refresh()
        .catch((error: unknown) => this.deps.logger.error('status probe failed', error))
        .finally(() => this.schedule(this.deps.intervalMs ?? STATUS_INTERVAL_MS));
    }, ms);
  }

  private async probe(): Promise<StatusReport> {
    let items: StatusItem[];
    let checkedAt = new Date().toISOString();
    try {
      const health = await this.deps.health();
      checkedAt = health.checkedAt;
      const notify = this.deps.notifications();
      items = [
        { name: 'ledger', kind: 'ledger' as const, status: health.ledger.status, detail: health.ledger.detail },
        ...health.gateways.map((g) => toItem(g, 'gateway')),
        ...health.devices.map((d) => toItem(d, 'device')),
        ...(notify === null ? [] : [toItem(notify, 'notifications')]),
        ...(health.sync === undefined ? [] : [{ ...toItem(health.sync, 'sync'), ...(health.sync.sync === undefined ? {} : { sync: health.sync.sync }) }]),
      ].filter((i) => i.status !== 'not_configured');
    } catch (error) {
      this.deps.logger.error('status probe failed', error);
      items = [{ name: 'ledger', kind: 'ledger', status: 'error', detail: error instanceof Error ? error.message : String(error) }];
    }
    // Headquarters sync is a notice: selling never depends on it, so it never turns the light red.
    const report: StatusReport = { checkedAt, ok: items.every((i) => i.status === 'ok' || i.kind === 'sync'), items };
    // The sync progress and detail are part of the key: the light's "events waiting, last contact" stays
    // current, and a refusal turning into a certificate problem (both "error") is told.
    const key = JSON.stringify(items.map((i) => [i.name, i.status, i.sync ?? null, i.kind === 'sync' ? i.detail : null]));
    this.last = report;
    if (key !== this.lastKey) {
      this.lastKey = key;
      this.deps.publish(report);
    }
    return report;
  }
}

function toItem(item: HealthItem, kind: StatusItem['kind']): StatusItem {
  return { name: item.name, kind, status: item.status, detail: item.detail };
}
