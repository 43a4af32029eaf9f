/**
 * One serial port that stays usable: opens through an injected factory (real `serialport` in the app,
 * `SerialPortMock` in tests), reports its state, and reopens with backoff after the port closes or
 * errors. Nothing a port does can crash the process: every 'error' event has a listener and every
 * callback error becomes an AppError or a state change.
 *
 * Unplug detection: a pty or a USB adapter that disappears often produces no 'close' event until the
 * next write (measured: killing socat leaves the port "open"). So while connected, the path is
 * checked every `watchIntervalMs`: gone, or now pointing to a different device node (socat restarted),
 * means disconnected, and the reconnect loop takes over.
 */
import fs from 'node:fs';
import { SerialPort, SerialPortMock } from 'serialport';
import { AppError } from '../../shared/errors';
import type { ErrorCode } from '../../shared/errors';
import type { Parity } from '../../shared/devices';
import type { Logger } from '../util/logger';
import { silentLogger } from '../util/logger';
import type { Timers } from './timers';
import { realTimers } from './timers';

/** What the device modules need from a serial port; both `SerialPort` and `SerialPortMock` fit. */
export interface SerialPortLike {
  readonly isOpen: boolean;
  open(callback: (err: Error | null) => void): void;
  close(callback?: (err: Error | null) => void): void;
  write(data: Buffer, callback?: (err: Error | null | undefined) => void): boolean;
  drain(callback?: (err: Error | null) => void): void;
  on(event: string, listener: (...args: never[]) => void): unknown;
  removeAllListeners(event?: string): unknown;
}

export interface SerialSettings {
  path: string;
  baudRate: number;
  dataBits: 5 | 6 | 7 | 8;
  stopBits: 1 | 1.5 | 2;
  parity: Parity;
}

/** Creates a port that is not opened yet (`autoOpen: false` is implied). */
export type PortFactory = (settings: SerialSettings) => SerialPortLike;

/** The real serial port (N-API prebuilds inside `@serialport/bindings-cpp`). */
export const realPortFactory: PortFactory = (s) =>
  new SerialPort({ path: s.path, baudRate: s.baudRate, dataBits: s.dataBits, stopBits: s.stopBits, parity: s.parity, autoOpen: false });

/**
 * Ports of the mock binding; create them first with `SerialPortMock.binding.createPort(path, {...})`
 * (the mock registry must be the one `serialport` exports, see digest §3).
 */
export const mockPortFactory: PortFactory = (s) =>
  new SerialPortMock({ path: s.path, baudRate: s.baudRate, dataBits: s.dataBits, stopBits: s.stopBits, parity: s.parity, autoOpen: false });

export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'disconnected' | 'error' | 'closed';

export interface ConnectionEvent {
  state: ConnectionState;
  detail: string;
  code?: ErrorCode;
}

export interface ReconnectPolicy {
  /** First delay after a loss or failed open. */
  minMs: number;
  /** Delays double up to this. */
  maxMs: number;
}

export const DEFAULT_RECONNECT: ReconnectPolicy = { minMs: 500, maxMs: 10_000 };

export interface SerialConnectionOptions {
  serial: SerialSettings;
  portFactory: PortFactory;
  timers?: Timers;
  logger?: Logger;
  /** null: never reopen by itself. Default DEFAULT_RECONNECT. */
  reconnect?: ReconnectPolicy | null;
  /** Path check period while connected; 0 disables. Default 1000 ms for absolute paths, off for `COM3`. */
  watchIntervalMs?: number;
  /** Which device node the path names now (null = gone). Default: fs.realpathSync. */
  pathIdentity?: (path: string) => string | null;
}

function defaultPathIdentity(path: string): string | null {
  try {
    return fs.realpathSync(path);
  } catch {
    return null;
  }
}

/**
 * Maps an open/write error of the serial bindings to a stable code: missing path → DEVICE_NOT_FOUND,
 * locked / in use / no permission → DEVICE_BUSY, anything else → DEVICE_DISCONNECTED.
 */
export function mapPortError(err: unknown, path: string): AppError {
  if (err instanceof AppError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (/ENOENT|No such file|does not exist|cannot find|not found/i.test(message)) {
    return new AppError('DEVICE_NOT_FOUND', `serial port ${path} not found (${message})`, { port: path });
  }
  if (/lock|EBUSY|busy|temporarily unavailable|Access denied|EACCES|permission/i.test(message)) {
    return new AppError('DEVICE_BUSY', `serial port ${path} is in use or not permitted (${message})`, { port: path });
  }
  return new AppError('DEVICE_DISCONNECTED', `serial port ${path}: ${message}`, { port: path });
}

export class SerialConnection {
  readonly path: string;
  private readonly opts: SerialConnectionOptions;
  private readonly timers: Timers;
  private readonly logger: Logger;
  private readonly reconnect: ReconnectPolicy | null;
  private readonly watchIntervalMs: number;
  private readonly pathIdentity: (path: string) => string | null;
  private port: SerialPortLike | null = null;
  /** Bumped whenever a port is abandoned so late callbacks of old ports are ignored. */
  private generation = 0;
  private stopped = true;
  private attempt = 0;
  private retryTimer: unknown = null;
  private watchTimer: unknown = null;
  private identity: string | null = null;
  private current: ConnectionEvent = { state: 'idle', detail: 'not opened' };
  private readonly stateListeners = new Set<(event: ConnectionEvent) => void>();
  private readonly dataListeners = new Set<(chunk: Buffer) => void>();

  constructor(options: SerialConnectionOptions) {
    this.opts = options;
    this.path = options.serial.path;
    this.timers = options.timers ?? realTimers;
    this.logger = options.logger ?? silentLogger;
    this.reconnect = options.reconnect === undefined ? DEFAULT_RECONNECT : options.reconnect;
    this.watchIntervalMs = options.watchIntervalMs ?? (options.serial.path.startsWith('/') ? 1000 : 0);
    this.pathIdentity = options.pathIdentity ?? defaultPathIdentity;
  }

  get state(): ConnectionEvent {
    return this.current;
  }

  get isOpen(): boolean {
    return this.current.state === 'connected' && this.port !== null;
  }

  /** Listens to state changes; returns the unsubscribe function. */
  onState(listener: (event: ConnectionEvent) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** Listens to received bytes; returns the unsubscribe function. */
  onData(listener: (chunk: Buffer) => void): () => void {
    this.dataListeners.add(listener);
    return () => this.dataListeners.delete(listener);
  }

  /**
   * Opens the port. Rejects with DEVICE_NOT_FOUND / DEVICE_BUSY / DEVICE_DISCONNECTED when the first
   * attempt fails; with a reconnect policy it keeps trying in the background until `close()`.
   */
  open(): Promise<void> {
    this.stopped = false;
    this.attempt = 0;
    this.clearRetry();
    if (this.isOpen) return Promise.resolve();
    this.setState({ state: 'connecting', detail: `opening ${this.path}` });
    return this.connect();
  }

  /** Stops reconnecting and closes the port. Never rejects. */
  async close(): Promise<void> {
    this.stopped = true;
    this.clearRetry();
    this.stopWatch();
    this.generation += 1;
    const port = this.port;
    this.port = null;
    if (port !== null) await closeQuietly(port);
    this.setState({ state: 'closed', detail: 'closed' });
  }

  /**
   * Writes bytes and waits until they are handed to the OS (drain). Rejects with DEVICE_DISCONNECTED
   * when the port is not open or the write fails (the loss is also reported as a state change).
   */
  write(data: Buffer): Promise<void> {
    const port = this.port;
    if (port === null || this.current.state !== 'connected') {
      return Promise.reject(new AppError('DEVICE_DISCONNECTED', `serial port ${this.path} is not connected`, { port: this.path }));
    }
    const gen = this.generation;
    return new Promise((resolve, reject) => {
      port.write(data, (err) => {
        if (err) {
          const appErr = new AppError('DEVICE_DISCONNECTED', `write to ${this.path} failed: ${err.message}`, { port: this.path });
          this.lost(gen, appErr.message);
          reject(appErr);
          return;
        }
        port.drain((drainErr) => {
          if (drainErr) {
            this.lost(gen, `drain failed: ${drainErr.message}`);
            reject(new AppError('DEVICE_DISCONNECTED', `write to ${this.path} failed: ${drainErr.message}`, { port: this.path }));
          } else {
            resolve();
          }
        });
      });
    });
  }

  private connect(): Promise<void> {
    const gen = ++this.generation;
    let port: SerialPortLike;
    try {
      port = this.opts.portFactory(this.opts.serial);
    } catch (err) {
      const appErr = mapPortError(err, this.path);
      this.failed(appErr);
      return Promise.reject(appErr);
    }
    port.on('error', (err: Error) => {
      this.logger.warn('serial port error', { port: this.path, message: err.message });
      if (gen === this.generation && this.port === port && !port.isOpen) this.lost(gen, err.message);
    });
    port.on('close', (err?: Error | null) => {
      if (gen === this.generation && this.port === port) this.lost(gen, err ? err.message : 'port closed');
    });
    port.on('data', (chunk: Buffer) => {
      if (gen !== this.generation) return;
      for (const listener of this.dataListeners) {
        try {
          listener(chunk);
        } catch (listenerErr) {
          this.logger.error('serial data listener failed', { port: this.path, error: listenerErr });
        }
      }
    });
    return new Promise((resolve, reject) => {
      port.open((err) => {
        if (gen !== this.generation || this.stopped) {
          void closeQuietly(port);
          reject(new AppError('DEVICE_DISCONNECTED', `opening ${this.path} was cancelled`, { port: this.path }));
          return;
        }
        if (err) {
          const appErr = mapPortError(err, this.path);
          this.failed(appErr);
          reject(appErr);
          return;
        }
        this.port = port;
        this.attempt = 0;
        this.identity = this.watchIntervalMs > 0 ? this.pathIdentity(this.path) : null;
        this.setState({ state: 'connected', detail: `open at ${this.opts.serial.baudRate} baud` });
        this.startWatch(gen);
        resolve();
      });
    });
  }

  private failed(err: AppError): void {
    const retry = this.scheduleRetry();
    const detail = retry === null ? err.message : `${err.message}; retrying in ${retry} ms`;
    // A device that was there and went away stays "disconnected" while we look for it again; "error"
    // is for a port that never opened (wrong path, in use, no permission).
    if (this.current.state === 'disconnected') this.setState({ state: 'disconnected', detail, code: 'DEVICE_DISCONNECTED' });
    else this.setState({ state: 'error', detail, code: err.code });
  }

  private lost(gen: number, reason: string): void {
    if (gen !== this.generation || this.stopped) return;
    this.generation += 1;
    this.stopWatch();
    const port = this.port;
    this.port = null;
    if (port !== null) void closeQuietly(port);
    this.logger.warn('serial port lost', { port: this.path, reason });
    const retry = this.scheduleRetry();
    this.setState({
      state: 'disconnected',
      detail: retry === null ? reason : `${reason}; retrying in ${retry} ms`,
      code: 'DEVICE_DISCONNECTED',
    });
  }

  /** Returns the delay chosen, or null when no retry will happen. */
  private scheduleRetry(): number | null {
    if (this.reconnect === null || this.stopped) return null;
    this.clearRetry();
    const delay = Math.min(this.reconnect.maxMs, this.reconnect.minMs * 2 ** Math.min(this.attempt, 20));
    this.attempt += 1;
    this.retryTimer = this.timers.setTimeout(() => {
      this.retryTimer = null;
      if (this.stopped) return;
      this.connect().catch(() => undefined);
    }, delay);
    return delay;
  }

  private clearRetry(): void {
    if (this.retryTimer !== null) this.timers.clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private startWatch(gen: number): void {
    this.stopWatch();
    if (this.watchIntervalMs <= 0) return;
    const tick = (): void => {
      this.watchTimer = null;
      if (gen !== this.generation || this.stopped) return;
      const now = this.pathIdentity(this.path);
      if (now === null) {
        this.lost(gen, `${this.path} disappeared`);
      } else if (this.identity !== null && now !== this.identity) {
        this.lost(gen, `${this.path} now names a different device`);
      } else {
        this.watchTimer = this.timers.setTimeout(tick, this.watchIntervalMs);
      }
    };
    this.watchTimer = this.timers.setTimeout(tick, this.watchIntervalMs);
  }

  private stopWatch(): void {
    if (this.watchTimer !== null) this.timers.clearTimeout(this.watchTimer);
    this.watchTimer = null;
  }

  private setState(event: ConnectionEvent): void {
    if (event.state === this.current.state && event.detail === this.current.detail && event.code === this.current.code) return;
    this.current = event;
    for (const listener of this.stateListeners) {
      try {
        listener(event);
      } catch (err) {
        this.logger.error('serial state listener failed', { port: this.path, error: err });
      }
    }
  }
}

function closeQuietly(port: SerialPortLike): Promise<void> {
  return new Promise((resolve) => {
    if (!port.isOpen) {
      resolve();
      return;
    }
    try {
      port.close(() => resolve());
    } catch {
      resolve();
    }
  });
}
