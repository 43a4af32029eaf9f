/**
 * The card terminal link (收银机联动) behind the gateway port: create = the MIS sale frame, query = the
 * terminal's last transaction, matched against the sale. Only a positive match (approved, same
 * amount, not older than our request) is a success; anything else is unclear, never a failure.
 */
import type { GatewayDetail } from '../../shared/domain';
import type { AppMode } from '../../shared/ipc/contract';
import type { CreateOrderInput, GatewayCapabilities, GatewayEntry, GatewayExchangeRecord, GatewayResult, OrderRef, PaymentGateway } from '../payments/port';
import { adapterPerClient } from '../payments/registry';
import { maskPanText } from '../util/logger';
import type { CardOperationRecord, CardResult, CardTerminalClient } from './card-terminal';
import { AppError } from '../../shared/errors';
import type { MisResponse } from './mis';

export const CARD_GATEWAY_ID = 'terminal';

/** The MIS amount field is 12 digits of fen; the configured counter limit is what applies in practice. */
export const CARD_CAPABILITIES: GatewayCapabilities = {
  canClose: false,
  canRefund: false,
  qrExpires: false,
  maxAmountFen: 999_999_999_999,
  cancelOnDeviceOnly: true,
};

export class CardTerminalGateway implements PaymentGateway {
  readonly capabilities = CARD_CAPABILITIES;

  constructor(
    private readonly terminal: CardTerminalClient,
    private readonly now: () => number,
  ) {}

  assertReady(): void {
    if (this.terminal.busy) throw new AppError('DEVICE_BUSY', 'the card terminal is still busy with another request');
  }

  async create(input: CreateOrderInput): Promise<GatewayResult> {
    const result = await this.terminal.sale({ amountFen: input.amountFen });
    const exchange = this.record('card.sale', result);
    switch (result.kind) {
      case 'approved':
        // An approval for another amount is not this sale's answer (a garbled or foreign frame that
        // passed the LRC): never paid on its word; the terminal's last transaction decides.
        if (result.response.amountFen !== input.amountFen) {
          return {
            kind: 'unknown',
            answer: {
              code: result.response.returnCode,
              message: `the terminal's answer is about ${String(result.response.amountFen)} fen, not this sale's ${input.amountFen} fen`,
            },
            exchange,
          };
        }
        return {
          kind: 'success',
          answer: {
            code: result.response.returnCode,
            message: result.response.message,
            reference: referenceOf(result.response),
            detail: terminalDetail(result.response),
          },
          exchange,
        };
      case 'declined':
        return { kind: 'failed', answer: { code: result.code, message: result.message }, exchange };
      case 'unknown':
        return { kind: 'transport_unknown', reason: result.reason, detail: result.detail, delivered: result.sent, exchange };
    }
  }

  async query(order: OrderRef): Promise<GatewayResult> {
    const result = await this.terminal.queryLast();
    const exchange = this.record('card.queryLast', result);
    switch (result.kind) {
      case 'approved':
        if (isThisSale(order, result.response)) {
          return {
            kind: 'success',
            answer: {
              code: result.response.returnCode,
              message: "the terminal's last transaction is this sale",
              reference: referenceOf(result.response),
              detail: terminalDetail(result.response),
            },
            exchange,
          };
        }
        return {
          kind: 'unknown',
          answer: {
            code: result.response.returnCode,
            message: "the terminal's last transaction is not this sale: check the terminal's record; a supervisor settles it",
          },
          exchange,
        };
      case 'declined':
        return { kind: 'rejected', answer: { code: result.code, message: `last-transaction query declined: ${result.code} ${result.message}` }, exchange };
      case 'unknown':
        return { kind: 'transport_unknown', reason: result.reason, detail: result.detail, delivered: result.sent, exchange };
    }
  }

  private record(type: string, result: CardResult): GatewayExchangeRecord {
    return {
      type,
      at: this.now(),
      data:
        result.kind === 'unknown'
          ? { outcome: 'unknown', reason: result.reason, detail: result.detail, sent: result.sent }
          : { outcome: result.kind, response: { ...result.response, cardNo: maskPanText(result.response.cardNo) } },
    };
  }
}

/** The registry entry of the card terminal: the connected terminal (throws NOT_CONFIGURED / DEVICE_DISCONNECTED). */
export function cardGatewayEntry(terminal: (mode: AppMode) => CardTerminalClient, now: () => number): GatewayEntry {
  const adapterOf = adapterPerClient((client: CardTerminalClient) => new CardTerminalGateway(client, now));
  return { id: CARD_GATEWAY_ID, tender: 'card', flow: 'device', capabilities: CARD_CAPABILITIES, forMode: (mode) => adapterOf(terminal(mode)) };
}

/** What the journal records as "sent" before the first byte of a money request (the event data). */
export function cardSentRecord(op: CardOperationRecord): { type: string; data: Record<string, unknown> } {
  return { type: 'card.sent', data: { kind: op.kind, payloadHex: op.payloadHex, path: op.path } };
}

/** Terminal + batch + voucher + reference: unique per terminal, and what the receipt shows. */
function referenceOf(response: MisResponse): string {
  return `${response.terminalNo.trim()}-${response.batchNo.trim()}-${response.voucherNo.trim()}-${response.referenceNo.trim()}`;
}

/** The terminal's answer is this sale: approved, same amount, today, not older than our request (±2 min clock drift). */
function isThisSale(order: OrderRef, response: MisResponse): boolean {
  if (response.returnCode !== '00' || response.amountFen !== order.amountFen) return false;
  const sent = new Date((order.sentAt ?? 0) - 120_000);
  const pad = (n: number): string => String(n).padStart(2, '0');
  const sentDate = `${pad(sent.getMonth() + 1)}${pad(sent.getDate())}`;
  const sentTime = `${pad(sent.getHours())}${pad(sent.getMinutes())}${pad(sent.getSeconds())}`;
  return response.date > sentDate || (response.date === sentDate && response.time >= sentTime);
}

/** The terminal's answer as the ledger keeps it (gateway_detail): the card number masked, never whole. */
function terminalDetail(r: MisResponse): GatewayDetail {
  return {
    terminalNo: r.terminalNo.trim(),
    merchantNo: r.merchantNo.trim(),
    batchNo: r.batchNo.trim(),
    voucherNo: r.voucherNo.trim(),
    referenceNo: r.referenceNo.trim(),
    authCode: r.authCode.trim(),
    bankCode: r.bankCode.trim(),
    cardNo: maskPanText(r.cardNo.trim()),
    date: r.date,
    time: r.time,
  };
}
