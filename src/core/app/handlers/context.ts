import type { AppInfo } from '../../../shared/ipc/contract';
import type { DevicesConfig } from '../../../shared/devices';
import type { SessionData } from '../../../shared/reports';
import type { Handlers } from '../../../shared/ipc/types';
import type { DeviceManager } from '../../devices/manager';
import type { BpcClient } from '../../gateways/bpc/client';
import type { EventBus } from '../../ipc/event-bus';
import type { Db } from '../../ledger/db';
import type { OperatorView, Role } from '../../operators/operators';
import type { PaymentEngine } from '../../payments/engine';
import type { SecretStore } from '../../secrets/store';
import type { CounterState } from '../state';

export interface BackOfficeDeps {
  db: Db;
  bus: EventBus;
  engine: PaymentEngine;
  secrets: SecretStore;
  devices: DeviceManager;
  /** The counter's configuration and mode (read once, read again when a setting or key changes). */
  state: CounterState;
  /** Applies device settings (adds the simulated card terminal in training mode when none is set). */
  applyDevices: (config: DevicesConfig) => Promise<void>;
  now: () => number;
  /** The BPC client of the training bank or of the configured one ("test connection"). */
  gateway: (target: 'training' | 'live') => BpcClient;
  emitMode: () => void;
  info: () => AppInfo;
  timeZone?: string;
  /** A ledger backup (resolves null when it failed: logged and recorded, never thrown). */
  backup?: (reason: 'day-close' | 'manual') => Promise<unknown>;
}

/** The signed-in operator at this counter (one counter per app). */
export interface Session {
  operator: OperatorView | null;
  shiftId: number | null;
}

/** What every back-office handler module shares: the session, on-the-spot approval, the business-day zone. */
export interface BackOfficeContext {
  readonly deps: BackOfficeDeps;
  readonly session: Session;
  /** A supervisor (or higher) approving on the spot: verified PIN, role checked, recorded by the caller. */
  approve: (approval: { code: string; pin: string }, role: Role) => Promise<OperatorView>;
  /** The shop's business-day zone (settings; else the injected one; else the computer's). */
  zone: () => string | undefined;
  tzOpt(): { timeZone?: string; startHour: number };
  /** The signed-in operator's code, if any. */
  actor: () => string | null;
  sessionView: () => SessionData;
  /** Tells the windows the session changed and returns it. */
  changed: () => SessionData;
  /** Re-reads which operators are still on a published training PIN (they keep the counter in training). */
  refreshDefaultPins: () => Promise<void>;
  settingsView: () => ReturnType<Handlers['settings:get']>;
  /** Asks the gateways about every payment and refund still open (of one day, or all). */
  requeryOpen(day: string | undefined): Promise<{ payments: number; refunds: number }>;
}
