/**
 * `npm run printer -- [--port 9100] [--host 127.0.0.1] | [--serial /dev/pts/N --baud 9600] [--paper-out]`
 *
 * A receipt printer stand-in to try a counter's printing without hardware: a network printer on a
 * loopback TCP port (Settings → devices → receipt printer → network, 127.0.0.1 and this port), or the
 * far end of a serial line (a socat pty pair: `socat -d -d pty,raw,echo=0 pty,raw,echo=0`, the counter
 * on one end, this on the other). Every job it receives is decoded (printer-standin.ts /
 * escpos-decoder.ts) and shown as the paper would read — lines at their alignment, bold and double size
 * marked — with the QR and barcode payloads, the cut and drawer kicks. It answers the counter's status
 * queries (DLE EOT) from its state, which stdin changes while it runs: `paper out`, `paper in`,
 * `cover open`, `cover close`, `offline`, `online`, `quit`. While it cannot print, jobs are lost, as on
 * a real printer (the counter queues them and offers 重新打印).
 */
import net from 'node:net';
import iconv from 'iconv-lite';
import { createInterface } from 'node:readline';
import { SerialPort } from 'serialport';
import { createPrinterSimCore, type PrinterSimCore } from './printer-standin';
import type { DecodedLine, DecodedReceipt } from './escpos-decoder';

interface Options {
  host: string;
  port: number;
  serial: string | null;
  baud: number;
  paperOut: boolean;
}

const USAGE = 'usage: npm run printer -- [--port 9100] [--host 127.0.0.1] | [--serial /dev/pts/N] [--baud 9600] [--paper-out]';

export function parseArgs(argv: readonly string[]): Options {
  const o: Options = { host: '127.0.0.1', port: 9100, serial: null, baud: 9600, paperOut: false };
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[i + 1];
      if (v === undefined || v.startsWith('--')) throw new Error(`${a ?? ''} needs a value\n${USAGE}`);
      i += 1;
      return v;
    };
    const int = (name: string, min: number, max: number): number => {
      const v = value();
      if (!/^[0-9]+$/.test(v) || Number(v) < min || Number(v) > max) throw new Error(`${name} must be a whole number from ${min} to ${max}, not ${v}`);
      return Number(v);
    };
    if (a === '--port') o.port = int('--port', 0, 65535);
    else if (a === '--host') o.host = value();
    else if (a === '--serial') o.serial = value();
    else if (a === '--baud') o.baud = int('--baud', 1200, 921600);
    else if (a === '--paper-out') o.paperOut = true;
    else if (a === '--help' || a === '-h') throw new Error(USAGE);
    else throw new Error(`unknown option ${a ?? ''}\n${USAGE}`);
  }
  return o;
}

/** Display columns of a decoded line: its GB18030 bytes (a Chinese character is two columns), doubled when double size. */
function columns(line: DecodedLine): number {
  return line.bytes.length * (line.big ? 2 : 1);
}

/** A decoded job as the paper reads, `width` columns wide (the widest line when wider). */
export function renderJob(job: DecodedReceipt, n: number): string {
  const width = Math.max(32, ...job.lines.map(columns));
  const out: string[] = [`┌─ job ${n} ${'─'.repeat(Math.max(0, width - 7 - String(n).length))}┐`];
  for (const line of job.lines) {
    const pad = width - columns(line);
    const left = line.align === 'center' ? Math.floor(pad / 2) : line.align === 'right' ? pad : 0;
    // Double width: each character followed by as many spaces as it is wide (a Chinese character is two columns).
    const text = line.big ? [...line.text].map((ch) => ch + ' '.repeat(iconv.encode(ch, 'gb18030').length)).join('') : line.text;
    const marks = `${line.bold ? ' [bold]' : ''}${line.big ? ' [2×]' : ''}`;
    out.push(`│${' '.repeat(left)}${text}${' '.repeat(Math.max(0, pad - left))}│${marks}`);
  }
  out.push(`└${'─'.repeat(width)}┘`);
  for (const q of job.qr) out.push(`  QR:       ${q}`);
  for (const b of job.barcodes) out.push(`  CODE128:  ${b}`);
  for (const c of job.cuts) out.push(`  cut:      ${c}`);
  for (const k of job.drawerKicks) out.push(`  drawer:   pin ${k.pin}, ${k.onMs} ms on / ${k.offMs} ms off`);
  if (job.unknown.length > 0) out.push(`  unknown bytes at offsets ${job.unknown.slice(0, 10).join(', ')}`);
  return out.join('\n');
}

function stateLine(sim: PrinterSimCore): string {
  const s = sim.state;
  return `state: ${s.online ? 'online' : 'offline'}, ${s.paperOut ? 'PAPER OUT' : 'paper in'}, cover ${s.coverOpen ? 'OPEN' : 'closed'}`;
}

/** Prints each new job once the line has been quiet for a moment (a job arrives in several chunks). */
function jobPrinter(sim: PrinterSimCore, write: (s: string) => void): () => void {
  let shown = 0;
  let timer: NodeJS.Timeout | null = null;
  return () => {
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      const jobs = sim.jobs();
      for (; shown < jobs.length; shown += 1) {
        const job = jobs[shown];
        if (job !== undefined) write(`${renderJob(job, shown + 1)}\n`);
      }
    }, 300);
  };
}

export async function main(
  argv: readonly string[],
  write: (s: string) => void = (s) => process.stdout.write(s),
): Promise<{ sim: PrinterSimCore; address: string; close: () => Promise<void> }> {
  const o = parseArgs(argv);
  const sim = createPrinterSimCore({ paperOut: o.paperOut });
  const onData = jobPrinter(sim, write);
  let close: () => Promise<void>;
  let address: string;
  if (o.serial !== null) {
    const port = new SerialPort({ path: o.serial, baudRate: o.baud, autoOpen: false });
    await new Promise<void>((ok, fail) => port.open((e) => (e === null ? ok() : fail(new Error(`cannot open ${o.serial ?? ''}: ${e.message}`)))));
    port.on('data', (chunk: Buffer) => {
      const reply = sim.receive(chunk);
      if (reply.length > 0) port.write(reply);
      onData();
    });
    port.on('error', (e) => write(`serial error: ${e.message}\n`));
    address = o.serial;
    write(`receipt printer stand-in on ${o.serial} (${o.baud} baud) — ${stateLine(sim)}\n`);
    close = () => new Promise((done) => (port.isOpen ? port.close(() => done()) : done()));
  } else {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('data', (chunk: Buffer) => {
        const reply = sim.receive(chunk);
        if (reply.length > 0) socket.write(reply);
        onData();
      });
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((ok, fail) => {
      server.once('error', (e) => fail(new Error(`cannot listen on ${o.host}:${o.port}: ${e.message}`)));
      server.listen(o.port, o.host, () => ok());
    });
    const bound = server.address();
    address = `${o.host}:${typeof bound === 'object' && bound !== null ? bound.port : o.port}`;
    write(`receipt printer stand-in on tcp ${address} — ${stateLine(sim)}\n`);
    close = () =>
      new Promise((done) => {
        for (const s of sockets) s.destroy();
        server.close(() => done());
      });
  }
  write('commands: paper out | paper in | cover open | cover close | offline | online | quit\n');
  return { sim, address, close };
}

const COMMANDS: Record<string, Parameters<PrinterSimCore['set']>[0]> = {
  'paper out': { paperOut: true },
  'paper in': { paperOut: false },
  'cover open': { coverOpen: true },
  'cover close': { coverOpen: false },
  offline: { online: false },
  online: { online: true },
};

/** The command line: stdin changes the printer's state. */
async function run(): Promise<void> {
  let started: Awaited<ReturnType<typeof main>>;
  try {
    started = await main(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 2;
    return;
  }
  const rl = createInterface({ input: process.stdin });
  const stop = async (): Promise<void> => {
    rl.close();
    process.stdin.destroy();
    await started.close();
  };
  rl.on('line', (line) => {
    const cmd = line.trim().toLowerCase().replace(/\s+/g, ' ');
    if (cmd === '') return;
    if (cmd === 'quit' || cmd === 'exit') return void stop();
    const patch = COMMANDS[cmd];
    if (patch === undefined) process.stdout.write(`unknown command "${cmd}"\n`);
    else {
      started.sim.set(patch);
      process.stdout.write(`${stateLine(started.sim)}\n`);
    }
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stop());
}

if (process.env.VITEST === undefined) void run();
