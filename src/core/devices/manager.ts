/**
 * Holds the configured pole display and card terminal, opens their ports, turns connection changes
 * into DeviceStatus objects for the UI and health screen, and keeps the display following the payment.
 * Nothing a device does escapes as an exception from here except on explicit calls (`testDisplay`,
 * `requireTerminal`) that the user is waiting for.
 */
import { AppError } from '../../shared/errors';
import type { DeviceName, DeviceStatus, DevicesConfig } from '../../shared/devices';
import type { HealthItem } from '../../shared/ipc/contract';
import type { Logger } from '../util/logger';
import { silentLogger } from '../util/logger';
import type { CardJournal } from './card-terminal';
import { CardTerminalClient } from './card-terminal';
import type { ConnectionEvent, PortFactory, ReconnectPolicy } from './connection';
import type { PaymentForDisplay } from './display-state';
import { DisplayFollower } from './display-state';
import { PoleDisplay } from './pole-display';
import type { Timers } from './timers';
import { realTimers } from './timers';

export interface DeviceManagerDeps {
  portFactory: PortFactory;
  journal: CardJournal;
  onStatus: (status: DeviceStatus) => void;
  timers?: Timers;
  now?: () => number;
  random?: () => number;
  logger?: Logger;
  reconnect?: ReconnectPolicy;
  watchIntervalMs?: number;
  pathIdentity?: (path: string) => string | null;
  /** How long "paid" stays on the pole display. Default 5000 ms. */
  paidHoldMs?: number;
}

/** The serial devices this manager holds (the receipt printer has its own service, src/core/receipts). */
type SerialDeviceName = Exclude<DeviceName, 'receipt-printer'>;

function notConfigured(device: SerialDeviceName): DeviceStatus & { device: SerialDeviceName } {
  return { device, state: 'not_configured', detail: `no ${device === 'pole-display' ? 'pole display' : 'card terminal'} configured` };
}

/** A device status as a health item of the `app:health` channel. */
export function deviceHealth(status: DeviceStatus): HealthItem {
  const map = {
    not_configured: 'not_configured',
    connecting: 'unreachable',
    connected: 'ok',
    disconnected: 'disconnected',
    error: 'error',
  } as const;
  return { name: status.device, status: map[status.state], detail: status.port === undefined ? status.detail : `${status.port}: ${status.detail}` };
}

export class DeviceManager {
  private readonly deps: DeviceManagerDeps;
  private readonly logger: Logger;
  private poleDisplay: PoleDisplay | null = null;
  private cardTerminal: CardTerminalClient | null = null;
  private readonly current: Record<SerialDeviceName, DeviceStatus & { device: SerialDeviceName }> = {
    'pole-display': notConfigured('pole-display'),
    'card-terminal': notConfigured('card-terminal'),
  };
  private readonly follower: DisplayFollower;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(deps: DeviceManagerDeps) {
    this.deps = deps;
    this.logger = deps.logger ?? silentLogger;
    this.follower = new DisplayFollower({
      show: (state) => (this.poleDisplay === null ? Promise.resolve() : this.poleDisplay.show(state)),
      timers: deps.timers ?? realTimers,
      logger: this.logger,
      ...(deps.paidHoldMs !== undefined ? { paidHoldMs: deps.paidHoldMs } : {}),
    });
  }

  get display(): PoleDisplay | null {
    return this.poleDisplay;
  }

  get terminal(): CardTerminalClient | null {
    return this.cardTerminal;
  }

  /** The latest status of both devices. */
  statuses(): DeviceStatus[] {
    return [this.current['pole-display'], this.current['card-terminal']];
  }

  /**
   * Replaces the devices with the given configuration and starts opening them. Open failures do not
   * reject: they show up as statuses and the ports keep being retried. Rejects only with CONFIG_INVALID
   * (bad custom templates), before the old devices are touched.
   */
  async apply(config: Pick<DevicesConfig, 'poleDisplay' | 'cardTerminal'>): Promise<void> {
    const common = {
      portFactory: this.deps.portFactory,
      timers: this.deps.timers ?? realTimers,
      logger: this.logger,
      ...(this.deps.reconnect !== undefined ? { reconnect: this.deps.reconnect } : {}),
      ...(this.deps.watchIntervalMs !== undefined ? { watchIntervalMs: this.deps.watchIntervalMs } : {}),
      ...(this.deps.pathIdentity !== undefined ? { pathIdentity: this.deps.pathIdentity } : {}),
    };
    const display = config.poleDisplay === null ? null : new PoleDisplay(config.poleDisplay, common);
    const terminal =
      config.cardTerminal === null
        ? null
        : new CardTerminalClient(config.cardTerminal, {
            ...common,
            journal: this.deps.journal,
            ...(this.deps.now !== undefined ? { now: this.deps.now } : {}),
            ...(this.deps.random !== undefined ? { random: this.deps.random } : {}),
          });
    await this.closeDevices();
    this.poleDisplay = display;
    this.cardTerminal = terminal;
    this.follower.invalidate();
    if (display === null) this.emit(notConfigured('pole-display'));
    else this.watch('pole-display', display.connection.path, (l) => display.connection.onState(l));
    if (terminal === null) this.emit(notConfigured('card-terminal'));
    else this.watch('card-terminal', terminal.connection.path, (l) => terminal.connection.onState(l));
    const opening: Promise<void>[] = [];
    if (display !== null) opening.push(display.open());
    if (terminal !== null) opening.push(terminal.open());
    const results = await Promise.allSettled(opening);
    for (const r of results) if (r.status === 'rejected') this.logger.warn('device open failed', { error: r.reason as unknown });
  }

  /** Call on every payment update; the display follows (errors are logged, never thrown). */
  showPayment(payment: PaymentForDisplay | null): void {
    this.follower.update(payment);
  }

  /** The settings "test display" button. NOT_CONFIGURED without a display; DEVICE_DISCONNECTED when it is not open. */
  async testDisplay(): Promise<void> {
    if (this.poleDisplay === null) throw new AppError('NOT_CONFIGURED', 'no pole display configured');
    this.follower.invalidate();
    await this.poleDisplay.test();
  }

  /** The terminal for a card payment. NOT_CONFIGURED / DEVICE_DISCONNECTED / DEVICE_BUSY when it cannot take one now. */
  requireTerminal(): CardTerminalClient {
    const terminal = this.cardTerminal;
    if (terminal === null) throw new AppError('NOT_CONFIGURED', 'no card terminal configured');
    if (!terminal.connection.isOpen) {
      throw new AppError('DEVICE_DISCONNECTED', `card terminal ${terminal.connection.path} is not connected`, { port: terminal.connection.path });
    }
    if (terminal.busy) throw new AppError('DEVICE_BUSY', 'the card terminal is busy with another request');
    return terminal;
  }

  /** Closes both ports and stops reconnecting. Never rejects. */
  async stop(): Promise<void> {
    this.follower.dispose();
    await this.closeDevices();
  }

  private watch(device: SerialDeviceName, port: string, subscribe: (listener: (e: ConnectionEvent) => void) => () => void): void {
    this.emit({ device, state: 'connecting', detail: `opening ${port}`, port });
    this.unsubscribe.push(
      subscribe((event) => {
        if (event.state === 'idle' || event.state === 'closed') return;
        const status: DeviceStatus & { device: SerialDeviceName } = { device, state: event.state, detail: event.detail, port };
        if (event.code !== undefined) status.code = event.code;
        this.emit(status);
      }),
    );
  }

  private emit(status: DeviceStatus & { device: SerialDeviceName }): void {
    const prev = this.current[status.device];
    if (prev.state === status.state && prev.detail === status.detail && prev.code === status.code && prev.port === status.port) return;
    this.current[status.device] = status;
    try {
      this.deps.onStatus(status);
    } catch (err) {
      this.logger.error('device status listener failed', { error: err });
    }
  }

  private async closeDevices(): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) off();
    const closing: Promise<void>[] = [];
    if (this.poleDisplay !== null) closing.push(this.poleDisplay.close());
    if (this.cardTerminal !== null) closing.push(this.cardTerminal.close());
    this.poleDisplay = null;
    this.cardTerminal = null;
    await Promise.allSettled(closing);
  }
}
