/**
 * A receipt printer stand-in for tests and for trying a setup without hardware: it takes ESC/POS bytes
 * on a loopback TCP port (like a network printer on 9100) or on one end of a serial line (a socat pty
 * pair), records what it was sent, answers `DLE EOT` with its state, and can be told it is out of paper
 * or has its cover open. While it cannot print, jobs it receives are recorded as discarded, as a real
 * printer would lose them.
 */
import net from 'node:net';
import type { SerialPortLike } from './connection';
import { decodeEscpos, type DecodedReceipt } from './escpos-decoder';

export interface PrinterSimState {
  paperOut: boolean;
  coverOpen: boolean;
  online: boolean;
  /** false: never answer DLE EOT (printers that cannot report). */
  answersStatus: boolean;
}

export interface PrinterSimCore {
  readonly state: PrinterSimState;
  /** Feeds received bytes; returns the status answers to send back. */
  receive(chunk: Buffer): Buffer;
  /** Every byte received. */
  raw(): Buffer;
  /** The bytes that reached paper (received while it could print), without status queries. */
  printed(): Buffer;
  /** The printed jobs, decoded (one per `ESC @`). */
  jobs(): DecodedReceipt[];
  set(patch: Partial<PrinterSimState>): void;
  clear(): void;
}

/** Status bytes of an Epson-compatible printer (fixed bits 1 and 4 set). */
export function statusByte(n: number, state: PrinterSimState): number {
  const base = 0x12;
  if (n === 1) return base | (state.online && !state.coverOpen && !state.paperOut ? 0 : 0x08);
  if (n === 2) return base | (state.coverOpen ? 0x04 : 0) | (state.paperOut ? 0x20 : 0);
  if (n === 4) return base | (state.paperOut ? 0x60 : 0);
  return base;
}

export function createPrinterSimCore(initial: Partial<PrinterSimState> = {}): PrinterSimCore {
  const state: PrinterSimState = { paperOut: false, coverOpen: false, online: true, answersStatus: true, ...initial };
  let raw = Buffer.alloc(0);
  /** [start, end) offsets of `raw` received while the printer could print. */
  let ranges: [number, number][] = [];
  let answered = 0;
  const printed = (): Buffer => {
    const skip = new Set<number>();
    for (const q of decodeEscpos(raw).commands) if (q.name === 'status') for (let k = 0; k < 3; k += 1) skip.add(q.at + k);
    const out: number[] = [];
    for (const [start, end] of ranges) for (let i = start; i < end; i += 1) if (!skip.has(i)) out.push(raw[i] ?? 0);
    return Buffer.from(out);
  };
  return {
    state,
    receive(chunk) {
      const start = raw.length;
      raw = Buffer.concat([raw, chunk]);
      if (state.online && !state.paperOut && !state.coverOpen) ranges.push([start, raw.length]);
      const queries = decodeEscpos(raw).commands.filter((c) => c.name === 'status');
      const replies = queries.slice(answered).map((q) => statusByte(q.args[0] ?? 0, state));
      answered = queries.length;
      return state.answersStatus ? Buffer.from(replies) : Buffer.alloc(0);
    },
    raw: () => raw,
    printed,
    jobs() {
      const bytes = printed();
      const d = decodeEscpos(bytes);
      const inits = d.commands.filter((c) => c.name === 'init').map((c) => c.at);
      return inits.map((at, k) => decodeEscpos(bytes.subarray(at, inits[k + 1] ?? bytes.length)));
    },
    set(patch) {
      Object.assign(state, patch);
    },
    clear() {
      raw = Buffer.alloc(0);
      ranges = [];
      answered = 0;
    },
  };
}

export interface TcpPrinterStandIn {
  readonly host: string;
  readonly port: number;
  readonly sim: PrinterSimCore;
  close(): Promise<void>;
}

/** A network printer on 127.0.0.1 (`port` 0 = any free port). */
export function startTcpPrinterStandIn(
  options: { port?: number; host?: string; onJob?: (job: DecodedReceipt) => void } & Partial<PrinterSimState> = {},
): Promise<TcpPrinterStandIn> {
  const { port = 0, host = '127.0.0.1', onJob, ...initial } = options;
  const sim = createPrinterSimCore(initial);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    const before = sim.jobs().length;
    socket.on('data', (chunk: Buffer) => {
      const reply = sim.receive(chunk);
      if (reply.length > 0) socket.write(reply);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      sockets.delete(socket);
      if (onJob !== undefined) for (const job of sim.jobs().slice(before)) onJob(job);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : port;
      resolve({
        host,
        port: bound,
        sim,
        close: () =>
          new Promise((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

/** The printer on the far end of a serial line (e.g. the other end of a socat pty pair). */
export function attachSerialPrinterStandIn(port: SerialPortLike, initial: Partial<PrinterSimState> = {}): { sim: PrinterSimCore; close: () => Promise<void> } {
  const sim = createPrinterSimCore(initial);
  port.on('data', (chunk: Buffer) => {
    const reply = sim.receive(chunk);
    if (reply.length > 0) port.write(reply);
  });
  port.on('error', () => undefined);
  return {
    sim,
    close: () =>
      new Promise((resolve) => {
        if (!port.isOpen) resolve();
        else port.close(() => resolve());
      }),
  };
}
