/**
 * The pole display driver: one serial connection, one protocol encoder, a write queue so screens never
 * interleave, the inter-command delay slow units need, and a redraw of the current screen after every
 * (re)connect so a replugged display catches up by itself.
 */
import { assertFen } from '../../shared/money';
import type { DisplayState, PoleDisplayConfig } from '../../shared/devices';
import { defaultBaudRate } from '../../shared/devices';
import type { Logger } from '../util/logger';
import { silentLogger } from '../util/logger';
import type { DisplayEncoder, DisplayView } from './display-types';
import { createDisplayEncoder } from './encoders';
import type { PortFactory, ReconnectPolicy, SerialSettings } from './connection';
import { SerialConnection } from './connection';
import type { Timers } from './timers';
import { realTimers, sleepOn } from './timers';

export interface PoleDisplayDeps {
  portFactory: PortFactory;
  timers?: Timers;
  /** Pause between commands; default uses `timers`. */
  sleep?: (ms: number) => Promise<void>;
  logger?: Logger;
  /** null: no automatic reopen (default: backoff 0.5 s … 10 s). */
  reconnect?: ReconnectPolicy | null;
  watchIntervalMs?: number;
  pathIdentity?: (path: string) => string | null;
}

/** Serial settings of a display config, with the protocol's default baud rate filled in. */
export function displaySerialSettings(config: PoleDisplayConfig): SerialSettings {
  return {
    path: config.path,
    baudRate: config.baudRate ?? defaultBaudRate(config.protocol),
    dataBits: config.dataBits,
    stopBits: config.stopBits,
    parity: config.parity,
  };
}

const CLOSE_GRACE_MS = 1000;

function viewOf(state: DisplayState): DisplayView {
  return state === 'idle' ? { kind: 'idle' } : state;
}

export class PoleDisplay {
  readonly config: PoleDisplayConfig;
  readonly connection: SerialConnection;
  readonly encoder: DisplayEncoder;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly timers: Timers;
  private readonly logger: Logger;
  private readonly delayMs: number;
  private tail: Promise<void> = Promise.resolve();
  private view: DisplayView = { kind: 'idle' };

  /** Fails with CONFIG_INVALID for custom templates that do not parse (before any port is touched). */
  constructor(config: PoleDisplayConfig, deps: PoleDisplayDeps) {
    this.config = config;
    this.encoder = createDisplayEncoder(config);
    const timers = deps.timers ?? realTimers;
    this.timers = timers;
    this.sleep = deps.sleep ?? ((ms) => sleepOn(timers, ms));
    this.logger = deps.logger ?? silentLogger;
    this.delayMs = config.interCommandDelayMs;
    this.connection = new SerialConnection({
      serial: displaySerialSettings(config),
      portFactory: deps.portFactory,
      timers,
      logger: this.logger,
      ...(deps.reconnect !== undefined ? { reconnect: deps.reconnect } : {}),
      ...(deps.watchIntervalMs !== undefined ? { watchIntervalMs: deps.watchIntervalMs } : {}),
      ...(deps.pathIdentity !== undefined ? { pathIdentity: deps.pathIdentity } : {}),
    });
    this.connection.onState((event) => {
      if (event.state === 'connected') {
        // A freshly opened display shows power-on garbage or the previous owner's text: reset it and
        // draw what it should show now.
        this.enqueue([...this.encoder.init(), ...this.encoder.render(this.view)]).catch((err: unknown) => {
          this.logger.warn('pole display init failed', { error: err });
        });
      }
    });
  }

  /**
   * Opens the port, initialises the unit and draws the current screen (idle at first). Rejects with
   * DEVICE_NOT_FOUND / DEVICE_BUSY / DEVICE_DISCONNECTED; it keeps retrying in the background anyway.
   */
  async open(): Promise<void> {
    await this.connection.open();
    await this.tail;
  }

  /**
   * Closes the port after the queued screens are written (waiting at most `CLOSE_GRACE_MS`: a write to
   * a vanished USB adapter may never complete). Never rejects.
   */
  async close(): Promise<void> {
    await Promise.race([this.tail, sleepOn(this.timers, CLOSE_GRACE_MS)]);
    await this.connection.close();
  }

  /** Clear, lamps off. */
  idle(): Promise<void> {
    return this.draw({ kind: 'idle' });
  }

  /** 总计 / TOTAL + amount (fen, > 0). AMOUNT_INVALID for anything else. */
  total(amountFen: number): Promise<void> {
    return this.draw({ kind: 'total', amountFen: assertFen(amountFen) });
  }

  /** 收款 / PAID + amount (fen, > 0). */
  paid(amountFen: number): Promise<void> {
    return this.draw({ kind: 'paid', amountFen: assertFen(amountFen) });
  }

  /** 找零 / CHANGE + amount (fen, ≥ 0: no change is shown as 0.00). */
  change(amountFen: number): Promise<void> {
    return this.draw({ kind: 'change', amountFen: amountFen === 0 ? 0 : assertFen(amountFen) });
  }

  /** The "test display" button: 12345.67 (with the 总计 lamp on LED-8, a pattern line on VFDs). */
  test(): Promise<void> {
    return this.draw({ kind: 'test' });
  }

  /** Draws a DisplayState from `displayStateFor`. */
  show(state: DisplayState): Promise<void> {
    return this.draw(viewOf(state));
  }

  /** What the display shows, or will show once reconnected. */
  get currentView(): DisplayView {
    return this.view;
  }

  /**
   * Remembers the view (it is redrawn after a reconnect) and writes it. Rejects with
   * DEVICE_DISCONNECTED when the port is not open right now.
   */
  private draw(view: DisplayView): Promise<void> {
    this.view = view;
    return this.enqueue(this.encoder.render(view));
  }

  private enqueue(commands: Buffer[]): Promise<void> {
    const run = this.tail.then(() => this.writeCommands(commands));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async writeCommands(commands: Buffer[]): Promise<void> {
    let first = true;
    for (const cmd of commands) {
      if (cmd.length === 0) continue;
      if (!first && this.delayMs > 0) await this.sleep(this.delayMs);
      first = false;
      await this.connection.write(cmd);
    }
    // Also keep the gap between this screen's last command and the next screen's first one.
    if (!first && this.delayMs > 0) await this.sleep(this.delayMs);
  }
}
