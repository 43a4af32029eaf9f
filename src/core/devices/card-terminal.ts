/**
 * The cashier's side of a card POS terminal on a serial line (收银机联动), MIS payload over the framed
 * link. Money rules (digest §2c):
 * - the journal records "sent" (awaited) before the first byte of a sale, refund or void is written;
 * - no final answer → `unknown`, and this client never sends the sale again by itself;
 * - `queryLast()` asks the terminal for its last transaction so the caller can resolve an unknown.
 */
import { AppError } from '../../shared/errors';
import type { ErrorCode } from '../../shared/errors';
import type { CardTerminalConfig } from '../../shared/devices';
import { MIS_TRANSACTION_TYPES } from '../../shared/devices';
import type { Logger } from '../util/logger';
import { silentLogger } from '../util/logger';
import type { PortFactory, ReconnectPolicy, SerialSettings } from './connection';
import { SerialConnection } from './connection';
import type { LinkFailure } from './link';
import { FramedLink } from './link';
import type { MisRequest, MisResponse } from './mis';
import { MIS_OK, decodeMisResponse, encodeMisRequest } from './mis';
import type { Timers } from './timers';
import { realTimers } from './timers';

export type CardOperationKind = 'sale' | 'void' | 'refund' | 'balance' | 'reprint' | 'signOn' | 'settle' | 'queryLast';

/** Operations that move money: journaled before sending, never resent after an ACK timeout. */
export const MONEY_OPERATIONS: readonly CardOperationKind[] = ['sale', 'void', 'refund'];

/** What the journal stores before a money operation goes out. */
export interface CardOperationRecord {
  kind: CardOperationKind;
  request: MisRequest;
  /** The exact payload bytes (hex), for the audit trail. */
  payloadHex: string;
  /** `now()` when the record was made. */
  sentAt: number;
  path: string;
}

export interface CardJournal {
  /** Must persist durably before returning; if it throws, nothing is sent. */
  markSent(op: CardOperationRecord): void | Promise<void>;
}

export type UnknownReason = LinkFailure | 'check_mismatch' | 'bad_payload';

/**
 * The error code for a missing answer, for callers that turn a non-money `unknown` into an error and
 * for the UI's wording: timeouts → DEVICE_TIMEOUT, a lost port → DEVICE_DISCONNECTED, everything that
 * arrived but was unusable → DEVICE_PROTOCOL. (A sale's unknown is OUTCOME_UNKNOWN for the payment.)
 */
export function unknownReasonCode(reason: UnknownReason): ErrorCode {
  switch (reason) {
    case 'ack_timeout':
    case 'answer_timeout':
      return 'DEVICE_TIMEOUT';
    case 'disconnected':
      return 'DEVICE_DISCONNECTED';
    case 'nak_exhausted':
    case 'bad_lrc':
    case 'check_mismatch':
    case 'bad_payload':
      return 'DEVICE_PROTOCOL';
  }
}

export type CardResult =
  | { kind: 'approved'; response: MisResponse }
  | { kind: 'declined'; code: string; message: string; response: MisResponse }
  /**
   * No usable final answer. For a sale/refund/void the money may or may not have moved: resolve it
   * with `queryLast()`, never by sending it again. `stray` is an answer that was not for this request.
   */
  | { kind: 'unknown'; reason: UnknownReason; detail: string; sent: boolean; stray?: MisResponse };

export interface CardTerminalDeps {
  portFactory: PortFactory;
  journal: CardJournal;
  timers?: Timers;
  now?: () => number;
  /** [0, 1) source for the 3 check digits. */
  random?: () => number;
  logger?: Logger;
  reconnect?: ReconnectPolicy | null;
  watchIntervalMs?: number;
  pathIdentity?: (path: string) => string | null;
}

export interface SaleInput {
  /** Integer fen > 0. */
  amountFen: number;
  operatorNo?: string;
}

export interface RefundInput {
  amountFen: number;
  /** YYYYMMDD of the original sale. */
  originalDate: string;
  /** Reference number (参考号) of the original sale. */
  originalReference: string;
  operatorNo?: string;
}

export interface VoidInput {
  /** Voucher number (凭证号) of the sale to void. */
  originalVoucher: string;
  amountFen?: number;
  operatorNo?: string;
}

/** Serial settings of a terminal config. */
export function terminalSerialSettings(config: CardTerminalConfig): SerialSettings {
  return { path: config.path, baudRate: config.baudRate, dataBits: config.dataBits, stopBits: config.stopBits, parity: config.parity };
}

const TYPE_OF: Record<Exclude<CardOperationKind, 'queryLast'>, string> = {
  sale: MIS_TRANSACTION_TYPES.sale,
  void: MIS_TRANSACTION_TYPES.void,
  refund: MIS_TRANSACTION_TYPES.refund,
  balance: MIS_TRANSACTION_TYPES.balance,
  reprint: MIS_TRANSACTION_TYPES.reprint,
  signOn: MIS_TRANSACTION_TYPES.signOn,
  settle: MIS_TRANSACTION_TYPES.settle,
};

export class CardTerminalClient {
  readonly config: CardTerminalConfig;
  readonly connection: SerialConnection;
  private readonly link: FramedLink;
  private readonly journal: CardJournal;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly logger: Logger;
  private inFlight = false;
  private readonly lateListeners = new Set<(response: MisResponse) => void>();

  constructor(config: CardTerminalConfig, deps: CardTerminalDeps) {
    this.config = config;
    this.journal = deps.journal;
    const timers = deps.timers ?? realTimers;
    this.now = deps.now ?? Date.now;
    this.random = deps.random ?? Math.random;
    this.logger = deps.logger ?? silentLogger;
    this.connection = new SerialConnection({
      serial: terminalSerialSettings(config),
      portFactory: deps.portFactory,
      timers,
      logger: this.logger,
      ...(deps.reconnect !== undefined ? { reconnect: deps.reconnect } : {}),
      ...(deps.watchIntervalMs !== undefined ? { watchIntervalMs: deps.watchIntervalMs } : {}),
      ...(deps.pathIdentity !== undefined ? { pathIdentity: deps.pathIdentity } : {}),
    });
    this.link = new FramedLink(this.connection, { timers, now: this.now, logger: this.logger });
    this.link.onStray((data) => {
      let response: MisResponse;
      try {
        response = decodeMisResponse(data);
      } catch {
        return;
      }
      for (const listener of this.lateListeners) listener(response);
    });
  }

  /** Opens the port (DEVICE_NOT_FOUND / DEVICE_BUSY / DEVICE_DISCONNECTED); keeps retrying in the background. */
  open(): Promise<void> {
    return this.connection.open();
  }

  /** Closes the port. Never rejects. */
  close(): Promise<void> {
    return this.connection.close();
  }

  /** True while a request is outstanding (a second one is refused with DEVICE_BUSY). */
  get busy(): boolean {
    return this.inFlight;
  }

  /**
   * A well-formed answer that arrived when no request was waiting, e.g. the late answer of a sale that
   * already went `unknown`. The app can use it to resolve that sale (match check digits / amount).
   */
  onLateAnswer(listener: (response: MisResponse) => void): () => void {
    this.lateListeners.add(listener);
    return () => this.lateListeners.delete(listener);
  }

  /** Card sale of `amountFen` (integer fen > 0). AMOUNT_INVALID before anything is sent for a bad amount. */
  sale(input: SaleInput): Promise<CardResult> {
    if (!Number.isSafeInteger(input.amountFen) || input.amountFen <= 0) {
      return Promise.reject(new AppError('AMOUNT_INVALID', 'sale amount must be a positive whole number of fen'));
    }
    return this.perform('sale', { amountFen: input.amountFen, operatorNo: input.operatorNo });
  }

  /** Refund against an earlier sale (reference + date). */
  refund(input: RefundInput): Promise<CardResult> {
    if (!Number.isSafeInteger(input.amountFen) || input.amountFen <= 0) {
      return Promise.reject(new AppError('AMOUNT_INVALID', 'refund amount must be a positive whole number of fen'));
    }
    return this.perform('refund', {
      amountFen: input.amountFen,
      operatorNo: input.operatorNo,
      originalDate: input.originalDate,
      originalReference: input.originalReference,
    });
  }

  /** Same-day void (撤销) of a sale by voucher number. */
  void(input: VoidInput): Promise<CardResult> {
    return this.perform('void', { amountFen: input.amountFen ?? 0, operatorNo: input.operatorNo, originalVoucher: input.originalVoucher });
  }

  /** Balance enquiry (the customer's card). */
  balance(): Promise<CardResult> {
    return this.perform('balance', {});
  }

  /** Reprint a slip (the last one when `originalVoucher` is empty). */
  reprint(originalVoucher?: string): Promise<CardResult> {
    return this.perform('reprint', originalVoucher === undefined ? {} : { originalVoucher });
  }

  signOn(): Promise<CardResult> {
    return this.perform('signOn', {});
  }

  settle(): Promise<CardResult> {
    return this.perform('settle', {});
  }

  /**
   * Asks the terminal for its last transaction (type code `config.queryLastType`, a guess per profile).
   * `approved` carries that transaction; compare amount / reference with the unknown sale.
   */
  queryLast(): Promise<CardResult> {
    return this.perform('queryLast', {});
  }

  private async perform(
    kind: CardOperationKind,
    fields: { amountFen?: number; operatorNo?: string | undefined; originalDate?: string; originalReference?: string; originalVoucher?: string },
  ): Promise<CardResult> {
    if (this.inFlight || this.link.busy) throw new AppError('DEVICE_BUSY', 'the card terminal is busy with another request');
    this.inFlight = true;
    try {
      const money = MONEY_OPERATIONS.includes(kind);
      const request: MisRequest = {
        registerNo: this.config.registerNo,
        operatorNo: fields.operatorNo ?? this.config.operatorNo,
        type: kind === 'queryLast' ? this.config.queryLastType : TYPE_OF[kind],
        amountFen: fields.amountFen ?? 0,
        check: this.checkDigits(),
      };
      if (fields.originalDate !== undefined) request.originalDate = fields.originalDate;
      if (fields.originalReference !== undefined) request.originalReference = fields.originalReference;
      if (fields.originalVoucher !== undefined) request.originalVoucher = fields.originalVoucher;
      const payload = encodeMisRequest(request);

      const result = await this.link.exchange(payload, {
        ackTimeoutMs: this.config.ackTimeoutMs,
        answerTimeoutMs: money ? this.config.answerTimeoutMs : this.config.queryTimeoutMs,
        maxRetries: this.config.maxRetries,
        resendOnAckTimeout: !money,
        ...(money
          ? {
              beforeFirstWrite: async () => {
                await this.journal.markSent({ kind, request, payloadHex: payload.toString('hex'), sentAt: this.now(), path: this.config.path });
              },
            }
          : {}),
      });
      if (result.kind === 'failed') {
        this.logger.warn('card terminal request without final answer', { kind, reason: result.reason, detail: result.detail });
        return { kind: 'unknown', reason: result.reason, detail: result.detail, sent: result.sent };
      }
      let response: MisResponse;
      try {
        response = decodeMisResponse(result.data);
      } catch (err) {
        return { kind: 'unknown', reason: 'bad_payload', detail: err instanceof Error ? err.message : String(err), sent: true };
      }
      if (response.check !== request.check) {
        return {
          kind: 'unknown',
          reason: 'check_mismatch',
          detail: `answer check ${response.check} does not match request check ${request.check}`,
          sent: true,
          stray: response,
        };
      }
      if (response.returnCode === MIS_OK) return { kind: 'approved', response };
      return { kind: 'declined', code: response.returnCode, message: response.message, response };
    } finally {
      this.inFlight = false;
    }
  }

  private checkDigits(): string {
    return String(Math.floor(this.random() * 1000) % 1000).padStart(3, '0');
  }
}
