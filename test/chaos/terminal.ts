/**
 * The chaos run's card terminal: the far end of a socat pty pair speaking the real framing and MIS
 * payload (src/core/devices/frame.ts, mis.ts), with its own durable record — every money request it
 * took (the exact payload bytes, what it decided, the voucher and reference it gave) is written to a
 * JSON file before it answers, as a terminal keeps its batch. It can be switched off and on again (the
 * record and voucher numbering survive), and the seed decides each sale: approved (after a while at
 * the PIN pad), declined, or no answer at all (the terminal completed it, or did not).
 *
 * The record is what the invariants check the ledger against (./invariants.ts): it is the terminal's
 * own idea of what was paid, not the app's.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { DEFAULT_QUERY_LAST_TYPE, MIS_TRANSACTION_TYPES } from '../../src/shared/devices';
import { realPortFactory, type SerialPortLike } from '../../src/core/devices/connection';
import { ACK, FrameParser, NAK, encodeFrame, type LinkEvent } from '../../src/core/devices/frame';
import { MIS_OK, decodeMisRequest, encodeMisResponse, type MisRequest, type MisResponse } from '../../src/core/devices/mis';

/** What the terminal does with one sale. */
export type TerminalOutcome =
  | { kind: 'approve'; delayMs: number }
  | { kind: 'decline'; delayMs: number }
  /** No answer ever; `completes`: the customer paid on it all the same (its last transaction). */
  | { kind: 'silent'; completes: boolean };

export interface TerminalRecordEntry {
  seq: number;
  /** The request's MIS payload as it arrived (hex): the ledger's `card.sent` event carries the same bytes. */
  payloadHex: string;
  type: string;
  amountFen: number;
  check: string;
  /** approved / declined: the terminal's decision; not_completed: silent and nothing happened. */
  decision: 'approved' | 'declined' | 'not_completed';
  /** The transaction it answers with (null when not completed). */
  response: MisResponse | null;
  at: number;
}

interface TerminalState {
  voucher: number;
  entries: TerminalRecordEntry[];
  last: MisResponse | null;
}

export interface ChaosTerminal {
  /** Every money request the terminal took, in order (a copy). */
  record(): TerminalRecordEntry[];
  /** What the terminal reports as its last transaction. */
  lastTransaction(): MisResponse | null;
  /** Frames that were not a well-formed request (bad LRC or payload). */
  readonly badFrames: number;
  /** Opens the terminal's end of the line (again). */
  open(path: string): Promise<void>;
  /** Switches the terminal off (its record stays). */
  close(): Promise<void>;
}

export interface ChaosTerminalOptions {
  stateFile: string;
  /** The seed's choice for each sale. */
  choose: (request: MisRequest) => TerminalOutcome;
  /** Told when a money request has reached the terminal and when it has been decided (before any answer). */
  onRequest?: (entry: TerminalRecordEntry, phase: 'received' | 'processed') => void;
  queryLastType?: string;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

export function createChaosTerminal(options: ChaosTerminalOptions): ChaosTerminal {
  const queryLastType = options.queryLastType ?? DEFAULT_QUERY_LAST_TYPE;
  const state: TerminalState = existsSync(options.stateFile)
    ? (JSON.parse(readFileSync(options.stateFile, 'utf8')) as TerminalState)
    : { voucher: 0, entries: [], last: null };
  const persist = (): void => {
    const tmp = `${options.stateFile}.tmp`;
    writeFileSync(tmp, JSON.stringify(state));
    renameSync(tmp, options.stateFile);
  };
  let port: SerialPortLike | null = null;
  let parser: FrameParser | null = null;
  let badFrames = 0;
  const timers = new Set<NodeJS.Timeout>();
  let awaitingAck: { frame: Buffer; resends: number } | null = null;

  const send = (bytes: Buffer): void => {
    const p = port;
    if (p?.isOpen === true) p.write(bytes);
  };

  const transaction = (req: MisRequest, returnCode: string, message: string): MisResponse => {
    state.voucher += 1;
    const at = new Date();
    const mmdd = pad2(at.getMonth() + 1) + pad2(at.getDate());
    return {
      returnCode,
      bankCode: '0102',
      cardNo: '6222021234567890123',
      voucherNo: String(state.voucher).padStart(6, '0'),
      amountFen: req.amountFen,
      message,
      merchantNo: '898310048990001',
      terminalNo: '10010001',
      batchNo: '000001',
      date: mmdd,
      time: pad2(at.getHours()) + pad2(at.getMinutes()) + pad2(at.getSeconds()),
      referenceNo: `CH${String(state.voucher).padStart(10, '0')}`,
      authCode: returnCode === MIS_OK ? String(100000 + state.voucher).slice(-6) : '',
      settlementDate: mmdd,
      check: req.check,
    };
  };

  const answer = (response: MisResponse, delayMs: number): void => {
    const go = (): void => {
      const frame = encodeFrame(encodeMisResponse(response));
      awaitingAck = { frame, resends: 2 };
      send(frame);
    };
    if (delayMs <= 0) go();
    else {
      const t = setTimeout(() => {
        timers.delete(t);
        go();
      }, delayMs);
      timers.add(t);
    }
  };

  const onFrame = (data: Buffer): void => {
    let req: MisRequest;
    try {
      req = decodeMisRequest(data);
    } catch {
      badFrames += 1;
      send(Buffer.from([NAK]));
      return;
    }
    send(Buffer.from([ACK]));
    if (req.type === queryLastType) {
      const last = state.last;
      answer(last === null ? { ...transaction({ ...req, amountFen: 0 }, '25', '无原始交易'), check: req.check } : { ...last, check: req.check }, 0);
      return;
    }
    if (req.type !== MIS_TRANSACTION_TYPES.sale) {
      // Nothing else is used by the chaos run: answer 'not supported' and record nothing.
      answer({ ...transaction(req, '12', '无效交易'), check: req.check }, 0);
      return;
    }
    const entry: TerminalRecordEntry = {
      seq: state.entries.length + 1,
      payloadHex: data.toString('hex'),
      type: req.type,
      amountFen: req.amountFen,
      check: req.check,
      decision: 'not_completed',
      response: null,
      at: Date.now(),
    };
    options.onRequest?.(entry, 'received');
    const outcome = options.choose(req);
    if (outcome.kind === 'approve' || (outcome.kind === 'silent' && outcome.completes)) {
      entry.decision = 'approved';
      entry.response = transaction(req, MIS_OK, '交易成功');
      state.last = entry.response;
    } else if (outcome.kind === 'decline') {
      entry.decision = 'declined';
      entry.response = transaction(req, '51', '余额不足');
      state.last = entry.response;
    }
    state.entries.push(entry);
    // The terminal's own commit, before any answer leaves.
    persist();
    options.onRequest?.(entry, 'processed');
    if (outcome.kind !== 'silent' && entry.response !== null) answer(entry.response, outcome.delayMs);
  };

  const handle = (event: LinkEvent): void => {
    switch (event.kind) {
      case 'frame':
        onFrame(event.data);
        break;
      case 'bad_lrc':
        badFrames += 1;
        send(Buffer.from([NAK]));
        break;
      case 'ack':
        awaitingAck = null;
        break;
      case 'nak':
        if (awaitingAck !== null && awaitingAck.resends > 0) {
          awaitingAck.resends -= 1;
          send(awaitingAck.frame);
        } else awaitingAck = null;
        break;
      case 'garbage':
        break;
    }
  };

  return {
    record: () => structuredClone(state.entries),
    lastTransaction: () => (state.last === null ? null : { ...state.last }),
    get badFrames() {
      return badFrames;
    },
    open: async (path) => {
      const p = realPortFactory({ path, baudRate: 9600, dataBits: 8, stopBits: 1, parity: 'none' });
      p.on('error', () => undefined);
      await new Promise<void>((resolve, reject) => p.open((err) => (err ? reject(err) : resolve())));
      const fp = new FrameParser({});
      fp.on('data', handle);
      fp.on('error', () => undefined);
      p.on('data', (chunk: Buffer) => {
        if (!fp.destroyed) fp.write(chunk);
      });
      port = p;
      parser = fp;
    },
    close: async () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      awaitingAck = null;
      parser?.destroy();
      parser = null;
      const p = port;
      port = null;
      if (p?.isOpen === true) await new Promise<void>((resolve) => p.close(() => resolve()));
    },
  };
}
