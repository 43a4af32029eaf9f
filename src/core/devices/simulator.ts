/**
 * A simulated MIS card terminal: the other end of the serial line for tests, training mode and setup
 * checks. It speaks the same framing and payload, and can be scripted per request to approve, decline,
 * NAK, corrupt its answer's LRC, answer late, or go silent — the situations the money rules are for.
 */
import { DEFAULT_QUERY_LAST_TYPE, MIS_TRANSACTION_TYPES } from '../../shared/devices';
import type { Logger } from '../util/logger';
import { silentLogger } from '../util/logger';
import type { PortFactory, SerialPortLike } from './connection';
import { mapPortError, realPortFactory } from './connection';
import type { LinkEvent } from './frame';
import { ACK, FrameParser, NAK, encodeFrame } from './frame';
import type { MisRequest, MisResponse } from './mis';
import { MIS_OK, decodeMisRequest, encodeMisResponse } from './mis';
import type { Timers } from './timers';
import { realTimers } from './timers';

export interface SimOutcome {
  /** Default `approve`. `silent`: never answers (by default it still ACKs and does the sale). */
  result?: 'approve' | 'decline' | 'silent';
  /** Return code of a decline (default `51`). */
  code?: string;
  /** Message of a decline (default 余额不足). */
  message?: string;
  /** NAK the first n transmissions of the request. */
  nakRequest?: number;
  /** Send the answer with a wrong LRC this many times (the cashier NAKs; the simulator resends). */
  corruptAnswer?: number;
  /** Wait before answering (after the ACK). */
  delayMs?: number;
  /** `silent` only: also skip the ACK. */
  noAck?: boolean;
  /** `silent` only: whether the terminal completed the transaction anyway (default true). */
  completes?: boolean;
  /** Echo wrong check digits (an answer that is not for this request). */
  wrongCheck?: boolean;
}

export interface SimFrame {
  type: string;
  amountFen: number;
  check: string;
  /** True when the simulator NAKed this transmission. */
  naked: boolean;
}

export interface TerminalSimulatorCore {
  /** Feed bytes that arrived from the cashier. */
  receive(chunk: Buffer): void;
  /** Feed decoded link events (when bytes are parsed elsewhere). */
  handle(event: LinkEvent): void;
  /** Queues outcomes for the next requests, in order; without one a request is approved. */
  script(...outcomes: SimOutcome[]): void;
  /** Every well-formed request frame received, including NAKed transmissions. */
  readonly frames: readonly SimFrame[];
  /** Well-formed sale frames received (each transmission counts). */
  saleFrameCount(): number;
  /** Frames from the cashier with a bad LRC. */
  readonly badFrames: number;
  /** Answers the cashier NAKed. */
  readonly naksReceived: number;
  /** What `queryLast` returns. */
  readonly lastTransaction: MisResponse | null;
  /** Stops pending delayed answers. */
  dispose(): void;
}

export interface SimulatorCoreOptions {
  send: (bytes: Buffer) => void;
  timers?: Timers;
  now?: () => number;
  queryLastType?: string;
  /** Link retries for the simulator's own answers (default 2). */
  maxRetries?: number;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** The simulator's protocol logic, independent of any port. */
export function createTerminalSimulatorCore(options: SimulatorCoreOptions): TerminalSimulatorCore {
  const timers = options.timers ?? realTimers;
  const now = options.now ?? Date.now;
  const queryLastType = options.queryLastType ?? DEFAULT_QUERY_LAST_TYPE;
  const maxRetries = options.maxRetries ?? 2;
  const queue: SimOutcome[] = [];
  const frames: SimFrame[] = [];
  const pendingTimers = new Set<unknown>();
  let current: { outcome: SimOutcome; naksLeft: number } | null = null;
  let awaitingAck: { answer: Buffer; corruptLeft: number; resendsLeft: number } | null = null;
  let lastTransaction: MisResponse | null = null;
  let voucher = 0;
  let badFrames = 0;
  let naksReceived = 0;
  const send = (bytes: Buffer): void => {
    try {
      options.send(bytes);
    } catch {
      // The line is gone; the cashier side notices by itself.
    }
  };

  const framed = (payload: Buffer, corrupt: boolean): Buffer => {
    const frame = encodeFrame(payload);
    if (corrupt) frame[frame.length - 1] = (frame[frame.length - 1] ?? 0) ^ 0xff;
    return frame;
  };

  const transaction = (req: MisRequest, returnCode: string, message: string): MisResponse => {
    voucher += 1;
    const at = new Date(now());
    const mmdd = pad2(at.getMonth() + 1) + pad2(at.getDate());
    return {
      returnCode,
      bankCode: '0102',
      // A full PAN, as a terminal that does not mask sends it: the app must mask it on decode.
      cardNo: '6222021234567890123',
      voucherNo: String(voucher).padStart(6, '0'),
      amountFen: req.amountFen,
      message,
      merchantNo: '898310048990001',
      terminalNo: '10010001',
      batchNo: '000001',
      date: mmdd,
      time: pad2(at.getHours()) + pad2(at.getMinutes()) + pad2(at.getSeconds()),
      referenceNo: (String(at.getTime()).slice(-8) + String(voucher).padStart(4, '0')).slice(-12),
      authCode: returnCode === MIS_OK ? String(100000 + voucher).slice(-6) : '',
      settlementDate: mmdd,
      check: req.check,
    };
  };

  const answerFor = (req: MisRequest, outcome: SimOutcome): MisResponse => {
    if (req.type === queryLastType) {
      if (lastTransaction === null) {
        return { ...transaction({ ...req, amountFen: 0 }, '25', '无原始交易'), check: req.check };
      }
      return { ...lastTransaction, check: req.check };
    }
    const moves = req.type === MIS_TRANSACTION_TYPES.sale || req.type === MIS_TRANSACTION_TYPES.refund || req.type === MIS_TRANSACTION_TYPES.void;
    const response =
      outcome.result === 'decline' ? transaction(req, outcome.code ?? '51', outcome.message ?? '余额不足') : transaction(req, MIS_OK, '交易成功');
    if (moves) lastTransaction = response;
    return response;
  };

  const sendAnswer = (): void => {
    if (awaitingAck === null) return;
    const corrupt = awaitingAck.corruptLeft > 0;
    if (corrupt) awaitingAck.corruptLeft -= 1;
    send(framed(awaitingAck.answer, corrupt));
  };

  const onRequest = (data: Buffer): void => {
    let req: MisRequest;
    try {
      req = decodeMisRequest(data);
    } catch {
      send(Buffer.from([NAK]));
      return;
    }
    if (current === null) {
      const outcome = queue.shift() ?? {};
      current = { outcome, naksLeft: outcome.nakRequest ?? 0 };
    }
    const naked = current.naksLeft > 0;
    frames.push({ type: req.type, amountFen: req.amountFen, check: req.check, naked });
    if (naked) {
      current.naksLeft -= 1;
      send(Buffer.from([NAK]));
      return;
    }
    const outcome = current.outcome;
    current = null;
    if (outcome.result === 'silent') {
      if (outcome.noAck !== true) send(Buffer.from([ACK]));
      if (outcome.completes !== false) answerFor(req, { result: 'approve' });
      return;
    }
    send(Buffer.from([ACK]));
    const response = answerFor(req, outcome);
    const answer = encodeMisResponse(outcome.wrongCheck === true ? { ...response, check: req.check === '999' ? '000' : '999' } : response);
    const go = (): void => {
      awaitingAck = { answer, corruptLeft: outcome.corruptAnswer ?? 0, resendsLeft: maxRetries };
      sendAnswer();
    };
    const delay = outcome.delayMs ?? 0;
    if (delay <= 0) {
      go();
    } else {
      const t = timers.setTimeout(() => {
        pendingTimers.delete(t);
        go();
      }, delay);
      pendingTimers.add(t);
    }
  };

  const handle = (event: LinkEvent): void => {
    switch (event.kind) {
      case 'frame':
        onRequest(event.data);
        break;
      case 'bad_lrc':
        badFrames += 1;
        send(Buffer.from([NAK]));
        break;
      case 'ack':
        awaitingAck = null;
        break;
      case 'nak':
        if (awaitingAck === null) break;
        naksReceived += 1;
        if (awaitingAck.resendsLeft <= 0) {
          awaitingAck = null;
          break;
        }
        awaitingAck.resendsLeft -= 1;
        sendAnswer();
        break;
      case 'garbage':
        break;
    }
  };

  const parser = new FrameParser({ now });
  parser.on('data', handle);
  parser.on('error', () => undefined);

  return {
    receive: (chunk) => {
      if (!parser.destroyed) parser.write(chunk);
    },
    handle,
    script: (...outcomes) => {
      queue.push(...outcomes);
    },
    get frames() {
      return frames;
    },
    saleFrameCount: () => frames.filter((f) => f.type === MIS_TRANSACTION_TYPES.sale).length,
    get badFrames() {
      return badFrames;
    },
    get naksReceived() {
      return naksReceived;
    },
    get lastTransaction() {
      return lastTransaction;
    },
    dispose: () => {
      for (const t of pendingTimers) timers.clearTimeout(t);
      pendingTimers.clear();
      parser.destroy();
    },
  };
}

export interface TerminalSimulator extends Omit<TerminalSimulatorCore, 'receive' | 'handle' | 'dispose'> {
  readonly path: string;
  /** Closes the port. Never rejects. */
  close(): Promise<void>;
}

export interface StartSimulatorOptions {
  /** The terminal's end of the line (e.g. one side of a socat pair). */
  path: string;
  baudRate?: number;
  portFactory?: PortFactory;
  timers?: Timers;
  now?: () => number;
  queryLastType?: string;
  logger?: Logger;
}

/**
 * Opens `path` and answers like a terminal. The port's bytes are piped through FrameParser. Rejects
 * with DEVICE_NOT_FOUND / DEVICE_BUSY when the port cannot be opened.
 */
export async function startTerminalSimulator(options: StartSimulatorOptions): Promise<TerminalSimulator> {
  const logger = options.logger ?? silentLogger;
  const factory = options.portFactory ?? realPortFactory;
  const port: SerialPortLike = factory({
    path: options.path,
    baudRate: options.baudRate ?? 9600,
    dataBits: 8,
    stopBits: 1,
    parity: 'none',
  });
  port.on('error', (err: Error) => logger.warn('simulator port error', { message: err.message }));
  await new Promise<void>((resolve, reject) => {
    port.open((err) => (err ? reject(mapPortError(err, options.path)) : resolve()));
  });
  const core = createTerminalSimulatorCore({
    send: (bytes) => {
      if (bytes.length > 0 && port.isOpen) port.write(bytes);
    },
    ...(options.timers !== undefined ? { timers: options.timers } : {}),
    ...(options.now !== undefined ? { now: options.now } : {}),
    ...(options.queryLastType !== undefined ? { queryLastType: options.queryLastType } : {}),
  });
  port.on('data', (chunk: Buffer) => core.receive(chunk));
  return {
    path: options.path,
    script: (...outcomes) => core.script(...outcomes),
    get frames() {
      return core.frames;
    },
    saleFrameCount: () => core.saleFrameCount(),
    get badFrames() {
      return core.badFrames;
    },
    get naksReceived() {
      return core.naksReceived;
    },
    get lastTransaction() {
      return core.lastTransaction;
    },
    close: async () => {
      core.dispose();
      if (!port.isOpen) return;
      await new Promise<void>((resolve) => port.close(() => resolve()));
    },
  };
}
