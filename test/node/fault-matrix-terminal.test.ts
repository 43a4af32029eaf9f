import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startCore, type Core } from '../../src/core/app/core';
import { realPortFactory, type SerialPortLike } from '../../src/core/devices/connection';
import { FrameDecoder, encodeFrame, ACK, NAK, type LinkEvent } from '../../src/core/devices/frame';
import { decodeMisResponse, encodeMisResponse } from '../../src/core/devices/mis';
import { startTerminalSimulator, type SimOutcome, type TerminalSimulator } from '../../src/core/devices/simulator';
import { hasSocat, startNullModem, type NullModem } from '../../src/core/devices/virtual-port';
import { createFileKeyCipher } from '../../src/core/secrets/cipher';
import { silentLogger } from '../../src/core/util/logger';
import { MIS_TRANSACTION_TYPES } from '../../src/shared/devices';
import type { PaymentView } from '../../src/shared/domain';
import { withNonces } from '../support/approvals';
import { tempDir } from '../support/temp';

/**
 * The card terminal fault matrix (issue 13.2): terminal sale and last-transaction query × each fault on
 * the serial link, with real bytes over socat pty pairs: the whole core (checkout → intent → journal
 * "sent" → sale frame) on one end, the terminal simulator on the other, and between them a re-framing
 * line that can damage the terminal's answers (garbage, a bad LRC, a truncated frame, an answer about
 * another amount) — or the core's cable pulled mid-sale. Each row: the sale's state after the fault,
 * its state after one clean re-query by the cashier, and the sale frames the terminal took: never two
 * for one sale (a NAKed transmission is the same frame, not taken).
 */
const TIMEOUTS = { ackTimeoutMs: 300, answerTimeoutMs: 1000, queryTimeoutMs: 1000 };

/** What the line between the core and the terminal does to the terminal's next answer frames. */
type LineFault =
  | { kind: 'garbage' }
  | { kind: 'truncate' }
  | { kind: 'bad_lrc'; count: number }
  | { kind: 'other_amount' }
  /** Nothing: the answer passes unchanged. */
  | { kind: 'none' };

/**
 * A line between two pty pairs (core ⇄ [a|b] ⇄ line ⇄ [c|d] ⇄ terminal): the core's bytes pass as they
 * are; the terminal's are re-framed (ACK, NAK, frames re-encoded byte for byte) so one answer frame can
 * be damaged on its way.
 */
class FaultyLine {
  private coreSide: SerialPortLike | null = null;
  private terminalSide: SerialPortLike | null = null;
  private readonly decoder = new FrameDecoder({ staleMs: 0 });
  private faults: LineFault[] = [];
  /** Answer frames damaged so far. */
  damaged = 0;

  constructor(
    private readonly corePath: string,
    private readonly terminalPath: string,
  ) {}

  async open(): Promise<void> {
    this.coreSide = await openPort(this.corePath);
    this.terminalSide ??= await openPort(this.terminalPath);
    const core = this.coreSide;
    core.on('data', (chunk: Buffer) => this.terminalSide?.write(chunk));
    this.terminalSide.removeAllListeners('data');
    this.terminalSide.on('data', (chunk: Buffer) => {
      for (const event of this.decoder.push(chunk)) this.forward(event);
    });
  }

  /** The core's end of the line vanished (its socat died): reopen the line's end after a re-plug. */
  async reopenCoreSide(): Promise<void> {
    await closePort(this.coreSide);
    this.coreSide = await openPort(this.corePath);
    this.coreSide.on('data', (chunk: Buffer) => this.terminalSide?.write(chunk));
  }

  /** Damage the next answer frames (bad_lrc: that many transmissions in a row). */
  arm(fault: LineFault): void {
    this.faults = fault.kind === 'bad_lrc' ? Array.from({ length: fault.count }, () => fault) : fault.kind === 'none' ? [] : [fault];
    this.damaged = 0;
  }

  private toCore(bytes: Buffer): void {
    if (this.coreSide?.isOpen === true) this.coreSide.write(bytes);
  }

  private forward(event: LinkEvent): void {
    switch (event.kind) {
      case 'ack':
        this.toCore(Buffer.from([ACK]));
        return;
      case 'nak':
        this.toCore(Buffer.from([NAK]));
        return;
      case 'garbage':
        this.toCore(event.bytes);
        return;
      case 'bad_lrc': {
        const frame = encodeFrame(event.data);
        frame[frame.length - 1] = (frame[frame.length - 1] ?? 0) ^ 0xff;
        this.toCore(frame);
        return;
      }
      case 'frame':
        break;
    }
    const fault = this.faults.shift();
    const frame = encodeFrame(event.data);
    if (fault === undefined || fault.kind === 'none') {
      this.toCore(frame);
      return;
    }
    this.damaged += 1;
    switch (fault.kind) {
      case 'garbage':
        this.toCore(Buffer.from('a5f0ffee13375a5a00ffc3', 'hex'));
        return;
      case 'truncate':
        this.toCore(frame.subarray(0, Math.floor(frame.length / 2)));
        return;
      case 'bad_lrc':
        frame[frame.length - 1] = (frame[frame.length - 1] ?? 0) ^ 0xff;
        this.toCore(frame);
        return;
      case 'other_amount': {
        // A well-formed, approved answer with this request's check digits, about another amount.
        const answer = decodeMisResponse(event.data);
        this.toCore(encodeFrame(encodeMisResponse({ ...answer, cardNo: '6222021234567890123', amountFen: (answer.amountFen ?? 0) + 100 })));
        return;
      }
    }
  }

  async close(): Promise<void> {
    await closePort(this.coreSide);
    await closePort(this.terminalSide);
  }
}

async function openPort(path: string): Promise<SerialPortLike> {
  const port = realPortFactory({ path, baudRate: 9600, dataBits: 8, stopBits: 1, parity: 'none' });
  port.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  return port;
}

async function closePort(port: SerialPortLike | null): Promise<void> {
  if (port?.isOpen === true) await new Promise<void>((resolve) => port.close(() => resolve()));
}

interface Row {
  name: string;
  /** What the terminal does with the sale, then with the first last-transaction query. */
  terminal: SimOutcome[];
  /** What the line does to the terminal's answers: to the sale's answer, or to the first query's. */
  line?: { on: 'sale' | 'query'; fault: LineFault };
  /** Pull the core's cable while the customer is at the PIN pad, and plug it back. */
  unplug?: 'during-sale' | 'during-query';
  /** The sale's state once the core has done what it does by itself. */
  settles: PaymentView['status'];
  /** After one clean re-query by the cashier (the terminal and the line behave again). */
  afterRequery: PaymentView['status'];
  /** Paid only by the terminal's last transaction, never by the damaged answer itself. */
  via?: 'query';
}

/** Sale rows: a fault on the sale's own exchange; the core asks for the last transaction by itself once. */
const SALE_ROWS: Row[] = [
  { name: 'clean: approved', terminal: [{}], settles: 'paid', afterRequery: 'paid' },
  { name: 'declined', terminal: [{ result: 'decline', code: '51' }], settles: 'failed', afterRequery: 'failed' },
  {
    name: 'no answer, the terminal processed it: its last transaction settles it',
    terminal: [{ result: 'silent' }],
    settles: 'paid',
    afterRequery: 'paid',
  },
  {
    name: 'no answer, the terminal did not process it: 状态未明, never guessed failed',
    terminal: [{ result: 'silent', completes: false }],
    settles: 'unknown',
    afterRequery: 'unknown',
  },
  {
    name: 'no ACK at all (the terminal processed it): no resend, the last transaction settles it',
    terminal: [{ result: 'silent', noAck: true }],
    settles: 'paid',
    afterRequery: 'paid',
  },
  {
    name: 'timeout after the terminal processed it (answer after the answer timeout)',
    terminal: [{ delayMs: 1600 }],
    settles: 'paid',
    afterRequery: 'paid',
  },
  {
    name: 'timeout before the terminal processed it (no ACK, nothing done)',
    terminal: [{ result: 'silent', noAck: true, completes: false }],
    settles: 'unknown',
    afterRequery: 'unknown',
  },
  { name: 'garbage instead of the answer', terminal: [{}], line: { on: 'sale', fault: { kind: 'garbage' } }, settles: 'paid', afterRequery: 'paid' },
  {
    name: 'bad LRC once: NAKed, resent by the terminal, accepted',
    terminal: [{}],
    line: { on: 'sale', fault: { kind: 'bad_lrc', count: 1 } },
    settles: 'paid',
    afterRequery: 'paid',
  },
  {
    name: 'bad LRC on every transmission: 状态未明, then the last transaction settles it',
    terminal: [{}],
    line: { on: 'sale', fault: { kind: 'bad_lrc', count: 3 } },
    settles: 'paid',
    afterRequery: 'paid',
  },
  { name: 'truncated answer frame', terminal: [{}], line: { on: 'sale', fault: { kind: 'truncate' } }, settles: 'paid', afterRequery: 'paid' },
  {
    name: 'an answer about another transaction (other check digits)',
    terminal: [{ wrongCheck: true }],
    settles: 'paid',
    afterRequery: 'paid',
  },
  {
    name: 'an approved answer about another amount: never paid at our amount on its word; the last transaction (ours) settles it',
    terminal: [{}],
    line: { on: 'sale', fault: { kind: 'other_amount' } },
    settles: 'paid',
    afterRequery: 'paid',
    via: 'query',
  },
  {
    name: 'NAK storm on the sale frame: the terminal refused every transmission, nothing taken',
    terminal: [{ nakRequest: 5 }],
    settles: 'unknown',
    afterRequery: 'unknown',
  },
  {
    name: 'the port vanishes while the customer is at the PIN pad (the terminal completes it)',
    terminal: [{ delayMs: 900 }],
    unplug: 'during-sale',
    settles: 'unknown',
    afterRequery: 'paid',
  },
];

/** Last-transaction rows: the sale's answer is lost (the terminal processed it), then the query meets the fault. */
const LOST = { result: 'silent' } as const;
const QUERY_ROWS: Row[] = [
  { name: 'query: no answer', terminal: [LOST, { result: 'silent' }], settles: 'unknown', afterRequery: 'paid' },
  { name: 'query: answer after the query timeout', terminal: [LOST, { delayMs: 1600 }], settles: 'unknown', afterRequery: 'paid' },
  { name: 'query: garbage', terminal: [LOST], line: { on: 'query', fault: { kind: 'garbage' } }, settles: 'unknown', afterRequery: 'paid' },
  {
    name: 'query: bad LRC on every transmission',
    terminal: [LOST],
    line: { on: 'query', fault: { kind: 'bad_lrc', count: 3 } },
    settles: 'unknown',
    afterRequery: 'paid',
  },
  { name: 'query: truncated frame', terminal: [LOST], line: { on: 'query', fault: { kind: 'truncate' } }, settles: 'unknown', afterRequery: 'paid' },
  { name: 'query: an answer about another transaction', terminal: [LOST, { wrongCheck: true }], settles: 'unknown', afterRequery: 'paid' },
  {
    name: 'query: the last transaction is another amount (not this sale)',
    terminal: [LOST],
    line: { on: 'query', fault: { kind: 'other_amount' } },
    settles: 'unknown',
    afterRequery: 'paid',
  },
  { name: 'query: NAK storm', terminal: [LOST, { nakRequest: 5 }], settles: 'unknown', afterRequery: 'paid' },
  { name: 'query: the port vanishes', terminal: [LOST, { result: 'silent', noAck: true }], unplug: 'during-query', settles: 'unknown', afterRequery: 'paid' },
];

describe.skipIf(!hasSocat())('terminal fault matrix (real bytes over socat pty pairs)', () => {
  let core: Core;
  let coreCable: NullModem;
  let terminalCable: NullModem;
  let line: FaultyLine;
  let terminal: TerminalSimulator;
  let data: { dir: string; cleanup: () => void };
  let ptyDir: string;
  const cashier = { role: 'cashier' as const };
  async function invoke(channel: string, input: unknown): Promise<any> {
    const result = await core.dispatch(channel, await withNonces(channel, input, (c, i) => core.dispatch(c, i, cashier)), cashier);
    if (!result.ok) throw Object.assign(new Error(result.error.message), result.error);
    return result.value;
  }
  const connected = async (): Promise<void> =>
    vi.waitFor(
      async () => expect(await invoke('devices:status', undefined)).toContainEqual(expect.objectContaining({ device: 'card-terminal', state: 'connected' })),
      { timeout: 15_000, interval: 50 },
    );

  beforeAll(async () => {
    data = tempDir('fault-terminal-');
    ptyDir = mkdtempSync(join(tmpdir(), 'fault-terminal-pty-'));
    coreCable = await startNullModem(join(ptyDir, 'pos'), join(ptyDir, 'line-a'));
    terminalCable = await startNullModem(join(ptyDir, 'line-b'), join(ptyDir, 'terminal'));
    line = new FaultyLine(coreCable.b, terminalCable.a);
    await line.open();
    core = await startCore({ dataDir: data.dir, version: '0', platform: 'web', cipher: createFileKeyCipher(data.dir), logger: silentLogger });
    await invoke('session:signIn', { code: '001', pin: '1111' });
    await invoke('settings:save', {
      section: 'devices',
      value: { poleDisplay: null, cardTerminal: { path: coreCable.a, ...TIMEOUTS } },
      approval: { code: '800', pin: '8888' },
    });
    await connected();
  }, 60_000);

  afterAll(async () => {
    await core?.close();
    await line?.close();
    await coreCable?.stop();
    await terminalCable?.stop();
    rmSync(ptyDir, { recursive: true, force: true });
    data?.cleanup();
  });

  beforeEach(async () => {
    terminal = await startTerminalSimulator({ path: terminalCable.b });
  });
  afterEach(async () => {
    await terminal.close();
  });

  /** Sale frames the terminal took (a NAKed transmission is refused, not taken). */
  const saleFramesTaken = (): number => terminal.frames.filter((f) => f.type === MIS_TRANSACTION_TYPES.sale && !f.naked).length;
  const sentEvents = (id: number): number =>
    (core.db.prepare("SELECT count(*) AS n FROM events WHERE entity = 'payment' AND entity_id = ? AND type = 'card.sent'").get(id) as { n: number }).n;
  /**
   * The sale once the core has done what it does by itself: final, or 状态未明 after its own
   * last-transaction query. With the cable pulled that query may not get out at all (the port is gone):
   * then it is 状态未明 still "asking" once the line is back and the terminal link idle.
   */
  async function settled(id: number, portWasPulled: boolean): Promise<PaymentView> {
    const since = Date.now();
    let last: PaymentView | undefined;
    await vi.waitFor(
      async () => {
        last = (await invoke('payment:get', { id })) as PaymentView;
        const done =
          last.status === 'paid' ||
          last.status === 'failed' ||
          (last.status === 'unknown' && (!(last.respMsg ?? '').includes('asking') || (portWasPulled && Date.now() - since > 2500)));
        expect(done).toBe(true);
      },
      { timeout: 15_000, interval: 50 },
    );
    return last!;
  }

  async function unplugAndReplug(): Promise<void> {
    await coreCable.stop();
    await new Promise((r) => setTimeout(r, 300));
    await coreCable.restart();
    await line.reopenCoreSide();
  }

  it.each([...SALE_ROWS, ...QUERY_ROWS].map((r, i) => [r.name, r, 1000 + i * 137] as const))(
    '%s',
    async (_name, row, amountFen) => {
      terminal.script(...row.terminal);
      if (row.line !== undefined && row.line.on === 'sale') line.arm(row.line.fault);
      else line.arm({ kind: 'none' });
      const created = (await invoke('payment:create', { amountFen, tender: 'card' })) as PaymentView;
      if (row.line?.on === 'query') {
        // Arm the line once the sale frame is out and its answer lost: the next answer is the query's.
        await vi.waitFor(() => expect(saleFramesTaken()).toBe(1), { timeout: 5000, interval: 20 });
        line.arm(row.line.fault);
      }
      if (row.unplug === 'during-sale') {
        await vi.waitFor(() => expect(saleFramesTaken()).toBe(1), { timeout: 5000, interval: 20 });
        await unplugAndReplug();
      }
      if (row.unplug === 'during-query') {
        await vi.waitFor(() => expect(terminal.frames.filter((f) => f.type !== MIS_TRANSACTION_TYPES.sale).length).toBeGreaterThan(0), {
          timeout: 8000,
          interval: 20,
        });
        await unplugAndReplug();
      }
      const after = await settled(created.id, row.unplug !== undefined);
      expect(after.status, `after the fault: ${after.respMsg ?? ''}`).toBe(row.settles);
      // Never two sale frames for one sale: one journaled "sent", at most one taken by the terminal.
      expect(sentEvents(created.id)).toBe(1);
      expect(saleFramesTaken()).toBeLessThanOrEqual(1);
      if (row.line !== undefined && row.line.fault.kind !== 'none') expect(line.damaged).toBeGreaterThan(0);

      // The cashier's re-query once the line behaves again (the terminal answers the query cleanly).
      line.arm({ kind: 'none' });
      await connected();
      const requeried = (await invoke('payment:requery', { id: created.id })) as PaymentView;
      expect(requeried.status, `after a clean re-query: ${requeried.respMsg ?? ''}`).toBe(row.afterRequery);
      if (row.via === 'query') expect(requeried.respMsg).toContain('last transaction is this sale');
      if (requeried.status === 'paid') {
        expect(requeried.amountFen).toBe(amountFen);
        expect(terminal.lastTransaction?.amountFen).toBe(amountFen);
      }
      expect(sentEvents(created.id)).toBe(1);
      expect(saleFramesTaken()).toBeLessThanOrEqual(1);
    },
    40_000,
  );
});
