/**
 * How bytes reach a receipt printer: a serial port (kept open and reopened like the pole display's), a
 * network printer on raw TCP (port 9100, one connection per job), or a Linux printer device file
 * (`/dev/usb/lp0`, opened per job). Where the line can be read (serial, TCP) the printer is asked for
 * its status with `DLE EOT 1/2/4` before a job; a printer that does not answer is "status unknown",
 * not an error (many never answer), while an answer of paper out / cover open / offline stops the job
 * before anything is printed, so it can be queued and offered again.
 */
import fs from 'node:fs/promises';
import net from 'node:net';
import { AppError } from '../../shared/errors';
import type { PrinterStatus, ReceiptPrinterConfig } from '../../shared/printer';
import type { Logger } from '../util/logger';
import { silentLogger } from '../util/logger';
import type { PortFactory, ReconnectPolicy } from './connection';
import { SerialConnection } from './connection';
import { cmd, decodeStatus } from './receipt-encoder';
import type { Timers } from './timers';
import { realTimers } from './timers';

export const UNKNOWN_STATUS: PrinterStatus = { online: null, paperOut: null, paperNearEnd: null, coverOpen: null };

export interface PrinterLink {
  /** `tcp 10.0.0.5:9100`, `serial /dev/ttyUSB0`, `device /dev/usb/lp0`. */
  readonly target: string;
  readonly canReadStatus: boolean;
  /** Opens what stays open (serial); a no-op for per-job links. Never rejects for a missing device. */
  open(): Promise<void>;
  /** Asks DLE EOT where readable; UNKNOWN_STATUS when the printer does not answer. */
  status(): Promise<PrinterStatus>;
  /**
   * Sends one job. With `checkStatus`, asks the status first and throws PRINTER_NOT_READY (nothing
   * written) for paper out, cover open or offline. DEVICE_* errors when the printer cannot be reached.
   */
  send(job: Buffer, checkStatus: boolean): Promise<PrinterStatus>;
  close(): Promise<void>;
  /** Connection changes of persistent links (serial). */
  onState?(listener: (state: { state: string; detail: string; code?: string | undefined }) => void): () => void;
}

/** Throws PRINTER_NOT_READY when the status says the printer cannot print. */
export function assertReady(status: PrinterStatus, target: string): void {
  const problems: string[] = [];
  if (status.paperOut === true) problems.push('paper out');
  if (status.coverOpen === true) problems.push('cover open');
  if (status.online === false && problems.length === 0) problems.push('offline');
  if (problems.length > 0) {
    throw new AppError('PRINTER_NOT_READY', `printer ${target}: ${problems.join(', ')}`, {
      paperOut: status.paperOut === true,
      coverOpen: status.coverOpen === true,
      online: status.online !== false,
    });
  }
}

const STATUS_QUERY = Buffer.concat([cmd.status(1), cmd.status(2), cmd.status(4)]);

/** Collects the three status bytes from a readable line; UNKNOWN_STATUS after `timeoutMs`. */
function readStatus(subscribe: (onData: (chunk: Buffer) => void) => () => void, write: () => void, timeoutMs: number, timers: Timers): Promise<PrinterStatus> {
  return new Promise((resolve) => {
    let got = Buffer.alloc(0);
    let done = false;
    const finish = (status: PrinterStatus): void => {
      if (done) return;
      done = true;
      off();
      timers.clearTimeout(timer);
      resolve(status);
    };
    const off = subscribe((chunk) => {
      got = Buffer.concat([got, chunk]);
      if (got.length >= 3) {
        const [p = 0, o = 0, r = 0] = got.subarray(got.length - 3);
        finish(decodeStatus(p, o, r));
      }
    });
    const timer = timers.setTimeout(() => finish(UNKNOWN_STATUS), timeoutMs);
    try {
      write();
    } catch {
      finish(UNKNOWN_STATUS);
    }
  });
}

function netError(err: unknown, target: string): AppError {
  if (err instanceof AppError) return err;
  const e = err as NodeJS.ErrnoException;
  const message = e instanceof Error ? e.message : String(err);
  if (e.code === 'ETIMEDOUT') return new AppError('DEVICE_TIMEOUT', `printer ${target} did not answer in time`, { target });
  if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN')
    return new AppError('DEVICE_NOT_FOUND', `printer ${target}: address not found (${message})`, { target });
  if (e.code === 'ENOENT') return new AppError('DEVICE_NOT_FOUND', `printer ${target} not found (${message})`, { target });
  if (e.code === 'EACCES' || e.code === 'EPERM' || e.code === 'EBUSY')
    return new AppError('DEVICE_BUSY', `printer ${target} is in use or not permitted (${message})`, { target });
  return new AppError('DEVICE_DISCONNECTED', `printer ${target} cannot be reached (${message})`, { target });
}

export interface LinkDeps {
  portFactory: PortFactory;
  timers?: Timers;
  logger?: Logger;
  reconnect?: ReconnectPolicy | null;
  watchIntervalMs?: number;
  pathIdentity?: (path: string) => string | null;
  /** How long to wait for the status bytes (default 800 ms). */
  statusTimeoutMs?: number;
}

/** Raw TCP (JetDirect / port 9100): one connection per job, status on the same connection. */
export function tcpLink(host: string, port: number, timeoutMs: number, deps: Pick<LinkDeps, 'timers' | 'statusTimeoutMs'> = {}): PrinterLink {
  const target = `tcp ${host}:${port}`;
  const timers = deps.timers ?? realTimers;
  const statusTimeoutMs = deps.statusTimeoutMs ?? 800;
  const connect = (): Promise<net.Socket> =>
    new Promise((resolve, reject) => {
      const socket = net.connect({ host, port });
      socket.setTimeout(timeoutMs, () => socket.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
      socket.once('connect', () => {
        socket.removeAllListeners('error');
        socket.on('error', () => undefined);
        resolve(socket);
      });
      socket.once('error', (err) => reject(netError(err, target)));
    });
  const queryOn = (socket: net.Socket): Promise<PrinterStatus> =>
    readStatus(
      (onData) => {
        socket.on('data', onData);
        return () => socket.off('data', onData);
      },
      () => socket.write(STATUS_QUERY),
      statusTimeoutMs,
      timers,
    );
  const finish = (socket: net.Socket, data: Buffer | null): Promise<void> =>
    new Promise((resolve, reject) => {
      const fail = (err: Error): void => reject(netError(err, target));
      socket.once('error', fail);
      socket.once('close', (hadError) => {
        if (!hadError) resolve();
      });
      if (data === null) socket.end();
      else socket.end(data);
    });
  return {
    target,
    canReadStatus: true,
    open: () => Promise.resolve(),
    async status() {
      const socket = await connect();
      try {
        return await queryOn(socket);
      } finally {
        await finish(socket, null).catch(() => undefined);
      }
    },
    async send(job, checkStatus) {
      const socket = await connect();
      let status = UNKNOWN_STATUS;
      try {
        if (checkStatus) {
          status = await queryOn(socket);
          assertReady(status, target);
        }
      } catch (err) {
        socket.destroy();
        throw err;
      }
      await finish(socket, job);
      return status;
    },
    close: () => Promise.resolve(),
  };
}

/** A printer device file (`/dev/usb/lp0`): opened, written and closed per job; its status is not read. */
export function deviceLink(path: string): PrinterLink {
  const target = `device ${path}`;
  return {
    target,
    canReadStatus: false,
    open: () => Promise.resolve(),
    status: () => Promise.resolve(UNKNOWN_STATUS),
    async send(job) {
      let handle: fs.FileHandle | undefined;
      try {
        handle = await fs.open(path, 'a');
        await handle.write(job);
      } catch (err) {
        throw netError(err, target);
      } finally {
        await handle?.close().catch(() => undefined);
      }
      return UNKNOWN_STATUS;
    },
    close: () => Promise.resolve(),
  };
}

/** A serial receipt printer: the port stays open and is reopened with backoff, like the pole display. */
export function serialLink(config: ReceiptPrinterConfig, deps: LinkDeps): PrinterLink {
  const target = `serial ${config.path}`;
  const timers = deps.timers ?? realTimers;
  const statusTimeoutMs = deps.statusTimeoutMs ?? 800;
  const connection = new SerialConnection({
    serial: { path: config.path, baudRate: config.baudRate, dataBits: config.dataBits, stopBits: config.stopBits, parity: config.parity },
    portFactory: deps.portFactory,
    timers,
    logger: deps.logger ?? silentLogger,
    ...(deps.reconnect !== undefined ? { reconnect: deps.reconnect } : {}),
    ...(deps.watchIntervalMs !== undefined ? { watchIntervalMs: deps.watchIntervalMs } : {}),
    ...(deps.pathIdentity !== undefined ? { pathIdentity: deps.pathIdentity } : {}),
  });
  let tail: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn);
    tail = run.catch(() => undefined);
    return run;
  };
  const query = (): Promise<PrinterStatus> =>
    readStatus(
      (onData) => connection.onData(onData),
      () => {
        connection.write(STATUS_QUERY).catch(() => undefined);
      },
      statusTimeoutMs,
      timers,
    );
  return {
    target,
    canReadStatus: true,
    open: () => connection.open().catch(() => undefined),
    status: () => exclusive(async () => (connection.isOpen ? query() : UNKNOWN_STATUS)),
    send: (job, checkStatus) =>
      exclusive(async () => {
        if (!connection.isOpen) throw new AppError('DEVICE_DISCONNECTED', `printer ${target} is not connected`, { target });
        let status = UNKNOWN_STATUS;
        if (checkStatus) {
          status = await query();
          assertReady(status, target);
        }
        await connection.write(job);
        return status;
      }),
    close: () => connection.close(),
    onState: (listener) => connection.onState(listener),
  };
}
